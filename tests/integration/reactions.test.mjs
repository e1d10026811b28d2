// Reactions as members see them: PUT and DELETE /messages/{id}/reactions/{emoji} (the emoji URL-encoded, one
// emoji grapheme cluster: skin tones, ZWJ sequences and flags included), idempotent both ways, counted exactly,
// with reaction_changed to every member, and the react / unreact actions over the WebSocket.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBackend } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import {
  ABSENT_ID,
  MESSAGE_NOT_FOUND,
  assertMessageShape,
  assertStatus,
  assertValidation,
  barrier,
  react,
  reacted,
  unreact,
  unreacted,
  waitError,
  waitMessageEvent,
} from './chat_events.mjs';

const THUMBS_UP = '👍';

// 21 distinct single-code-point emoji: one more than the default MAX_REACTIONS_PER_MESSAGE (20)
const MANY = ['😀', '😂', '😍', '😎', '🤔', '😢', '😡', '👏', '🙏', '🔥', '🎉', '💯', '✅', '🚀', '👀', '🤝', '💪', '🍕', '🍺', '🌟', '🐱'];

const summary = (m) => m.reactions.map((r) => [r.emoji, r.count, r.user_ids]);

forEachBackend('reactions', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  async function connect(...users) {
    const clients = [];
    for (const u of users) clients.push(await Client.open(base(), { token: u.token }));
    await Promise.all(clients.map(connectedAs));
    return clients;
  }

  it('PUT twice counts once, a second user makes 2, DELETE takes it away; every member gets reaction_changed', async () => {
    const [alice, bob, carol] = await api.users(3, 'react');
    const group = await api.groupChat(alice, 'reactions', [bob, carol]);
    const [a, b, c] = await connect(alice, bob, carol);
    const m = await api.send(carol, group.id, 'ship it?');

    // the emoji percent-encoded by hand, as a client library would send it
    const first = await api.request('PUT', `/api/v1/messages/${m.id}/reactions/%F0%9F%91%8D`, { token: alice.token });
    assert.equal(first.status, 200, first.text);
    assertMessageShape(first.body, 'message after a reaction');
    assert.equal(first.body.id, m.id);
    assert.equal(first.body.text, 'ship it?');
    assert.deepEqual(first.body.reactions, [{ emoji: THUMBS_UP, count: 1, user_ids: [alice.id] }]);
    assert.ok(first.body.change_seq > m.change_seq, 'a reaction is a change');
    assert.equal(first.body.edited_at, null, 'a reaction is not an edit');

    for (const [i, conn] of [a, b, c].entries()) {
      const ev = await waitMessageEvent(conn, 'reaction_changed', m.id, `reaction_changed on connection ${i}`);
      const { chat_id, message_id, change_seq, user_id, emoji, added, reactions } = ev.data;
      assert.deepEqual({ chat_id, message_id, change_seq, user_id, emoji, added, reactions }, {
        chat_id: group.id,
        message_id: m.id,
        change_seq: first.body.change_seq,
        user_id: alice.id,
        emoji: THUMBS_UP,
        added: true,
        reactions: first.body.reactions,
      });
    }

    // again: idempotent, no event, no new change number
    const again = await reacted(api, alice, m.id, THUMBS_UP);
    assert.deepEqual(again.reactions, first.body.reactions);
    assert.equal(again.change_seq, first.body.change_seq);

    const bobs = await reacted(api, bob, m.id, THUMBS_UP);
    assert.deepEqual(summary(bobs), [[THUMBS_UP, 2, [alice.id, bob.id]]]);
    const party = await reacted(api, bob, m.id, '🎉');
    assert.deepEqual(summary(party), [
      [THUMBS_UP, 2, [alice.id, bob.id]],
      ['🎉', 1, [bob.id]],
    ], 'ordered by first reaction time');

    const removed = await unreacted(api, alice, m.id, THUMBS_UP);
    assert.deepEqual(summary(removed), [
      [THUMBS_UP, 1, [bob.id]],
      ['🎉', 1, [bob.id]],
    ]);
    const gone = await unreacted(api, bob, m.id, '🎉');
    assert.deepEqual(summary(gone), [[THUMBS_UP, 1, [bob.id]]], 'an emoji nobody uses any more is gone');
    // removing what is not there: 200, nothing changes
    const absent = await unreacted(api, carol, m.id, THUMBS_UP);
    assert.deepEqual(absent.reactions, gone.reactions);
    assert.equal(absent.change_seq, gone.change_seq);

    await barrier(api, carol, group.id, [a, b, c]);
    const events = c.of('reaction_changed').filter((e) => e.data.message_id === m.id);
    assert.deepEqual(
      events.map((e) => [e.data.user_id, e.data.emoji, e.data.added]),
      [
        [alice.id, THUMBS_UP, true],
        [bob.id, THUMBS_UP, true],
        [bob.id, '🎉', true],
        [alice.id, THUMBS_UP, false],
        [bob.id, '🎉', false],
      ],
      'one event per actual change, none for the repeated PUT or the absent DELETE',
    );
    const changes = events.map((e) => e.data.change_seq);
    for (let i = 1; i < changes.length; i++) assert.ok(changes[i] > changes[i - 1], `increasing: ${changes}`);
    assert.deepEqual(events.at(-1).data.reactions, gone.reactions);

    const [stored] = await api.history(alice, group.id);
    assert.deepEqual(stored.reactions, gone.reactions);
    assert.equal(stored.change_seq, gone.change_seq);
    for (const conn of [a, b, c]) conn.close();
  });

  it('takes emoji URL-encoded in the path, multi-code-point ones included, and gives them back unchanged', async () => {
    const [alice, bob] = await api.users(2, 'emoji');
    const chat = await api.privateChat(alice, bob);
    const m = await api.send(alice, chat.id, 'react to me');
    const emoji = [
      '👍🏽', // thumbs up, medium skin tone (two code points)
      '👨‍👩‍👧‍👦', // family, a ZWJ sequence of seven code points
      '🇺🇦', // a flag: two regional indicators
      '❤️', // heart with variation selector 16
      '🏳️‍🌈', // rainbow flag: flag, VS16, ZWJ, rainbow
    ];
    let last;
    for (const e of emoji) {
      const res = await react(api, bob, m.id, e);
      assert.equal(res.status, 200, `${e} (${encodeURIComponent(e)}): ${res.text}`);
      last = res.body;
    }
    assert.deepEqual(last.reactions.map((r) => r.emoji), emoji, 'each one as sent, in order');
    assert.ok(last.reactions.every((r) => r.count === 1));

    // skin tones are different reactions from the plain one
    const plain = await reacted(api, alice, m.id, THUMBS_UP);
    assert.equal(plain.reactions.length, emoji.length + 1);

    const less = await unreacted(api, bob, m.id, '👨‍👩‍👧‍👦');
    assert.ok(!less.reactions.some((r) => r.emoji === '👨‍👩‍👧‍👦'));
    const [stored] = await api.history(alice, chat.id);
    assert.deepEqual(stored.reactions.map((r) => r.emoji), ['👍🏽', '🇺🇦', '❤️', '🏳️‍🌈', THUMBS_UP]);
  });

  it('refuses what is not exactly one emoji with 422 at ["path", "emoji"]', async () => {
    const [alice, bob] = await api.users(2, 'emojibad');
    const chat = await api.privateChat(alice, bob);
    const m = await api.send(alice, chat.id, 'react properly');
    for (const bad of ['a', '1', 'ok', '👍👍', '👍 ', ' ', '👍a', ':+1:', '\u200d']) {
      assertValidation(await react(api, bob, m.id, bad), 'path', 'emoji', `PUT ${JSON.stringify(bad)}`);
    }
    assertValidation(await unreact(api, bob, m.id, 'a'), 'path', 'emoji', 'DELETE "a"');
    // an empty emoji segment: with trailing slashes ignored this is the path /reactions itself, so either a
    // validation error or no such route; never a stored reaction
    const empty = await api.request('PUT', `/api/v1/messages/${m.id}/reactions/`, { token: bob.token });
    assert.ok([404, 405, 422].includes(empty.status), `empty emoji: ${empty.status} ${empty.text}`);
    const [stored] = await api.history(alice, chat.id);
    assert.deepEqual(stored.reactions, [], 'nothing was stored');
    assert.equal(stored.change_seq, m.change_seq);
  });

  it('allows at most 20 distinct emoji on one message (422 beyond), while existing ones still toggle', async () => {
    const [alice, bob] = await api.users(2, 'emojimax');
    const chat = await api.privateChat(alice, bob);
    const m = await api.send(alice, chat.id, 'so many feelings');
    for (const e of MANY.slice(0, 20)) await reacted(api, alice, m.id, e);
    const over = await react(api, alice, m.id, MANY[20]);
    assert.equal(over.status, 422, over.text);
    assert.ok(Array.isArray(over.body?.detail), over.text);
    const overByBob = await react(api, bob, m.id, MANY[20]);
    assert.equal(overByBob.status, 422, 'the limit is per message, not per user');

    // one more user on an existing emoji is fine
    const more = await reacted(api, bob, m.id, MANY[0]);
    assert.equal(more.reactions.length, 20);
    assert.equal(more.reactions[0].count, 2);

    // freeing a slot makes room
    await unreacted(api, alice, m.id, MANY[5]);
    const fits = await reacted(api, bob, m.id, MANY[20]);
    assert.equal(fits.reactions.length, 20);
    assert.equal(fits.reactions.at(-1).emoji, MANY[20]);
    const [stored] = await api.history(bob, chat.id);
    assert.equal(stored.reactions.length, 20);
  });

  it('counts exactly and lists the first 10 reacting users, in the order they reacted', async () => {
    const people = await api.users(12, 'crowd');
    const [admin, ...rest] = people;
    const group = await api.groupChat(admin, 'crowd', rest);
    const m = await api.send(admin, group.id, 'vote with 👍');
    for (const u of people) await reacted(api, u, m.id, THUMBS_UP);
    const [stored] = await api.history(admin, group.id);
    assert.equal(stored.reactions.length, 1);
    assert.equal(stored.reactions[0].count, 12);
    assert.deepEqual(stored.reactions[0].user_ids, people.slice(0, 10).map((u) => u.id));
    const after = await unreacted(api, people[0], m.id, THUMBS_UP);
    assert.equal(after.reactions[0].count, 11);
    assert.deepEqual(after.reactions[0].user_ids, people.slice(1, 11).map((u) => u.id));
  });

  it('react and unreact over the WebSocket; refusals are error frames with the REST status', async () => {
    const [alice, bob, eve] = await api.users(3, 'wsreact');
    const chat = await api.privateChat(alice, bob);
    const [a, b, e] = await connect(alice, bob, eve);
    const m = await api.send(alice, chat.id, 'like me');

    b.send('react', { message_id: m.id, emoji: '🔥' });
    const added = await waitMessageEvent(a, 'reaction_changed', m.id, 'alice sees bob\'s reaction');
    const own = await waitMessageEvent(b, 'reaction_changed', m.id, 'bob\'s own connection sees it');
    assert.deepEqual(own.data, added.data);
    assert.equal(added.data.user_id, bob.id);
    assert.equal(added.data.emoji, '🔥');
    assert.equal(added.data.added, true);
    assert.deepEqual(added.data.reactions, [{ emoji: '🔥', count: 1, user_ids: [bob.id] }]);

    const from = a.events.length;
    b.send('unreact', { message_id: m.id, emoji: '🔥' });
    const removed = await waitMessageEvent(a, 'reaction_changed', m.id, 'unreact seen', { from });
    assert.equal(removed.data.added, false);
    assert.deepEqual(removed.data.reactions, []);
    assert.ok(removed.data.change_seq > added.data.change_seq);

    b.send('react', { message_id: m.id, emoji: 'a' });
    let err = await waitError(b, 'react', 0, 'not an emoji');
    assert.equal(err.data.status, 422);
    assert.equal(err.data.field, 'emoji');

    e.send('react', { message_id: m.id, emoji: THUMBS_UP });
    err = await waitError(e, 'react', 0, 'outsider');
    assert.equal(err.data.status, 404);
    assert.equal(err.data.detail, 'Message not found');
    e.send('unreact', { message_id: ABSENT_ID, emoji: THUMBS_UP });
    err = await waitError(e, 'unreact', 0, 'unknown message');
    assert.equal(err.data.status, 404);
    assert.equal(err.data.detail, 'Message not found');

    b.send('ping', {});
    await b.waitFor((x) => x.type === 'pong', 'still open');
    assert.equal(e.of('reaction_changed').length, 0, 'the outsider heard nothing');
    const [stored] = await api.history(alice, chat.id);
    assert.deepEqual(stored.reactions, []);
    for (const conn of [a, b, e]) conn.close();
  });

  it('an outsider gets the same 404 as for a message that does not exist', async () => {
    const [alice, bob, eve] = await api.users(3, 'reactout');
    const chat = await api.privateChat(alice, bob);
    const m = await api.send(alice, chat.id, 'members only');
    await reacted(api, bob, m.id, THUMBS_UP);
    for (const [what, res] of [
      ['PUT by outsider', await react(api, eve, m.id, THUMBS_UP)],
      ['DELETE by outsider', await unreact(api, eve, m.id, THUMBS_UP)],
      ['PUT unknown', await react(api, alice, ABSENT_ID, THUMBS_UP)],
      ['DELETE unknown', await unreact(api, alice, ABSENT_ID, THUMBS_UP)],
    ]) {
      assertStatus(res, 404, MESSAGE_NOT_FOUND, what);
    }
    const [stored] = await api.history(alice, chat.id);
    assert.deepEqual(summary(stored), [[THUMBS_UP, 1, [bob.id]]]);
  });
});
