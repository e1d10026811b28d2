// Resume by change number: a device that was away sends sync {changes: {chat: last change seen}} and gets
// every message that changed since (new, edited, deleted, reactions), in its current state, ordered by change
// number; applied as upserts by id to what the device had, that is exactly what a device that stayed online
// built from live events, and what the history says. The old cursor {chats: {chat: seq}} still works; a chat
// the user left is missing from the answer; more than WS_SYNC_MAX_MESSAGES to replay is resync_required.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachBackend, Api, startServer } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import {
  addMember,
  assertMessageShape,
  assertSameState,
  barrier,
  byId,
  chatOf,
  deleted,
  edited,
  entryOf,
  fullHistory,
  getChat,
  lastChangeSeen,
  reacted,
  removeMember,
  renamed,
  reply,
  stateFromEvents,
  syncOnce,
  unreacted,
  upsert,
  waitMessageEvent,
} from './chat_events.mjs';

/** Applies a sync entry's messages to a copy of `state`, as a client would (upsert by id). */
function applySync(state, entry) {
  const out = new Map(state);
  for (const m of entry.messages) upsert(out, m);
  return out;
}

function assertOrderedByChange(entry, after, what) {
  const changes = entry.messages.map((m) => m.change_seq);
  for (let i = 0; i < changes.length; i++) {
    assert.ok(changes[i] > after, `${what}: change ${changes[i]} is after the cursor ${after}`);
    if (i > 0) assert.ok(changes[i] > changes[i - 1], `${what}: ordered by change number: ${changes}`);
  }
  assert.ok(changes.length === 0 || changes.at(-1) <= entry.last_change, `${what}: none beyond last_change`);
}

forEachBackend('resume by change number', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  async function connect(user) {
    const c = await Client.open(base(), { token: user.token });
    await connectedAs(c);
    return c;
  }

  it('a device that was away applies the sync to what it had and ends where the online device and the history are', async () => {
    const [alice, bob] = await api.users(2, 'resume');
    const chat = await api.privateChat(alice, bob);
    const quiet = await api.groupChat(alice, 'quiet', [bob]);
    const deviceA = await connect(bob); // stays online throughout
    const deviceB = await connect(bob); // goes away

    // before the drop: both devices see the same things live
    const x = [];
    for (let i = 1; i <= 4; i++) x.push(await api.send(i % 2 ? alice : bob, chat.id, `x${i}`));
    await reacted(api, alice, x[0].id, '👍');
    const q = await api.send(alice, quiet.id, 'nothing happens here later');
    await barrier(api, alice, chat.id, [deviceA, deviceB]);
    await waitMessageEvent(deviceB, 'new_message', q.id);
    const stateB = stateFromEvents(deviceB, chat.id);
    const cursor = lastChangeSeen(deviceB, chat.id);
    const quietCursor = lastChangeSeen(deviceB, quiet.id);
    assert.equal(cursor, (await getChat(api, bob, chat.id)).last_change, 'device B was up to date');
    deviceB.close();
    await deviceB.waitClosed();

    // while device B is away
    const x5 = await api.send(alice, chat.id, 'x5');
    const x6 = await api.send(alice, chat.id, 'x6, soon gone');
    await edited(api, alice, x[0].id, 'x1, edited while B was away');
    await edited(api, alice, x5.id, 'x5, edited');
    await deleted(api, bob, x[1].id); // bob's own message, deleted from device A
    await deleted(api, alice, x6.id);
    await reacted(api, alice, x[2].id, '🔥');
    await unreacted(api, alice, x[2].id, '🔥');
    deviceA.send('react', { message_id: x[3].id, emoji: '❤️' });
    await waitMessageEvent(deviceA, 'reaction_changed', x[3].id, 'device A\'s own reaction');
    const x7 = await reply(api, alice, chat.id, 'about x1', x[0].id);
    await reacted(api, bob, x[0].id, '👀'); // reactions do not change a reply's preview
    const fresh = await api.groupChat(alice, 'made while B was away', [bob]);
    const z1 = await api.send(alice, fresh.id, 'z1');
    await api.send(bob, fresh.id, 'z2');
    await edited(api, alice, z1.id, 'z1, edited');
    await waitMessageEvent(deviceA, 'message_edited', z1.id, 'device A has the last change of the new group');
    const last = await barrier(api, alice, chat.id, [deviceA]);

    // device B comes back
    const deviceB2 = await connect(bob);
    const sync = await syncOnce(deviceB2, { changes: { [chat.id]: cursor, [quiet.id]: quietCursor } });
    const entry = entryOf(sync, chat.id);
    assert.ok(entry, 'the chat is in the answer');
    assert.equal(entry.resync_required, false);
    assert.equal(entry.type, 'private');
    assert.equal(entry.last_change, last.change_seq);
    assert.equal(entry.last_change, lastChangeSeen(deviceA, chat.id));
    assert.equal(entry.last_seq, last.seq);
    assertOrderedByChange(entry, cursor, 'chat');
    for (const m of entry.messages) assertMessageShape(m, 'replayed message');

    const history = await fullHistory(api, bob, chat.id);
    assert.deepEqual(
      entry.messages.map((m) => m.id),
      history.filter((m) => m.change_seq > cursor).sort((p, r) => p.change_seq - r.change_seq).map((m) => m.id),
      'exactly the messages that changed since the cursor',
    );
    assert.ok(entry.messages.some((m) => m.id === x[1].id && m.deleted), 'the tombstone of x2');
    assert.ok(entry.messages.some((m) => m.id === x7.id && m.reply_to?.text === 'x1, edited while B was away'));

    const resumed = applySync(stateB, entry);
    const live = stateFromEvents(deviceA, chat.id);
    assertSameState(resumed, live, 'device B after the sync == device A from live events');
    assertSameState(resumed, byId(history), 'device B after the sync == the history');

    // a chat where nothing happened replays nothing
    const quietEntry = entryOf(sync, quiet.id);
    assert.deepEqual(quietEntry.messages, []);
    assert.equal(quietEntry.last_change, quietCursor);
    assert.equal(quietEntry.name, 'quiet');

    // a chat the device did not know yet (not in the map): everything, as from change 0
    const freshEntry = entryOf(sync, fresh.id);
    assert.ok(freshEntry, 'the new group is in the answer');
    assert.equal(freshEntry.type, 'group');
    assert.equal(freshEntry.name, 'made while B was away');
    assertOrderedByChange(freshEntry, 0, 'new group');
    assert.deepEqual(freshEntry.messages.map((m) => m.text), ['z2', 'z1, edited'], 'by change number');
    assertSameState(applySync(new Map(), freshEntry), stateFromEvents(deviceA, fresh.id), 'new group == device A');
    assertSameState(applySync(new Map(), freshEntry), byId(await fullHistory(api, bob, fresh.id)), 'new group == history');

    // then live events, none of them a repeat of what the sync carried
    const syncIndex = deviceB2.events.indexOf(sync);
    await edited(api, alice, x[2].id, 'x3, edited after the resume');
    const ev = await waitMessageEvent(deviceB2, 'message_edited', x[2].id);
    assert.ok(deviceB2.events.indexOf(ev) > syncIndex);
    const repeats = deviceB2.events
      .slice(syncIndex + 1)
      .filter((e) => chatOf(e) === chat.id && Number.isInteger(e.data.change_seq) && e.data.change_seq <= entry.last_change);
    assert.deepEqual(repeats, [], 'nothing the sync covered comes again live');
    deviceA.close();
    deviceB2.close();
  });

  // Alice sends `before` messages, Bob's device resumes from the last of the first six while Alice edits,
  // sends and Bob reacts: every change arrives once, from the answer or live after it.
  async function raceTheSync(prefix, before) {
    const [alice, bob] = await api.users(2, prefix);
    const chat = await api.privateChat(alice, bob);
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await api.send(alice, chat.id, `m${i}`));
    const cursor = sent.at(-1).change_seq;
    for (let i = 6; i < before; i += 20) {
      const batch = Array.from({ length: Math.min(20, before - i) }, (_, k) => api.send(alice, chat.id, `m${i + k}`));
      sent.push(...(await Promise.all(batch)));
    }

    const b = await connect(bob);
    const racing = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6; i++) racing.push(edited(api, alice, sent[i].id, `m${i} r${round}`));
      racing.push(api.send(alice, chat.id, `new ${round}`));
      racing.push(reacted(api, bob, sent[round].id, ['👍', '🔥', '🎉'][round]));
    }
    const sync = await syncOnce(b, { changes: { [chat.id]: cursor } });
    await Promise.all(racing);
    const lastChange = (await getChat(api, bob, chat.id)).last_change;
    await b.waitFor(() => lastChangeSeen(b, chat.id) >= lastChange, 'every change, from the sync or live', 10_000);

    const entry = entryOf(sync, chat.id);
    assert.equal(entry.resync_required, false);
    assert.ok(entry.messages.length >= before - 6, `the answer replays the ${before - 6} messages after the cursor`);
    const state = applySync(new Map(sent.slice(0, 6).map((m) => [m.id, m])), entry);
    const syncIndex = b.events.indexOf(sync);
    stateFromEvents(b, chat.id, syncIndex + 1, state);
    assertSameState(state, byId(await fullHistory(api, bob, chat.id)), 'sync + live == history');
    const liveChanges = b.events
      .slice(syncIndex + 1)
      .filter((e) => chatOf(e) === chat.id && Number.isInteger(e.data?.change_seq))
      .map((e) => e.data.change_seq);
    assert.ok(liveChanges.every((c) => c > entry.last_change), `no live repeat of the sync: ${liveChanges} vs ${entry.last_change}`);
    assert.equal(new Set(liveChanges).size, liveChanges.length, 'no change twice');
    b.close();
  }

  it('changes that race the sync are neither lost nor repeated', async () => {
    await raceTheSync('race', 6);
  });

  it('a long replay (encoded away from the connections\' thread) holds the changes that race it until after it', async () => {
    await raceTheSync('racelong', 400);
  });

  it('a chat the user was removed from is missing from the answer; renames and new members show in it', async () => {
    const [alice, bob, carol] = await api.users(3, 'resmem');
    const gone = await api.groupChat(alice, 'bob will be removed', [bob]);
    const kept = await api.groupChat(alice, 'old name', [bob]);
    const m = await api.send(alice, kept.id, 'hello');
    const b = await connect(bob);
    await syncOnce(b, {}); // what the device knows: everything up to each chat's last_change
    await barrier(api, alice, gone.id, [b]);
    const goneCursor = lastChangeSeen(b, gone.id);
    const keptCursor = lastChangeSeen(b, kept.id);
    b.close();
    await b.waitClosed();

    await removeMember(api, alice, gone.id, bob);
    await api.send(alice, gone.id, 'after bob');
    await renamed(api, alice, kept.id, 'new name');
    await addMember(api, alice, kept.id, carol);

    const b2 = await connect(bob);
    const sync = await syncOnce(b2, { changes: { [gone.id]: goneCursor, [kept.id]: keptCursor } });
    assert.equal(entryOf(sync, gone.id), undefined, 'no entry for a chat bob is no longer in');
    const entry = entryOf(sync, kept.id);
    assert.equal(entry.name, 'new name');
    assert.deepEqual(entry.members.map((x) => x.id).sort((p, q) => p - q), [alice.id, bob.id, carol.id].sort((p, q) => p - q));
    assert.equal(entry.last_change, keptCursor + 2, 'the rename and the new member are two changes');
    assert.deepEqual(entry.messages, [], 'no message changed');
    assert.equal(entry.last_seq, m.seq);
    b2.close();
  });

  it('the old cursor {chats: {chat: seq}} still replays the messages after that seq, in order', async () => {
    const [alice, bob] = await api.users(2, 'oldsync');
    const chat = await api.privateChat(alice, bob);
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await api.send(alice, chat.id, `m${i}`));
    const b = await connect(bob);
    const sync = await syncOnce(b, { chats: { [chat.id]: 2 } });
    const entry = entryOf(sync, chat.id);
    assert.equal(entry.resync_required, false);
    assert.equal(entry.last_seq, 6);
    assert.deepEqual(entry.messages.map((m) => m.id), sent.slice(2).map((m) => m.id));
    assert.deepEqual(entry.messages.map((m) => m.text), ['m2', 'm3', 'm4', 'm5']);
    b.close();
  });

  it('the old cursor gives the replayed messages in their current state, by seq', async () => {
    const [alice, bob] = await api.users(2, 'oldsync2');
    const chat = await api.privateChat(alice, bob);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await api.send(alice, chat.id, `m${i}`));
    await edited(api, alice, sent[3].id, 'm3, edited');
    await edited(api, alice, sent[0].id, 'm0, edited'); // before the old cursor: an old client does not get it
    await deleted(api, alice, sent[2].id);
    await reacted(api, bob, sent[4].id, '👍');
    const b = await connect(bob);
    const sync = await syncOnce(b, { chats: { [chat.id]: 1 } });
    const entry = entryOf(sync, chat.id);
    assert.deepEqual(entry.messages.map((m) => m.seq), [2, 3, 4, 5], 'by seq');
    assert.deepEqual(entry.messages.map((m) => m.text), ['m1', null, 'm3, edited', 'm4']);
    assert.equal(entry.messages[1].deleted, true);
    assert.deepEqual(entry.messages[3].reactions, [{ emoji: '👍', count: 1, user_ids: [bob.id] }]);
    const history = byId(await fullHistory(api, bob, chat.id));
    for (const m of entry.messages) assert.deepEqual(history.get(m.id), byId([m]).get(m.id));
    b.close();
  });

  it('without a cursor for a chat, or with both kinds, the change cursor rules; a missing chat starts at 0', async () => {
    const [alice, bob, carol] = await api.users(3, 'mixsync');
    const one = await api.privateChat(alice, bob);
    const two = await api.privateChat(carol, bob);
    const three = await api.groupChat(alice, 'three', [bob, carol]);
    const a = [];
    for (let i = 0; i < 3; i++) a.push(await api.send(alice, one.id, `one ${i}`));
    await edited(api, alice, a[0].id, 'one 0, edited');
    const c = [];
    for (let i = 0; i < 3; i++) c.push(await api.send(carol, two.id, `two ${i}`));
    await edited(api, carol, c[0].id, 'two 0, edited');
    const t = await api.send(alice, three.id, 'three 0');
    await edited(api, alice, t.id, 'three 0, edited');

    const b = await connect(bob);
    // no cursor at all: every message of every chat, by change number
    let sync = await syncOnce(b, {});
    assert.deepEqual(entryOf(sync, one.id).messages.map((m) => m.text), ['one 1', 'one 2', 'one 0, edited']);
    sync = await syncOnce(b, { changes: {} });
    assert.deepEqual(entryOf(sync, two.id).messages.map((m) => m.text), ['two 1', 'two 2', 'two 0, edited']);

    // one chat by change number, one by seq, one in both (the change cursor wins), the group in neither
    const oneChange = a[1].change_seq; // after: one 2 (send), one 0 (edit)
    sync = await syncOnce(b, {
      changes: { [one.id]: oneChange, [two.id]: c[2].change_seq },
      chats: { [two.id]: 0, [three.id]: 1 },
    });
    assert.deepEqual(entryOf(sync, one.id).messages.map((m) => m.text), ['one 2', 'one 0, edited']);
    assert.deepEqual(entryOf(sync, two.id).messages.map((m) => m.text), ['two 0, edited'], 'changes wins over chats');
    assert.deepEqual(entryOf(sync, three.id).messages, [], 'seq cursor 1: nothing after seq 1');
    for (const e of sync.data.chats) {
      for (const key of ['chat_id', 'type', 'name', 'last_seq', 'last_change', 'last_read_seq', 'unread_count', 'resync_required', 'members', 'messages']) {
        assert.ok(key in e, `sync entry has ${key}: ${JSON.stringify(e).slice(0, 300)}`);
      }
    }
    assert.ok(Array.isArray(sync.data.online_user_ids));

    // a malformed change cursor is an error frame, and the connection stays usable
    const from = b.events.length;
    b.send('sync', { changes: { [one.id]: 'latest' } });
    const err = await b.waitFor((e) => b.events.indexOf(e) >= from && e.type === 'error' && e.data.action === 'sync', 'error');
    assert.equal(err.data.status, 422);
    assert.equal(err.data.field, 'changes');
    b.close();
  });
});

forEachBackend(
  'resume by change number with a replay limit of 5',
  (ctx) => {
    let server;
    const api = new Api(() => server);
    before(async () => {
      server = await startServer(ctx.backend, { env: { WS_SYNC_MAX_MESSAGES: '5' } });
    });
    after(async () => server?.stop());

    async function setup(prefix, count) {
      const [alice, bob] = await api.users(2, prefix);
      const chat = await api.privateChat(alice, bob);
      const sent = [];
      for (let i = 0; i < count; i++) sent.push(await api.send(alice, chat.id, `m${i}`));
      return { alice, bob, chat, sent, cursor: sent.at(-1).change_seq };
    }
    async function syncAs(user, data) {
      const c = await Client.open(server.baseUrl, { token: user.token });
      await connectedAs(c);
      const sync = await syncOnce(c, data);
      c.close();
      return sync;
    }

    it('more than 5 messages changed since the cursor (edits only, no new message): resync_required', async () => {
      const { alice, bob, chat, sent, cursor } = await setup('lim6', 6);
      for (const m of sent) await edited(api, alice, m.id, `${m.text}, edited`);
      const entry = entryOf(await syncAs(bob, { changes: { [chat.id]: cursor } }), chat.id);
      assert.equal(entry.resync_required, true);
      assert.deepEqual(entry.messages, [], 'no partial replay that would look complete');
      assert.equal(entry.last_change, cursor + 6);
      assert.equal(entry.last_seq, 6);
      // the history is the way back
      assert.deepEqual((await fullHistory(api, bob, chat.id)).map((m) => m.text), sent.map((m) => `${m.text}, edited`));
    });

    it('exactly 5 messages to replay: replayed', async () => {
      const { alice, bob, chat, sent, cursor } = await setup('lim5', 6);
      for (const m of sent.slice(1)) await edited(api, alice, m.id, `${m.text}, edited`);
      const entry = entryOf(await syncAs(bob, { changes: { [chat.id]: cursor } }), chat.id);
      assert.equal(entry.resync_required, false);
      assert.deepEqual(entry.messages.map((m) => m.id), sent.slice(1).map((m) => m.id));
    });

    it('many changes to one message are one message to replay', async () => {
      const { alice, bob, chat, sent, cursor } = await setup('limone', 2);
      for (let i = 0; i < 8; i++) await edited(api, alice, sent[0].id, `version ${i}`);
      await reacted(api, bob, sent[0].id, '👍');
      await reacted(api, alice, sent[0].id, '🔥');
      const entry = entryOf(await syncAs(bob, { changes: { [chat.id]: cursor } }), chat.id);
      assert.equal(entry.resync_required, false, '10 changes, but one message');
      assert.equal(entry.messages.length, 1);
      assert.equal(entry.messages[0].text, 'version 7');
      assert.equal(entry.messages[0].reactions.length, 2);
      assert.equal(entry.messages[0].change_seq, cursor + 10);
    });

    it('the old cursor keeps its limit too', async () => {
      const { bob, chat } = await setup('limold', 8);
      const entry = entryOf(await syncAs(bob, { chats: { [chat.id]: 1 } }), chat.id);
      assert.equal(entry.resync_required, true);
      assert.deepEqual(entry.messages, []);
      const near = entryOf(await syncAs(bob, { chats: { [chat.id]: 3 } }), chat.id);
      assert.equal(near.resync_required, false);
      assert.deepEqual(near.messages.map((m) => m.seq), [4, 5, 6, 7, 8]);
    });
  },
  { start: false },
);
