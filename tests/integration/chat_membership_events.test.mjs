// Membership as members see it live: chat_created when a private chat or a group is opened with you,
// member_added to everyone (the new member too), member_removed to the remaining members and to the removed
// one, who from then on hears nothing of that chat on any connection, and chat_updated when a group is renamed
// with PATCH /chats/{id} (admins of groups only).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBackend } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import {
  ABSENT_ID,
  CHAT_NOT_FOUND,
  addMember,
  assertStatus,
  assertValidation,
  barrier,
  chatOf,
  edited,
  eventsOf,
  getChat,
  reacted,
  deleted,
  removeMember,
  renameChat,
  renamed,
  syncOnce,
} from './chat_events.mjs';

const ids = (...users) => users.map((u) => u.id).sort((a, b) => a - b);
const memberIds = (chat) => chat.members.map((m) => m.id).sort((a, b) => a - b);

/** The parts of a chat that every member sees alike. */
const sharedView = (chat) => ({
  id: chat.id,
  type: chat.type,
  name: chat.name,
  created_by: chat.created_by,
  members: memberIds(chat),
  last_change: chat.last_change,
});

forEachBackend('membership events', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  async function connect(...users) {
    const clients = [];
    for (const u of users) clients.push(await Client.open(base(), { token: u.token }));
    await Promise.all(clients.map(connectedAs));
    return clients;
  }

  it('opening a private chat tells both sides with chat_created, once', async () => {
    const [alice, bob] = await api.users(2, 'created');
    const [a, b] = await connect(alice, bob);
    const res = await api.post('/api/v1/chats/private', { token: alice.token, json: { recipient_id: bob.id } });
    assert.equal(res.status, 201, res.text);
    const chat = res.body;
    assert.ok(Number.isInteger(chat.last_change), `the chat has last_change: ${res.text}`);

    for (const [who, conn] of [['alice', a], ['bob', b]]) {
      const ev = await conn.waitFor((e) => e.type === 'chat_created' && e.data.chat?.id === chat.id, `chat_created for ${who}`);
      assert.equal(ev.data.chat.type, 'private');
      assert.deepEqual(memberIds(ev.data.chat), ids(alice, bob));
      assert.deepEqual(sharedView(ev.data.chat), sharedView(await getChat(api, bob, chat.id)));
    }

    // opening it again (either side) is not a new chat
    const again = await api.post('/api/v1/chats/private', { token: bob.token, json: { recipient_id: alice.id } });
    assert.equal(again.status, 200, again.text);
    // the first message in it reaches bob without any sync
    await barrier(api, alice, chat.id, [a, b]);
    assert.equal(b.of('chat_created').length, 1, 'no second chat_created');
    assert.equal(a.of('chat_created').length, 1, 'no second chat_created');
    a.close();
    b.close();
  });

  it('a new group tells every member with chat_created, and its messages reach them right away', async () => {
    const [alice, bob, carol, eve] = await api.users(4, 'gcreated');
    const [a, b, c, e] = await connect(alice, bob, carol, eve);
    const group = await api.groupChat(alice, 'launch', [bob, carol]);
    for (const [who, conn] of [['alice', a], ['bob', b], ['carol', c]]) {
      const ev = await conn.waitFor((x) => x.type === 'chat_created' && x.data.chat?.id === group.id, `chat_created for ${who}`);
      assert.equal(ev.data.chat.type, 'group');
      assert.equal(ev.data.chat.name, 'launch');
      assert.deepEqual(memberIds(ev.data.chat), ids(alice, bob, carol));
      assert.equal(ev.data.chat.members.find((m) => m.id === alice.id).role, 'admin');
      assert.ok(Number.isInteger(ev.data.chat.last_change));
    }
    await barrier(api, bob, group.id, [a, b, c]);
    assert.equal(eventsOf(e, group.id).length, 0, 'someone outside the group hears nothing of it');
    for (const conn of [a, b, c, e]) conn.close();
  });

  it('adding a member tells everyone, the new member included, with member_added', async () => {
    const [alice, bob, carol] = await api.users(3, 'added');
    const group = await api.groupChat(alice, 'grows', [bob]);
    await api.send(alice, group.id, 'before carol');
    const [a, b, c] = await connect(alice, bob, carol);

    const chat = await addMember(api, alice, group.id, carol);
    assert.ok(Number.isInteger(chat.last_change));
    const seen = [];
    for (const [who, conn] of [['alice', a], ['bob', b], ['carol', c]]) {
      const ev = await conn.waitFor((x) => x.type === 'member_added' && x.data.chat_id === group.id, `member_added for ${who}`);
      assert.equal(ev.data.user_id, carol.id);
      assert.equal(ev.data.by, alice.id);
      assert.ok(Number.isInteger(ev.data.change_seq));
      assert.deepEqual(memberIds(ev.data.chat), ids(alice, bob, carol));
      assert.equal(ev.data.chat.id, group.id);
      assert.equal(ev.data.chat.name, 'grows');
      seen.push(ev.data.change_seq);
    }
    assert.equal(new Set(seen).size, 1, 'one change, one number');
    assert.equal(chat.last_change, seen[0], 'the answer carries the change');
    assert.equal((await getChat(api, carol, group.id)).last_change, seen[0]);

    // from now on carol gets the chat's events
    const m = await barrier(api, bob, group.id, [a, b, c]);
    assert.ok(m.change_seq > seen[0]);
    for (const conn of [a, b, c]) conn.close();
  });

  it('removing a member tells the remaining members and the removed one; then the removed one hears nothing of it', async () => {
    const [alice, bob, carol] = await api.users(3, 'removed');
    const group = await api.groupChat(alice, 'shrinks', [bob, carol]);
    const elsewhere = await api.privateChat(alice, carol); // the barrier: a chat carol stays in
    const kept = await api.send(alice, group.id, 'carol saw this');
    const [a, b, carolPhone, carolLaptop] = await connect(alice, bob, carol, carol);
    const carols = [carolPhone, carolLaptop];

    await removeMember(api, alice, group.id, carol);
    const removedEvents = [];
    for (const [who, conn] of [['alice', a], ['bob', b], ['carol phone', carolPhone], ['carol laptop', carolLaptop]]) {
      const ev = await conn.waitFor((x) => x.type === 'member_removed' && x.data.chat_id === group.id, `member_removed for ${who}`);
      assert.deepEqual(
        { user_id: ev.data.user_id, by: ev.data.by, chat_id: ev.data.chat_id },
        { user_id: carol.id, by: alice.id, chat_id: group.id },
      );
      assert.ok(Number.isInteger(ev.data.change_seq));
      removedEvents.push(ev);
    }
    assert.equal(new Set(removedEvents.map((e) => e.data.change_seq)).size, 1);
    const marks = carols.map((conn) => conn.events.indexOf(removedEvents[2 + carols.indexOf(conn)]) + 1);

    // everything that can happen in the chat afterwards
    const m1 = await api.send(alice, group.id, 'carol must not see this');
    b.send('mark_read', { chat_id: group.id }); // before bob's own send, which may move his read position itself
    await a.waitFor((x) => x.type === 'message_read' && x.data.chat_id === group.id && x.data.user_id === bob.id, 'read receipt');
    b.send('send_message', { chat_id: group.id, text: 'nor this', client_message_id: 'after-1' });
    await b.waitFor((x) => x.type === 'message_sent', 'bob\'s ack');
    b.send('typing', { chat_id: group.id, is_typing: true });
    await a.waitFor((x) => x.type === 'typing_indicator' && x.data.chat_id === group.id, 'typing reaches alice');
    await edited(api, alice, m1.id, 'still not for carol');
    await reacted(api, bob, m1.id, '👀');
    await deleted(api, alice, m1.id);
    await edited(api, alice, kept.id, 'edited after carol left');
    await renamed(api, alice, group.id, 'without carol');
    const last = await api.send(bob, group.id, 'the last word');
    await a.waitFor((x) => x.type === 'new_message' && x.data.id === last.id, 'alice has the last group event');

    // an event on another chat of carol's, after all of those, reached both her connections
    await barrier(api, alice, elsewhere.id, carols);
    for (const [i, conn] of carols.entries()) {
      const leaked = conn.events.slice(marks[i]).filter((x) => chatOf(x) === group.id);
      assert.deepEqual(leaked, [], `carol's connection ${i} got nothing of the group after her removal`);
    }
    // and a resume does not bring the chat back
    const sync = await syncOnce(carolPhone, { changes: { [group.id]: removedEvents[0].data.change_seq } });
    assert.ok(!sync.data.chats.some((x) => x.chat_id === group.id), 'the group is not in carol\'s sync');
    assert.ok(sync.data.chats.some((x) => x.chat_id === elsewhere.id));
    for (const conn of [a, b, ...carols]) conn.close();
  });

  it('leaving tells the others and the one who left, with by == user_id', async () => {
    const [alice, bob, carol] = await api.users(3, 'leave');
    const group = await api.groupChat(alice, 'leavers', [bob, carol]);
    const [a, b, c] = await connect(alice, bob, carol);
    const res = await api.post(`/api/v1/chats/${group.id}/leave`, { token: bob.token });
    assert.equal(res.status, 200, res.text);
    for (const [who, conn] of [['alice', a], ['bob', b], ['carol', c]]) {
      const ev = await conn.waitFor((x) => x.type === 'member_removed' && x.data.chat_id === group.id, `member_removed for ${who}`);
      assert.equal(ev.data.user_id, bob.id);
      assert.equal(ev.data.by, bob.id);
    }
    // removing oneself with DELETE /members/{own id} is leaving too
    const self = await api.delete(`/api/v1/chats/${group.id}/members/${carol.id}`, { token: carol.token });
    assert.equal(self.status, 200, self.text);
    const ev = await a.waitFor((x) => x.type === 'member_removed' && x.data.user_id === carol.id, 'carol left');
    assert.equal(ev.data.by, carol.id);
    for (const conn of [a, b, c]) conn.close();
  });

  it('renames a group with PATCH /chats/{id}: members get chat_updated; members 403, private chats 400, bad names 422', async () => {
    const [alice, bob, eve] = await api.users(3, 'rename');
    const group = await api.groupChat(alice, 'old name', [bob]);
    const priv = await api.privateChat(alice, bob);
    const [a, b, e] = await connect(alice, bob, eve);

    const res = await renameChat(api, alice, group.id, 'Новое имя 🎉');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, group.id);
    assert.equal(res.body.name, 'Новое имя 🎉');
    assert.equal(res.body.type, 'group');
    assert.deepEqual(memberIds(res.body), ids(alice, bob));
    assert.ok(Number.isInteger(res.body.last_change));
    for (const [who, conn] of [['alice', a], ['bob', b]]) {
      const ev = await conn.waitFor((x) => x.type === 'chat_updated' && x.data.chat_id === group.id, `chat_updated for ${who}`);
      assert.equal(ev.data.chat.name, 'Новое имя 🎉');
      assert.equal(ev.data.change_seq, res.body.last_change);
      assert.equal(ev.data.chat.id, group.id);
    }
    assert.equal((await getChat(api, bob, group.id)).name, 'Новое имя 🎉');
    assert.equal((await api.chatFromList(bob, group.id)).name, 'Новое имя 🎉');

    assertStatus(await renameChat(api, bob, group.id, 'bob\'s now'), 403, undefined, 'a plain member');
    assertStatus(await renameChat(api, alice, priv.id, 'us'), 400, undefined, 'a private chat');
    assertStatus(await renameChat(api, bob, priv.id, 'us'), 400, undefined, 'a private chat, other side');
    assertStatus(await renameChat(api, eve, group.id, 'mine'), 404, CHAT_NOT_FOUND, 'an outsider');
    assertStatus(await renameChat(api, eve, ABSENT_ID, 'mine'), 404, CHAT_NOT_FOUND, 'no such chat');

    const patch = (json) => api.request('PATCH', `/api/v1/chats/${group.id}`, { token: alice.token, json });
    assertValidation(await patch({ name: '' }), 'body', 'name', 'empty name');
    assertValidation(await patch({ name: '   ' }), 'body', 'name', 'blank name');
    assertValidation(await patch({ name: 'x'.repeat(101) }), 'body', 'name', '101 characters');
    assertValidation(await patch({ name: 5 }), 'body', 'name', 'name as number');
    assertValidation(await patch({ name: null }), 'body', 'name', 'name null');
    assertValidation(await patch({}), 'body', 'name', 'no name');
    assertValidation(
      await api.request('PATCH', '/api/v1/chats/abc', { token: alice.token, json: { name: 'x' } }),
      'path',
      'chat_id',
      'chat id abc',
    );
    const longest = await renamed(api, alice, group.id, 'я'.repeat(100));
    assert.equal(longest.name, 'я'.repeat(100));

    await barrier(api, alice, group.id, [a, b]);
    assert.equal(b.of('chat_updated').length, 2, 'one chat_updated per successful rename');
    assert.equal(eventsOf(e, group.id).length, 0);
    assert.equal(eventsOf(e, priv.id).length, 0);
    for (const conn of [a, b, e]) conn.close();
  });
});
