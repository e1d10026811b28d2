// Sending (validation, idempotent resends), history with offset and cursor paging, and sequence numbers.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachBackend, uniqueName } from './harness.mjs';

function assertValidation(res, location, field, what = '') {
  assert.equal(res.status, 422, `${what} ${res.text}`);
  assert.ok(Array.isArray(res.body?.detail), `${what} 422 detail is a list: ${res.text}`);
  for (const item of res.body.detail) {
    assert.equal(typeof item.msg, 'string', res.text);
    assert.equal(typeof item.type, 'string', res.text);
    assert.ok(Array.isArray(item.loc), res.text);
  }
  if (location) {
    assert.ok(
      res.body.detail.some((d) => d.loc[0] === location && (field === undefined || d.loc.includes(field))),
      `${what} a detail with loc [${location}, ${field}]: ${res.text}`,
    );
  }
}

const texts = (page) => page.map((m) => m.text);

forEachBackend('messages', (ctx) => {
  const { api } = ctx;

  it('stores a message and returns it with its sequence number', async () => {
    const [alice, bob] = await api.users(2, 'send');
    const chat = await api.privateChat(alice, bob);
    const res = await api.post('/api/v1/messages', {
      token: alice.token,
      json: { chat_id: chat.id, text: 'Привет, 世界! 👋 "quotes" \\ and\nnewline', client_message_id: 'c-1' },
    });
    assert.equal(res.status, 201, res.text);
    const m = res.body;
    assert.ok(Number.isInteger(m.id));
    assert.equal(m.chat_id, chat.id);
    assert.equal(m.seq, 1);
    assert.equal(m.sender_id, alice.id);
    assert.equal(m.sender_username, alice.username);
    assert.equal(m.text, 'Привет, 世界! 👋 "quotes" \\ and\nnewline');
    assert.equal(m.client_message_id, 'c-1');
    assert.ok(!Number.isNaN(Date.parse(m.timestamp)), `timestamp parses: ${m.timestamp}`);
    assert.ok(Math.abs(Date.parse(m.timestamp) - Date.now()) < 5 * 60_000, `timestamp is now: ${m.timestamp}`);
    assert.equal(typeof m.is_read, 'boolean');
    assert.ok('read_by' in m, 'has read_by');

    const noClientId = await api.send(bob, chat.id, 'reply');
    assert.equal(noClientId.client_message_id, null);
    assert.equal(noClientId.seq, 2);

    const history = await api.history(bob, chat.id);
    assert.equal(history.length, 2);
    assert.equal(history[0].id, m.id);
    assert.equal(history[0].text, m.text);
    assert.equal(history[0].timestamp, m.timestamp);
    assert.equal(history[0].sender_username, alice.username);
    assert.equal(history[1].sender_id, bob.id);
  });

  it('numbers each chat 1, 2, 3, ... independently of other chats', async () => {
    const [alice, bob, carol] = await api.users(3, 'seq');
    const one = await api.privateChat(alice, bob);
    const two = await api.groupChat(alice, 'two', [bob, carol]);
    const seqs = { [one.id]: [], [two.id]: [] };
    for (let i = 0; i < 5; i++) {
      seqs[one.id].push((await api.send(i % 2 ? bob : alice, one.id, `one ${i}`)).seq);
      seqs[two.id].push((await api.send([alice, bob, carol][i % 3], two.id, `two ${i}`)).seq);
    }
    assert.deepEqual(seqs[one.id], [1, 2, 3, 4, 5]);
    assert.deepEqual(seqs[two.id], [1, 2, 3, 4, 5]);

    // concurrent senders in one chat still get distinct, gap-free numbers
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.post('/api/v1/messages', { token: [alice, bob, carol][i % 3].token, json: { chat_id: two.id, text: `burst ${i}` } }),
      ),
    );
    for (const r of burst) assert.equal(r.status, 201, r.text);
    assert.deepEqual(
      burst.map((r) => r.body.seq).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 6),
    );
    const all = await api.history(carol, two.id); // 17 messages: the default page of 20 holds them
    assert.deepEqual(all.map((m) => m.seq), Array.from({ length: 17 }, (_, i) => i + 1));
    assert.equal((await api.chatFromList(alice, two.id)).last_seq, 17);
  });

  it('returns the stored message for a resend with the same client_message_id', async () => {
    const [alice, bob] = await api.users(2, 'dedup');
    const chat = await api.privateChat(alice, bob);
    const first = await api.post('/api/v1/messages', {
      token: alice.token,
      json: { chat_id: chat.id, text: 'only once', client_message_id: 'k-1' },
    });
    assert.equal(first.status, 201, first.text);
    const again = await api.post('/api/v1/messages/', {
      token: alice.token,
      json: { chat_id: chat.id, text: 'only once', client_message_id: 'k-1' },
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.seq, first.body.seq);
    assert.equal(again.body.timestamp, first.body.timestamp);
    assert.equal(again.body.text, first.body.text);
    assert.equal(again.body.client_message_id, 'k-1');

    // another sender may use the same client id: that is a different message
    const bobs = await api.post('/api/v1/messages', {
      token: bob.token,
      json: { chat_id: chat.id, text: 'mine', client_message_id: 'k-1' },
    });
    assert.equal(bobs.status, 201, bobs.text);
    assert.notEqual(bobs.body.id, first.body.id);

    // a different client id from the same sender is a new message
    const next = await api.send(alice, chat.id, 'only once', 'k-2');
    assert.notEqual(next.id, first.body.id);

    const history = await api.history(alice, chat.id);
    assert.deepEqual(texts(history), ['only once', 'mine', 'only once']);
    assert.deepEqual(history.map((m) => m.seq), [1, 2, 3]);
    assert.equal((await api.chatFromList(bob, chat.id)).last_seq, 3, 'the resend did not take a sequence number');
  });

  it('stores exactly one message for 10 concurrent resends', async () => {
    const [alice, bob] = await api.users(2, 'dedupc');
    const chat = await api.privateChat(alice, bob);
    const clientId = `tap-${uniqueName('c')}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.post('/api/v1/messages', {
          token: alice.token,
          json: { chat_id: chat.id, text: 'double tap', client_message_id: clientId },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 201], results.map((r) => `${r.status} ${r.text}`).join('\n'));
    const stored = results.find((r) => r.status === 201).body;
    for (const r of results) {
      assert.equal(r.body.id, stored.id);
      assert.equal(r.body.seq, stored.seq);
      assert.equal(r.body.timestamp, stored.timestamp);
    }
    const history = await api.history(bob, chat.id);
    assert.equal(history.length, 1, JSON.stringify(history));
    assert.equal(history[0].id, stored.id);
    assert.equal((await api.chatFromList(bob, chat.id)).last_seq, 1);
    // the next message follows without a gap
    assert.equal((await api.send(alice, chat.id, 'next')).seq, 2);
  });

  it('rejects bad message bodies with 422', async () => {
    const [alice, bob] = await api.users(2, 'badmsg');
    const chat = await api.privateChat(alice, bob);
    const send = (json) => api.post('/api/v1/messages', { token: alice.token, json });
    assertValidation(await send({ chat_id: chat.id, text: '' }), 'body', 'text', 'empty text');
    assertValidation(await send({ chat_id: chat.id, text: '   \n\t ' }), 'body', 'text', 'blank text');
    assertValidation(await send({ chat_id: chat.id, text: 'x'.repeat(4097) }), 'body', 'text', '4097 chars');
    assertValidation(await send({ chat_id: chat.id, text: 'я'.repeat(4097) }), 'body', 'text', '4097 Cyrillic chars');
    assertValidation(await send({ chat_id: '1', text: 'hi' }), 'body', 'chat_id', 'chat_id as string');
    assertValidation(await send({ chat_id: chat.id, text: 5 }), 'body', 'text', 'text as number');
    assertValidation(await send({ chat_id: chat.id, text: null }), 'body', 'text', 'text null');
    assertValidation(await send({ chat_id: chat.id, text: 'hi', client_message_id: 7 }), 'body', 'client_message_id', 'numeric client id');
    assertValidation(await send({ text: 'hi' }), 'body', 'chat_id', 'no chat_id');
    assertValidation(await send({ chat_id: chat.id }), 'body', 'text', 'no text');
    assertValidation(await send([]), undefined, undefined, 'array body');

    for (const raw of ['{"chat_id": 1, "text": ', 'not json', '']) {
      const res = await api.post('/api/v1/messages', {
        token: alice.token,
        headers: { 'Content-Type': 'application/json' },
        body: raw,
      });
      assertValidation(res, undefined, undefined, `malformed ${JSON.stringify(raw)}`);
    }
    assert.deepEqual(await api.history(alice, chat.id), [], 'nothing was stored');
  });

  it('accepts text of exactly 4096 characters, counted as characters, not bytes', async () => {
    const [alice, bob] = await api.users(2, 'long');
    const chat = await api.privateChat(alice, bob);
    const ascii = await api.send(alice, chat.id, 'x'.repeat(4096));
    assert.equal(ascii.text.length, 4096);
    const cyrillic = await api.send(alice, chat.id, 'я'.repeat(4096));
    assert.equal(cyrillic.text, 'я'.repeat(4096));
    const history = await api.history(bob, chat.id);
    assert.equal(history[1].text, 'я'.repeat(4096));
  });

  it('refuses to send to a chat the sender is not in, or that does not exist, with 404', async () => {
    const [alice, bob, eve] = await api.users(3, 'nomember');
    const chat = await api.privateChat(alice, bob);
    for (const chatId of [chat.id, 2_000_000_000]) {
      const res = await api.post('/api/v1/messages', { token: eve.token, json: { chat_id: chatId, text: 'hi' } });
      assert.equal(res.status, 404, res.text);
      assert.deepEqual(res.body, { detail: 'Chat not found' });
    }
    assert.deepEqual(await api.history(alice, chat.id), []);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const [alice, bob] = await api.users(2, 'big');
    const chat = await api.privateChat(alice, bob);
    const body = JSON.stringify({ chat_id: chat.id, text: 'x'.repeat(2 * 1024 * 1024) });
    let res;
    try {
      res = await api.post('/api/v1/messages', {
        token: alice.token,
        headers: { 'Content-Type': 'application/json' },
        body,
      });
    } catch (err) {
      assert.fail(`the server dropped the connection instead of answering 413: ${err.cause?.code ?? ''} ${err.message}`);
    }
    assert.equal(res.status, 413, res.text.slice(0, 300));
    assert.equal(typeof res.body?.detail, 'string', res.text.slice(0, 300));
    // the server is still fine
    assert.equal((await api.send(alice, chat.id, 'small')).seq, 1);
  });

  describeHistory(ctx);
});

function describeHistory(ctx) {
  describe('history of a 30-message chat', () => historyTests(ctx));
}

function historyTests(ctx) {
  const { api } = ctx;
  const N = 30;
  let alice;
  let bob;
  let chat;
  let sent; // in send order, seq 1..N

  before(async () => {
    [alice, bob] = await api.users(2, 'hist');
    chat = await api.privateChat(alice, bob);
    sent = [];
    for (let i = 1; i <= N; i++) sent.push(await api.send(i % 2 ? alice : bob, chat.id, `m${i}`));
  });

  it('pages with limit and offset: newest page first, each page ascending', async () => {
    assert.deepEqual(sent.map((m) => m.seq), Array.from({ length: N }, (_, i) => i + 1));
    const newest = await api.history(bob, chat.id, { limit: 20, offset: 0 });
    assert.deepEqual(texts(newest), sent.slice(10).map((m) => m.text));
    const older = await api.history(bob, chat.id, { limit: 20, offset: 20 });
    assert.deepEqual(texts(older), sent.slice(0, 10).map((m) => m.text));
    const beyond = await api.history(bob, chat.id, { limit: 20, offset: 40 });
    assert.deepEqual(beyond, []);
    const middle = await api.history(alice, chat.id, { limit: 5, offset: 3 });
    assert.deepEqual(texts(middle), ['m23', 'm24', 'm25', 'm26', 'm27']);
    const byDefault = await api.history(alice, chat.id);
    assert.deepEqual(texts(byDefault), texts(newest), 'the default page is limit=20&offset=0');
    const everything = await api.history(alice, chat.id, { limit: 100 });
    assert.deepEqual(everything.map((m) => m.id), sent.map((m) => m.id));

    // walking with offset visits every message exactly once
    const seen = [];
    for (let offset = 0; ; offset += 7) {
      const page = await api.history(alice, chat.id, { limit: 7, offset });
      if (page.length === 0) break;
      seen.unshift(...page.map((m) => m.id));
    }
    assert.deepEqual(seen, sent.map((m) => m.id));
  });

  it('walks back with before=<message id> and forward with after=<message id>, each message once', async () => {
    // backwards
    const back = [];
    let page = await api.history(bob, chat.id, { limit: 8 });
    let rounds = 0;
    while (page.length > 0) {
      assert.ok(++rounds <= 10, 'walk back terminates');
      for (let i = 1; i < page.length; i++) assert.ok(page[i - 1].seq < page[i].seq, 'each page ascending');
      back.unshift(...page.map((m) => m.id));
      page = await api.history(bob, chat.id, { limit: 8, before: page[0].id });
    }
    assert.deepEqual(back, sent.map((m) => m.id));

    // forwards from the first message
    const forward = [sent[0].id];
    let cursor = sent[0].id;
    rounds = 0;
    for (;;) {
      assert.ok(++rounds <= 10, 'walk forward terminates');
      const next = await api.history(alice, chat.id, { limit: 8, after: cursor });
      if (next.length === 0) break;
      for (let i = 1; i < next.length; i++) assert.ok(next[i - 1].seq < next[i].seq, 'each page ascending');
      forward.push(...next.map((m) => m.id));
      cursor = next[next.length - 1].id;
    }
    assert.deepEqual(forward, sent.map((m) => m.id));

    // exact neighbours
    assert.deepEqual(texts(await api.history(bob, chat.id, { limit: 3, before: sent[10].id })), ['m8', 'm9', 'm10']);
    assert.deepEqual(texts(await api.history(bob, chat.id, { limit: 3, after: sent[10].id })), ['m12', 'm13', 'm14']);
    assert.deepEqual(await api.history(bob, chat.id, { before: sent[0].id }), []);
    assert.deepEqual(await api.history(bob, chat.id, { after: sent[N - 1].id }), []);
  });

  it('walks by sequence number with before_seq and after_seq', async () => {
    const forward = [];
    let seq = 0;
    for (let rounds = 0; ; rounds++) {
      assert.ok(rounds <= 10, 'walk terminates');
      const page = await api.history(alice, chat.id, { limit: 9, after_seq: seq });
      if (page.length === 0) break;
      forward.push(...page.map((m) => m.seq));
      seq = page[page.length - 1].seq;
    }
    assert.deepEqual(forward, Array.from({ length: N }, (_, i) => i + 1));

    const back = [];
    let beforeSeq = N + 1;
    for (let rounds = 0; ; rounds++) {
      assert.ok(rounds <= 10, 'walk terminates');
      const page = await api.history(alice, chat.id, { limit: 9, before_seq: beforeSeq });
      if (page.length === 0) break;
      back.unshift(...page.map((m) => m.seq));
      beforeSeq = page[0].seq;
    }
    assert.deepEqual(back, Array.from({ length: N }, (_, i) => i + 1));
    assert.deepEqual(
      (await api.history(alice, chat.id, { limit: 2, before_seq: 5 })).map((m) => m.seq),
      [3, 4],
    );
    assert.deepEqual(
      (await api.history(alice, chat.id, { limit: 2, after_seq: 5 })).map((m) => m.seq),
      [6, 7],
    );
  });

  it('sees a message sent after the walk began, with after=', async () => {
    const last = sent[sent.length - 1];
    const late = await api.send(bob, chat.id, 'late');
    sent.push(late);
    const page = await api.history(alice, chat.id, { after: last.id });
    assert.deepEqual(page.map((m) => m.id), [late.id]);
    assert.equal(late.seq, N + 1);
  });

  it('rejects bad paging parameters with 422', async () => {
    const bad = async (query, field) => {
      const res = await api.get(`/api/v1/messages/history/${chat.id}?${query}`, { token: alice.token });
      assertValidation(res, 'query', field, query);
    };
    await bad('limit=0', 'limit');
    await bad('limit=101', 'limit');
    await bad('limit=-5', 'limit');
    await bad('limit=ten', 'limit');
    await bad('limit=2.5', 'limit');
    await bad('offset=-1', 'offset');
    await bad('offset=abc', 'offset');
    await bad('before=xyz', 'before');
    await bad('after_seq=1e3', 'after_seq');
    await bad(`before=${sent[5].id}&after=${sent[1].id}`);
    await bad(`before_seq=5&after_seq=1`);
    await bad(`before=${sent[5].id}&before_seq=3`);
    await bad(`before=${sent[5].id}&offset=5`);
    await bad(`after_seq=3&offset=2`);

    const ok100 = await api.get(`/api/v1/messages/history/${chat.id}?limit=100`, { token: alice.token });
    assert.equal(ok100.status, 200, ok100.text);
    const ok1 = await api.get(`/api/v1/messages/history/${chat.id}?limit=1`, { token: alice.token });
    assert.equal(ok1.status, 200, ok1.text);
    assert.equal(ok1.body.length, 1);
    assert.equal(ok1.body[0].id, sent[sent.length - 1].id, 'limit=1 is the newest message');

    const notNumber = await api.get('/api/v1/messages/history/abc', { token: alice.token });
    assertValidation(notNumber, 'path', 'chat_id', 'chat id abc');
  });

  it('does not let a cursor from another chat leak that chat', async () => {
    const eve = (await api.users(1, 'histeve'))[0];
    const evesChat = await api.privateChat(eve, alice);
    const evesMsg = await api.send(eve, evesChat.id, 'eve here');
    const res = await api.get(`/api/v1/messages/history/${chat.id}?before=${evesMsg.id}`, { token: bob.token });
    // Either refused or an answer that holds only messages of the chat asked for.
    if (res.status === 200) {
      assert.ok(res.body.every((m) => m.chat_id === chat.id), res.text.slice(0, 300));
    } else {
      assert.ok([400, 404, 422].includes(res.status), `${res.status} ${res.text}`);
    }
  });
}
