// Message search over HTTP (GET /api/v1/messages/search), as a client sees it on each backend: what a query
// finds and in whose chats, the query language end to end, results that follow edits, deletions and who is
// in a chat, paging, and a clear error (never a 500) for anything a client may send.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBackend } from './harness.mjs';
import { assertMessageShape, assertValidation, deleted, edited, reacted } from './chat_events.mjs';

forEachBackend('message search', (ctx) => {
  const { api } = ctx;

  const search = (user, params) =>
    api.get(`/api/v1/messages/search?${new URLSearchParams(params)}`, { token: user?.token });

  async function found(user, params) {
    const res = await search(user, typeof params === 'string' ? { q: params } : params);
    assert.equal(res.status, 200, `search ${JSON.stringify(params)}: ${res.text}`);
    return res.body;
  }
  const texts = async (user, params) => (await found(user, params)).results.map((r) => r.message.text);

  it('finds messages of the caller’s chats only, newest first, each with its chat and a marked snippet', async () => {
    const [alice, bob, carol] = await api.users(3, 'find');
    const team = await api.groupChat(alice, 'Launch team', [bob]);
    const secret = await api.groupChat(carol, 'Carol only', []);
    const first = await api.send(alice, team.id, 'The launch checklist is ready');
    await api.send(carol, secret.id, 'launch codes inside');
    const second = await api.send(bob, team.id, 'Reviewed the checklist for launch day');
    await reacted(api, alice, second.id, '👍');

    const body = await found(alice, 'checklist launch ');
    assert.deepEqual(
      body.results.map((r) => r.message.id),
      [second.id, first.id],
    );
    assert.equal(body.next_before, null);
    const [hit] = body.results;
    assertMessageShape(hit.message, 'search hit');
    assert.equal(hit.message.text, 'Reviewed the checklist for launch day');
    assert.equal(hit.message.reactions[0].emoji, '👍');
    assert.deepEqual(hit.chat, { id: team.id, name: 'Launch team' });
    assert.deepEqual(hit.snippet, [
      { text: 'Reviewed the ', hit: false },
      { text: 'checklist', hit: true },
      { text: ' for ', hit: false },
      { text: 'launch', hit: true },
      { text: ' day', hit: false },
    ]);
    assert.deepEqual(await texts(carol, 'launch '), ['launch codes inside']);
  });

  it('understands the query language: forms, phrases, exclusions, from:, in:, a word being typed, Russian', async () => {
    const [alice, bob] = await api.users(2, 'lang');
    const team = await api.groupChat(alice, 'Отдел продаж', [bob]);
    const pair = await api.privateChat(alice, bob);
    await api.send(alice, team.id, 'Quarterly reports are due');
    await api.send(bob, team.id, 'the draft report is attached');
    await api.send(bob, pair.id, 'Новые сообщения от клиента: report later');
    await api.send(alice, pair.id, 'Отчёт готов, см. сообщение выше');

    assert.deepEqual(await texts(alice, 'reporting '), [
      'Новые сообщения от клиента: report later',
      'the draft report is attached',
      'Quarterly reports are due',
    ]);
    assert.deepEqual(await texts(alice, '"draft report"'), ['the draft report is attached']);
    assert.deepEqual(await texts(alice, 'report -draft -клиента'), ['Quarterly reports are due']);
    assert.deepEqual(await texts(alice, `report from:${bob.username.toUpperCase()}`), [
      'Новые сообщения от клиента: report later',
      'the draft report is attached',
    ]);
    assert.deepEqual(await texts(alice, 'report in:"отдел ПРОДАЖ"'), [
      'the draft report is attached',
      'Quarterly reports are due',
    ]);
    assert.deepEqual(await texts(alice, `report in:${bob.username}`), ['Новые сообщения от клиента: report later']);
    assert.deepEqual(await texts(alice, `report in:${pair.id}`), ['Новые сообщения от клиента: report later']);
    assert.deepEqual(await texts(alice, 'сообщение '), [
      'Отчёт готов, см. сообщение выше',
      'Новые сообщения от клиента: report later',
    ]);
    assert.deepEqual(await texts(alice, 'отчет report'), []);
    assert.deepEqual(await texts(alice, 'quart'), ['Quarterly reports are due']);
    assert.deepEqual(await texts(alice, 'report from:nobody-by-that-name'), []);
    assert.deepEqual(await texts(alice, 'report in:"no such chat"'), []);
    const hits = (await found(alice, 'сообщение ')).results;
    assert.equal(hits[0].chat.name, bob.username);
    assert.deepEqual(
      hits[0].snippet.filter((p) => p.hit).map((p) => p.text),
      ['сообщение'],
    );
  });

  it('follows edits, deletions and membership', async () => {
    const [alice, bob] = await api.users(2, 'follow');
    const team = await api.groupChat(alice, 'follow', [bob]);
    const typo = await api.send(alice, team.id, 'meeting moved to thursdya');
    const gone = await api.send(bob, team.id, 'my thursday password is hunter2');
    await edited(api, alice, typo.id, 'meeting moved to friday');
    await deleted(api, bob, gone.id);

    assert.deepEqual(await texts(bob, 'thursdya '), []);
    assert.deepEqual(await texts(bob, 'friday '), ['meeting moved to friday']);
    assert.deepEqual(await texts(bob, 'hunter2 '), []);
    assert.deepEqual(await texts(bob, 'password '), []);

    const leave = await api.post(`/api/v1/chats/${team.id}/leave`, { token: bob.token });
    assert.equal(leave.status, 200, leave.text);
    assert.deepEqual(await texts(bob, 'meeting '), []);
    assert.deepEqual(await texts(alice, 'meeting '), ['meeting moved to friday']);
  });

  it('pages with next_before, and narrows to one chat with chat_id', async () => {
    const [alice] = await api.users(1, 'pages');
    const one = await api.groupChat(alice, 'one', []);
    const two = await api.groupChat(alice, 'two', []);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await api.send(alice, i % 2 ? two.id : one.id, `standup note ${i}`));
    const seen = [];
    let before;
    for (let page = 0; page < 5; page++) {
      const params = { q: 'standup ', limit: '2' };
      if (before) params.before = String(before);
      const body = await found(alice, params);
      seen.push(...body.results.map((r) => r.message.id));
      before = body.next_before;
      if (before === null) break;
    }
    assert.deepEqual(
      seen,
      sent.map((m) => m.id).reverse(),
    );
    assert.deepEqual(await texts(alice, { q: 'standup ', chat_id: String(two.id) }), ['standup note 3', 'standup note 1']);
  });

  it('answers bad requests with a clear error and odd queries with results, never a 500', async () => {
    const [alice, eve] = await api.users(2, 'bad');
    const team = await api.groupChat(alice, 'bad', []);
    await api.send(alice, team.id, 'anything at all');

    assert.equal((await search(undefined, { q: 'anything' })).status, 401);
    assert.equal((await api.get('/api/v1/messages/search?q=x', { token: 'not.a.token' })).status, 401);
    for (const q of ['', '   ', '-anything', 'from:alice', 'in:bad', '!!!', 'x'.repeat(501)]) {
      assertValidation(await search(alice, { q }), 'query', 'q', `q=${JSON.stringify(q).slice(0, 40)}`);
    }
    assertValidation(await api.get('/api/v1/messages/search', { token: alice.token }), 'query', 'q', 'no q');
    assertValidation(await search(alice, { q: 'anything', limit: '0' }), 'query', 'limit', 'limit 0');
    assertValidation(await search(alice, { q: 'anything', limit: '1000' }), 'query', 'limit', 'limit 1000');
    assertValidation(await search(alice, { q: 'anything', chat_id: 'abc' }), 'query', 'chat_id', 'chat_id abc');
    assertValidation(await search(alice, { q: 'anything', before: '-1' }), 'query', 'before', 'before -1');
    const outsider = await search(eve, { q: 'anything', chat_id: String(team.id) });
    assert.equal(outsider.status, 404, outsider.text);
    assert.deepEqual(outsider.body, { detail: 'Chat not found' });

    for (const q of ['"', '"anything', 'anything"', '* anything', 'NEAR(anything', 'anything:*', "it's", '\\', '%_',
      'anything OR', 'AND anything', '-"', 'anything \u0000', '\uE000anything\uE001', 'anything\uFFFF', '🙂 anything']) {
      const res = await search(alice, { q });
      assert.ok(res.status === 200 || res.status === 422, `q=${JSON.stringify(q)}: ${res.status} ${res.text}`);
      if (res.status === 200) assert.ok(Array.isArray(res.body.results), res.text);
    }
    assert.deepEqual(await texts(alice, '"anything'), ['anything at all']);
  });
});
