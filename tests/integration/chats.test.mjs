// Private and group chats, membership, the chat list, unread counts and read receipts, and what an
// outsider can (not) see.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBackend } from './harness.mjs';

const ABSENT_CHAT = 2_000_000_000;
const ABSENT_MESSAGE = 2_000_000_000;

function assertChatNotFound(res, what) {
  assert.equal(res.status, 404, `${what}: ${res.text}`);
  assert.deepEqual(res.body, { detail: 'Chat not found' }, what);
}

function assertMessageNotFound(res, what) {
  assert.equal(res.status, 404, `${what}: ${res.text}`);
  assert.deepEqual(res.body, { detail: 'Message not found' }, what);
}

function assertValidation(res, location, field) {
  assert.equal(res.status, 422, res.text);
  assert.ok(Array.isArray(res.body?.detail), `422 detail is a list: ${res.text}`);
  if (location) {
    assert.ok(
      res.body.detail.some((d) => d.loc?.[0] === location && (field === undefined || d.loc.includes(field))),
      `a detail with loc [${location}, ${field}]: ${res.text}`,
    );
  }
}

const memberIds = (chat) => chat.members.map((m) => m.id).sort((a, b) => a - b);
const ids = (...users) => users.map((u) => u.id).sort((a, b) => a - b);

forEachBackend('chats', (ctx) => {
  const { api } = ctx;

  it('opens one private chat per pair: 201 the first time, 200 with the same chat after, from either side', async () => {
    const [alice, bob] = await api.users(2, 'pc');
    const first = await api.post('/api/v1/chats/private', { token: alice.token, json: { recipient_id: bob.id } });
    assert.equal(first.status, 201, first.text);
    const chat = first.body;
    assert.ok(Number.isInteger(chat.id));
    assert.equal(chat.type, 'private');
    assert.equal(chat.name, null);
    assert.equal(chat.created_by, alice.id);
    assert.equal(typeof chat.created_at, 'string');
    assert.deepEqual(memberIds(chat), ids(alice, bob));
    for (const m of chat.members) {
      assert.equal(typeof m.username, 'string');
      assert.ok(['admin', 'member'].includes(m.role), m.role);
    }

    const again = await api.post('/api/v1/chats/private', { token: alice.token, json: { recipient_id: bob.id } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, chat.id);

    const reverse = await api.post('/api/v1/chats/private', { token: bob.token, json: { recipient_id: alice.id } });
    assert.equal(reverse.status, 200, reverse.text);
    assert.equal(reverse.body.id, chat.id);

    // concurrent opens of a new pair still end in one chat
    const [c, d] = await api.users(2, 'pcc');
    const racing = await Promise.all([
      api.post('/api/v1/chats/private', { token: c.token, json: { recipient_id: d.id } }),
      api.post('/api/v1/chats/private', { token: d.token, json: { recipient_id: c.id } }),
      api.post('/api/v1/chats/private', { token: c.token, json: { recipient_id: d.id } }),
    ]);
    assert.deepEqual(
      racing.map((r) => r.status).sort(),
      [200, 200, 201],
      racing.map((r) => `${r.status} ${r.text}`).join('\n'),
    );
    assert.equal(new Set(racing.map((r) => r.body.id)).size, 1, 'one chat for the pair');
    assert.equal((await api.chats(c)).length, 1);
  });

  it('refuses a private chat with oneself (422), with nobody (404) or with a bad id (422)', async () => {
    const alice = await api.user('pcx');
    const self = await api.post('/api/v1/chats/private', { token: alice.token, json: { recipient_id: alice.id } });
    assert.equal(self.status, 422, self.text);
    const nobody = await api.post('/api/v1/chats/private', { token: alice.token, json: { recipient_id: 2_000_000_000 } });
    assert.equal(nobody.status, 404, nobody.text);
    assert.equal(typeof nobody.body.detail, 'string');
    assertValidation(
      await api.post('/api/v1/chats/private', { token: alice.token, json: { recipient_id: 'two' } }),
      'body',
      'recipient_id',
    );
    assertValidation(await api.post('/api/v1/chats/private', { token: alice.token, json: {} }), 'body', 'recipient_id');
    assert.deepEqual(await api.chats(alice), [], 'nothing was created');
  });

  it('creates a group whose creator is its admin', async () => {
    const [alice, bob, carol] = await api.users(3, 'grp');
    const res = await api.post('/api/v1/chats/group', {
      token: alice.token,
      json: { name: 'Друзья', member_ids: [bob.id, carol.id] },
    });
    assert.equal(res.status, 201, res.text);
    const chat = res.body;
    assert.equal(chat.type, 'group');
    assert.equal(chat.name, 'Друзья');
    assert.equal(chat.created_by, alice.id);
    assert.deepEqual(memberIds(chat), ids(alice, bob, carol));
    const role = Object.fromEntries(chat.members.map((m) => [m.id, m.role]));
    assert.equal(role[alice.id], 'admin');
    assert.equal(role[bob.id], 'member');
    assert.equal(role[carol.id], 'member');

    for (const u of [alice, bob, carol]) {
      const got = await api.get(`/api/v1/chats/${chat.id}`, { token: u.token });
      assert.equal(got.status, 200, got.text);
      assert.equal(got.body.name, 'Друзья');
      assert.ok((await api.chats(u)).some((c) => c.id === chat.id), `${u.username} lists the group`);
    }

    assertValidation(
      await api.post('/api/v1/chats/group', { token: alice.token, json: { member_ids: [bob.id] } }),
      'body',
      'name',
    );
    const ghost = await api.post('/api/v1/chats/group', {
      token: alice.token,
      json: { name: 'ghosts', member_ids: [2_000_000_000] },
    });
    assert.equal(ghost.status, 404, ghost.text);
  });

  it('lets admins add and remove members, members remove only themselves, and leaving ends access', async () => {
    const [alice, bob, carol] = await api.users(3, 'mem');
    const group = await api.groupChat(alice, 'team', [bob]);
    await api.send(alice, group.id, 'before carol');

    // a member who is not admin cannot add
    const byMember = await api.post(`/api/v1/chats/${group.id}/members`, { token: bob.token, json: { user_id: carol.id } });
    assert.equal(byMember.status, 403, byMember.text);
    assert.equal(typeof byMember.body.detail, 'string');

    // the admin adds carol
    const added = await api.post(`/api/v1/chats/${group.id}/members`, { token: alice.token, json: { user_id: carol.id } });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(memberIds(added.body), ids(alice, bob, carol));
    assert.equal(added.body.members.find((m) => m.id === carol.id).role, 'member');
    const carolView = await api.history(carol, group.id);
    assert.ok(Array.isArray(carolView));
    assert.ok((await api.chats(carol)).some((c) => c.id === group.id));

    const unknownUser = await api.post(`/api/v1/chats/${group.id}/members`, {
      token: alice.token,
      json: { user_id: 2_000_000_000 },
    });
    assert.equal(unknownUser.status, 404, unknownUser.text);

    // a member cannot remove someone else
    const bobRemovesCarol = await api.delete(`/api/v1/chats/${group.id}/members/${carol.id}`, { token: bob.token });
    assert.equal(bobRemovesCarol.status, 403, bobRemovesCarol.text);

    // the admin removes carol; she loses access
    const removed = await api.delete(`/api/v1/chats/${group.id}/members/${carol.id}`, { token: alice.token });
    assert.equal(removed.status, 200, removed.text);
    assert.deepEqual(memberIds(removed.body), ids(alice, bob));
    assertChatNotFound(await api.get(`/api/v1/chats/${group.id}`, { token: carol.token }), 'removed member GET chat');
    assertChatNotFound(
      await api.get(`/api/v1/messages/history/${group.id}`, { token: carol.token }),
      'removed member history',
    );
    assert.ok(!(await api.chats(carol)).some((c) => c.id === group.id), 'removed member no longer lists it');

    // bob leaves
    const left = await api.post(`/api/v1/chats/${group.id}/leave`, { token: bob.token });
    assert.equal(left.status, 200, left.text);
    assert.deepEqual(left.body, { chat_id: group.id, left: true });
    assertChatNotFound(await api.get(`/api/v1/messages/history/${group.id}`, { token: bob.token }), 'left member history');
    assertChatNotFound(
      await api.post('/api/v1/messages', { token: bob.token, json: { chat_id: group.id, text: 'still here?' } }),
      'left member send',
    );
    assert.ok(!(await api.chats(bob)).some((c) => c.id === group.id), 'left member no longer lists it');
    const afterLeave = await api.get(`/api/v1/chats/${group.id}`, { token: alice.token });
    assert.deepEqual(memberIds(afterLeave.body), ids(alice));

    // the admin's history is intact
    const hist = await api.history(alice, group.id);
    assert.deepEqual(hist.map((m) => m.text), ['before carol']);
  });

  it('lets a member remove themselves with DELETE /members/{own id}, answering the updated chat', async () => {
    const [alice, bob, dave] = await api.users(3, 'self');
    const group = await api.groupChat(alice, 'self-removal', [bob]);
    const added = await api.post(`/api/v1/chats/${group.id}/members`, { token: alice.token, json: { user_id: dave.id } });
    assert.equal(added.status, 200, added.text);
    const selfRemoval = await api.delete(`/api/v1/chats/${group.id}/members/${dave.id}`, { token: dave.token });
    assert.equal(selfRemoval.status, 200, selfRemoval.text);
    assertChatNotFound(await api.get(`/api/v1/chats/${group.id}`, { token: dave.token }), 'after removing himself');
    const seenByAdmin = await api.get(`/api/v1/chats/${group.id}`, { token: alice.token });
    assert.deepEqual(memberIds(seenByAdmin.body), ids(alice, bob));
    assert.deepEqual(
      memberIds(selfRemoval.body),
      ids(alice, bob),
      `the DELETE response shows the chat after the removal: ${selfRemoval.text}`,
    );
  });

  it('refuses to add a member to a private chat with 400', async () => {
    const [alice, bob, carol] = await api.users(3, 'pcadd');
    const chat = await api.privateChat(alice, bob);
    for (const u of [alice, bob]) {
      const res = await api.post(`/api/v1/chats/${chat.id}/members`, { token: u.token, json: { user_id: carol.id } });
      assert.equal(res.status, 400, res.text);
      assert.equal(typeof res.body.detail, 'string');
    }
    const got = await api.get(`/api/v1/chats/${chat.id}`, { token: alice.token });
    assert.deepEqual(memberIds(got.body), ids(alice, bob));
  });

  it('hides a chat from an outsider: 404 "Chat not found", the same as for a chat that does not exist', async () => {
    const [alice, bob, eve] = await api.users(3, 'out');
    const priv = await api.privateChat(alice, bob);
    const group = await api.groupChat(alice, 'secret club', [bob]);
    const msg = await api.send(alice, priv.id, 'private words');

    for (const chatId of [priv.id, group.id, ABSENT_CHAT]) {
      const what = chatId === ABSENT_CHAT ? 'absent chat' : `chat ${chatId}`;
      assertChatNotFound(await api.get(`/api/v1/chats/${chatId}`, { token: eve.token }), `${what}: GET chat`);
      assertChatNotFound(
        await api.get(`/api/v1/messages/history/${chatId}?limit=20&offset=0`, { token: eve.token }),
        `${what}: history`,
      );
      assertChatNotFound(
        await api.get(`/api/v1/messages/search?q=private&chat_id=${chatId}`, { token: eve.token }),
        `${what}: search in it`,
      );
      assertChatNotFound(
        await api.post('/api/v1/messages', { token: eve.token, json: { chat_id: chatId, text: 'let me in' } }),
        `${what}: send`,
      );
      assertChatNotFound(
        await api.post(`/api/v1/chats/${chatId}/read`, { token: eve.token, json: { message_id: msg.id } }),
        `${what}: read`,
      );
      assertChatNotFound(
        await api.post(`/api/v1/chats/${chatId}/members`, { token: eve.token, json: { user_id: eve.id } }),
        `${what}: add member`,
      );
      assertChatNotFound(
        await api.delete(`/api/v1/chats/${chatId}/members/${bob.id}`, { token: eve.token }),
        `${what}: remove member`,
      );
      assertChatNotFound(await api.post(`/api/v1/chats/${chatId}/leave`, { token: eve.token }), `${what}: leave`);
    }
    // the routes that change a chat or a message (after the ones above, so that those are checked in any case)
    const groupMsg = await api.send(bob, group.id, 'club words');
    for (const chatId of [priv.id, group.id, ABSENT_CHAT]) {
      const what = chatId === ABSENT_CHAT ? 'absent chat' : `chat ${chatId}`;
      assertChatNotFound(
        await api.request('PATCH', `/api/v1/chats/${chatId}`, { token: eve.token, json: { name: 'mine now' } }),
        `${what}: rename`,
      );
    }
    const thumbsUp = encodeURIComponent('👍');
    for (const messageId of [msg.id, groupMsg.id, ABSENT_MESSAGE]) {
      const what = messageId === ABSENT_MESSAGE ? 'absent message' : `message ${messageId}`;
      const routes = [
        ['PATCH', `/api/v1/messages/${messageId}`, { text: 'edited by eve' }, 'edit'],
        ['DELETE', `/api/v1/messages/${messageId}`, undefined, 'delete'],
        ['PUT', `/api/v1/messages/${messageId}/reactions/${thumbsUp}`, undefined, 'react'],
        ['DELETE', `/api/v1/messages/${messageId}/reactions/${thumbsUp}`, undefined, 'unreact'],
      ];
      for (const [method, route, json, action] of routes) {
        const res = await api.request(method, route, { token: eve.token, json });
        assertMessageNotFound(res, `${what}: ${action}`);
      }
    }
    // replying from outside: the chat is not found, whatever the message
    assertChatNotFound(
      await api.post('/api/v1/messages', { token: eve.token, json: { chat_id: priv.id, text: 're', reply_to: msg.id } }),
      'reply from outside',
    );
    assert.deepEqual(await api.chats(eve), []);
    // nothing changed for the members
    const privHistory = await api.history(bob, priv.id);
    assert.deepEqual(privHistory.map((m) => m.text), ['private words']);
    assert.deepEqual(privHistory[0].reactions, [], 'no reaction from the outsider');
    assert.equal(privHistory[0].deleted, false);
    assert.deepEqual((await api.history(alice, group.id)).map((m) => m.text), ['club words']);
    const groupNow = (await api.get(`/api/v1/chats/${group.id}`, { token: bob.token })).body;
    assert.deepEqual(memberIds(groupNow), ids(alice, bob));
    assert.equal(groupNow.name, 'secret club');
  });

  it('lists chats newest activity first, with the last message', async () => {
    const [alice, bob, carol] = await api.users(3, 'order');
    const withBob = await api.privateChat(alice, bob);
    const withCarol = await api.privateChat(alice, carol);
    const group = await api.groupChat(alice, 'all', [bob, carol]);

    await api.send(bob, withBob.id, 'bob 1');
    await api.send(carol, withCarol.id, 'carol 1');
    await api.send(alice, group.id, 'group 1');
    let list = await api.chats(alice);
    assert.deepEqual(list.map((c) => c.id), [group.id, withCarol.id, withBob.id]);

    const last = await api.send(bob, withBob.id, 'bob 2');
    list = await api.chats(alice);
    assert.deepEqual(list.map((c) => c.id), [withBob.id, group.id, withCarol.id]);

    const top = list[0];
    assert.equal(top.type, 'private');
    assert.equal(top.name, null);
    assert.equal(top.last_seq, 2);
    assert.equal(typeof top.last_activity_at, 'string');
    assert.equal(top.last_message.id, last.id);
    assert.equal(top.last_message.text, 'bob 2');
    assert.equal(top.last_message.sender_id, bob.id);
    assert.deepEqual(memberIds(top), ids(alice, bob));
    for (const m of top.members) {
      assert.equal(typeof m.joined_at, 'string');
      assert.ok(Number.isInteger(m.last_read_seq));
    }
    assert.equal(list.find((c) => c.id === group.id).name, 'all');

    const fresh = await api.privateChat(bob, carol);
    const carolList = await api.chats(carol);
    const freshEntry = carolList.find((c) => c.id === fresh.id);
    assert.equal(freshEntry.last_message, null, 'a chat without messages has last_message null');
    assert.equal(freshEntry.unread_count, 0);
  });

  it('counts unread messages per reader, and reading resets the count without ever moving back', async () => {
    const [alice, bob] = await api.users(2, 'unread');
    const chat = await api.privateChat(alice, bob);
    const sent = [];
    for (let i = 1; i <= 3; i++) sent.push(await api.send(bob, chat.id, `b${i}`));

    let a = await api.chatFromList(alice, chat.id);
    let b = await api.chatFromList(bob, chat.id);
    assert.equal(a.unread_count, 3, 'three unread for alice');
    assert.equal(b.unread_count, 0, "the sender's own messages are not unread");

    const before = await api.history(bob, chat.id);
    assert.ok(before.every((m) => m.is_read === false), 'nobody has read them yet');

    const read = await api.post(`/api/v1/chats/${chat.id}/read`, { token: alice.token });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body, { chat_id: chat.id, user_id: alice.id, last_read_seq: 3 });
    a = await api.chatFromList(alice, chat.id);
    assert.equal(a.unread_count, 0);
    assert.equal(a.last_read_seq, 3);
    b = await api.chatFromList(bob, chat.id);
    assert.equal(b.members.find((m) => m.id === alice.id).last_read_seq, 3, "bob sees alice's watermark");
    const after = await api.history(bob, chat.id);
    assert.ok(after.every((m) => m.is_read === true), `bob sees his messages read: ${JSON.stringify(after)}`);

    // two more arrive
    sent.push(await api.send(bob, chat.id, 'b4'));
    sent.push(await api.send(bob, chat.id, 'b5'));
    a = await api.chatFromList(alice, chat.id);
    assert.equal(a.unread_count, 2);

    // read up to b4 only
    const partial = await api.post(`/api/v1/chats/${chat.id}/read`, { token: alice.token, json: { message_id: sent[3].id } });
    assert.equal(partial.status, 200, partial.text);
    assert.equal(partial.body.last_read_seq, 4);
    assert.equal((await api.chatFromList(alice, chat.id)).unread_count, 1);

    // reading an older message does not move the watermark back
    const older = await api.post(`/api/v1/chats/${chat.id}/read`, { token: alice.token, json: { message_id: sent[0].id } });
    assert.equal(older.status, 200, older.text);
    assert.equal(older.body.last_read_seq, 4);
    assert.equal((await api.chatFromList(alice, chat.id)).unread_count, 1);

    // alice replies: her own message does not add to her unread, but to bob's
    await api.send(alice, chat.id, 'a1');
    assert.equal((await api.chatFromList(bob, chat.id)).unread_count, 1);

    const all = await api.post(`/api/v1/chats/${chat.id}/read`, { token: alice.token, json: {} });
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.last_read_seq, 6);
    assert.equal((await api.chatFromList(alice, chat.id)).unread_count, 0);
    const bobRead = await api.post(`/api/v1/chats/${chat.id}/read/`, { token: bob.token });
    assert.equal(bobRead.body.last_read_seq, 6);
    assert.equal((await api.chatFromList(bob, chat.id)).unread_count, 0);

    // a message of another chat does not count as a read position here
    const other = await api.privateChat(alice, (await api.users(1, 'unread3'))[0]);
    const foreign = await api.send(alice, other.id, 'elsewhere');
    const wrongChat = await api.post(`/api/v1/chats/${chat.id}/read`, { token: bob.token, json: { message_id: foreign.id } });
    assert.ok([404, 422, 400].includes(wrongChat.status), `message of another chat: ${wrongChat.status} ${wrongChat.text}`);
    assert.equal((await api.chatFromList(bob, chat.id)).last_read_seq, 6);
  });

  it('counts unread messages in a group for every member separately', async () => {
    const [alice, bob, carol] = await api.users(3, 'gunread');
    const group = await api.groupChat(alice, 'g', [bob, carol]);
    await api.send(alice, group.id, 'one');
    await api.send(alice, group.id, 'two');
    assert.equal((await api.chatFromList(alice, group.id)).unread_count, 0);
    assert.equal((await api.chatFromList(bob, group.id)).unread_count, 2);
    assert.equal((await api.chatFromList(carol, group.id)).unread_count, 2);
    await api.post(`/api/v1/chats/${group.id}/read`, { token: carol.token });
    assert.equal((await api.chatFromList(carol, group.id)).unread_count, 0);
    assert.equal((await api.chatFromList(bob, group.id)).unread_count, 2, "carol's read does not change bob's count");
    await api.send(bob, group.id, 'three');
    assert.equal((await api.chatFromList(alice, group.id)).unread_count, 1);
    assert.equal((await api.chatFromList(carol, group.id)).unread_count, 1);
  });
});
