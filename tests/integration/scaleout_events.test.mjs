// The chat events across two server processes sharing one PostgreSQL and one Redis: edits, deletes, replies,
// reactions and membership changes made on one process reach members connected to the other; a member
// removed from a chat hears nothing more of it on any connection of any process; a device that resumes on
// the other process catches up by change number. Each run has a redis-server of its own.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, startServer, sleep } from './harness.mjs';
import { RedisServer } from './redis_server.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import {
  addMember,
  assertSameState,
  barrier,
  byId,
  chatOf,
  deleted,
  edited,
  entryOf,
  fullHistory,
  lastChangeSeen,
  reacted,
  removeMember,
  renamed,
  stable,
  stateFromEvents,
  syncOnce,
  upsert,
  waitMessageEvent,
} from './chat_events.mjs';

const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;
const skip = pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")';
if (!pgUrl && process.env.CI === 'true') throw new Error('CI=true requires WINDI_TEST_POSTGRES_URL');

describe('chat events across two server processes through Redis [postgresql]', { skip }, () => {
  const redis = new RedisServer();
  let a;
  let b;
  let apiA;
  let apiB;
  before(async () => {
    await redis.start();
    const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url: pgUrl };
    const env = { REDIS_URL: `redis://127.0.0.1:${redis.port}` };
    a = await startServer(backend, { env });
    b = await startServer(backend, { env, secretKey: a.secretKey });
    apiA = new Api(a);
    apiB = new Api(b);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis.stop();
  });

  async function on(server, user) {
    const c = await Client.open(server.baseUrl, { token: user.token });
    await connectedAs(c);
    return c;
  }

  it('edits, deletes, replies and reactions made on one process reach members on the other', async () => {
    const [alice, bob] = await apiA.users(2, 'xpe');
    const chat = await apiA.privateChat(alice, bob);
    const onA = await on(a, alice);
    const onB = await on(b, bob);
    const m = await apiA.send(alice, chat.id, 'draft');
    await waitMessageEvent(onB, 'new_message', m.id, 'A -> B');

    onA.send('edit_message', { message_id: m.id, text: 'final' });
    const edit = await waitMessageEvent(onB, 'message_edited', m.id, 'socket edit on A reaches B');
    assert.equal(edit.data.text, 'final');
    assert.ok(edit.data.edited_at);

    await reacted(apiB, bob, m.id, '👍');
    const r1 = await waitMessageEvent(onA, 'reaction_changed', m.id, 'REST reaction on B reaches A');
    assert.deepEqual(r1.data.reactions, [{ emoji: '👍', count: 1, user_ids: [bob.id] }]);
    onB.send('react', { message_id: m.id, emoji: '🔥' });
    const r2 = await waitMessageEvent(onA, 'reaction_changed', m.id, 'socket reaction on B reaches A', {
      match: (e) => e.data.emoji === '🔥',
    });
    assert.equal(r2.data.reactions.length, 2);

    onB.send('send_message', { chat_id: chat.id, text: 'replying', client_message_id: 'xr-1', reply_to: m.id });
    const replyEv = await onA.waitFor((e) => e.type === 'new_message' && e.data.client_message_id === 'xr-1', 'reply B -> A');
    assert.deepEqual(replyEv.data.reply_to, { id: m.id, sender_id: alice.id, sender_username: alice.username, text: 'final', deleted: false });

    const t = await deleted(apiA, alice, m.id);
    const del = await waitMessageEvent(onB, 'message_deleted', m.id, 'delete on A reaches B');
    assert.deepEqual(stable(del.data), stable(t));
    const own = await waitMessageEvent(onA, 'message_deleted', m.id, 'and the deleting side');
    assert.equal(own.data.deleted, true);
    onA.close();
    onB.close();
  });

  it('chat_created, member_added, chat_updated and member_removed reach members on the other process', async () => {
    const [alice, bob, carol] = await apiA.users(3, 'xpm');
    const onA = await on(a, alice);
    const bobOnB = await on(b, bob);
    const carolOnB = await on(b, carol);

    const group = await apiA.groupChat(alice, 'across', [bob]);
    await bobOnB.waitFor((e) => e.type === 'chat_created' && e.data.chat?.id === group.id, 'chat_created on B');
    const priv = await apiA.privateChat(alice, carol);
    await carolOnB.waitFor((e) => e.type === 'chat_created' && e.data.chat?.id === priv.id, 'private chat_created on B');

    await addMember(apiA, alice, group.id, carol);
    for (const [who, c] of [['alice on A', onA], ['bob on B', bobOnB], ['carol on B', carolOnB]]) {
      const ev = await c.waitFor((e) => e.type === 'member_added' && e.data.chat_id === group.id, `member_added to ${who}`);
      assert.equal(ev.data.user_id, carol.id);
    }
    await renamed(apiB, alice, group.id, 'renamed on B');
    const upd = await onA.waitFor((e) => e.type === 'chat_updated' && e.data.chat_id === group.id, 'chat_updated B -> A');
    assert.equal(upd.data.chat.name, 'renamed on B');

    await removeMember(apiB, alice, group.id, bob);
    for (const [who, c] of [['alice on A', onA], ['bob on B', bobOnB], ['carol on B', carolOnB]]) {
      const ev = await c.waitFor((e) => e.type === 'member_removed' && e.data.chat_id === group.id, `member_removed to ${who}`);
      assert.equal(ev.data.user_id, bob.id);
      assert.equal(ev.data.by, alice.id);
    }
    for (const c of [onA, bobOnB, carolOnB]) c.close();
  });

  it('a member added on one process gets the chat\'s messages from member_added on, even those sent at once', async () => {
    const [alice, dave] = await apiA.users(2, 'xjoin');
    const onA = await on(a, alice);
    const daveOnB = await on(b, dave);
    const group = await apiA.groupChat(alice, 'joined late', []);
    await addMember(apiA, alice, group.id, dave);
    // Sent without waiting: process B may not follow the chat yet when the first of them is published.
    for (let i = 0; i < 5; i++) onA.send('send_message', { chat_id: group.id, text: `right away ${i}`, client_message_id: `join-${i}` });
    await daveOnB.waitFor((e) => e.type === 'member_added' && e.data.chat_id === group.id, 'member_added on B');
    for (let i = 0; i < 5; i++) {
      await daveOnB.waitFor((e) => e.type === 'new_message' && e.data.client_message_id === `join-${i}`, `message ${i} on B`);
    }
    const first = daveOnB.events.findIndex((e) => e.type === 'member_added' && e.data.chat_id === group.id);
    const firstMessage = daveOnB.events.findIndex((e) => e.type === 'new_message' && e.data.chat_id === group.id);
    assert.ok(first < firstMessage, 'member_added comes before the chat\'s messages');
    onA.close();
    daveOnB.close();
  });

  it('a removed member hears nothing more of the chat, on any connection of either process', async () => {
    const [alice, bob, carol, dave] = await apiA.users(4, 'xpr');
    const group = await apiA.groupChat(alice, 'shrinking', [bob, carol, dave]);
    const elsewhere = await apiA.privateChat(alice, carol);
    const kept = await apiA.send(alice, group.id, 'carol saw this one');
    const aliceOnA = await on(a, alice);
    const daveOnA = await on(a, dave); // observers on both processes
    const bobOnB = await on(b, bob);
    const carolOnA = await on(a, carol);
    const carolOnB = await on(b, carol);
    const carols = [carolOnA, carolOnB];
    const observers = [daveOnA, bobOnB];

    await removeMember(apiA, alice, group.id, carol);
    const marks = [];
    for (const c of carols) {
      const ev = await c.waitFor((e) => e.type === 'member_removed' && e.data.chat_id === group.id, 'carol told she was removed');
      assert.equal(ev.data.user_id, carol.id);
      marks.push(c.events.indexOf(ev) + 1);
    }

    const m1 = await apiA.send(alice, group.id, 'not for carol (A)');
    bobOnB.send('send_message', { chat_id: group.id, text: 'not for carol (B)', client_message_id: 'x-1' });
    await bobOnB.waitFor((e) => e.type === 'message_sent', 'ack on B');
    bobOnB.send('typing', { chat_id: group.id, is_typing: true });
    await daveOnA.waitFor((e) => e.type === 'typing_indicator' && e.data.chat_id === group.id, 'typing B -> A');
    aliceOnA.send('typing', { chat_id: group.id, is_typing: true });
    await bobOnB.waitFor((e) => e.type === 'typing_indicator' && e.data.user_id === alice.id, 'typing A -> B');
    await edited(apiB, alice, m1.id, 'edited on B');
    await edited(apiA, alice, kept.id, 'edited on A');
    aliceOnA.send('react', { message_id: m1.id, emoji: '👀' });
    await reacted(apiB, bob, m1.id, '🔥');
    await deleted(apiB, alice, m1.id);
    await renamed(apiA, alice, group.id, 'without carol');
    const lastA = await apiA.send(dave, group.id, 'last on A');
    const lastB = await apiB.send(bob, group.id, 'last on B');
    for (const c of observers) {
      await waitMessageEvent(c, 'new_message', lastA.id, 'the last group event from A');
      await waitMessageEvent(c, 'new_message', lastB.id, 'the last group event from B');
    }

    // a later event of another chat reached both of carol's connections: everything before it was delivered
    await barrier(apiA, alice, elsewhere.id, carols);
    await barrier(apiB, alice, elsewhere.id, carols);
    for (const [i, c] of carols.entries()) {
      const leaked = c.events.slice(marks[i]).filter((e) => chatOf(e) === group.id);
      assert.deepEqual(leaked, [], `carol's connection on process ${'AB'[i]} got nothing of the group after her removal`);
    }
    for (const c of [aliceOnA, ...observers, ...carols]) c.close();
  });

  it('a device that resumes on the other process catches up by change number', async () => {
    const [alice, bob] = await apiA.users(2, 'xps');
    const chat = await apiA.privateChat(alice, bob);
    const stays = await on(a, bob);
    const away = await on(b, bob);
    const sent = [];
    for (let i = 0; i < 4; i++) sent.push(await apiA.send(alice, chat.id, `m${i}`));
    await barrier(apiB, alice, chat.id, [stays, away]);
    const stateAway = stateFromEvents(away, chat.id);
    const cursor = lastChangeSeen(away, chat.id);
    away.close();
    await away.waitClosed();

    await edited(apiA, alice, sent[0].id, 'm0 edited on A');
    await deleted(apiB, alice, sent[1].id);
    await reacted(apiA, bob, sent[2].id, '👍');
    await apiB.send(alice, chat.id, 'new on B');
    await barrier(apiA, alice, chat.id, [stays]);

    const back = await on(b, bob);
    const sync = await syncOnce(back, { changes: { [chat.id]: cursor } });
    const entry = entryOf(sync, chat.id);
    assert.equal(entry.resync_required, false);
    const state = new Map(stateAway);
    for (const m of entry.messages) upsert(state, m);
    assertSameState(state, stateFromEvents(stays, chat.id), 'resumed on B == stayed on A');
    assertSameState(state, byId(await fullHistory(apiB, bob, chat.id)), 'resumed == history');
    stays.close();
    back.close();
  });
});
