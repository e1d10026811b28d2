// Editing, deleting and replying to messages, as members see it: over REST and the WebSocket, every member's
// connections get the change (message_edited / message_deleted with the whole message), history shows it,
// a deleted message stays as a tombstone in its place, and replies carry a preview of the original that
// follows it. Who may do what: the sender edits; the sender or a group admin deletes; outsiders get the same
// 404 as for a message that does not exist.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBackend } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import {
  ABSENT_ID,
  MESSAGE_DELETED,
  MESSAGE_NOT_FOUND,
  assertMessageShape,
  assertStatus,
  assertValidation,
  barrier,
  deleteMessage,
  deleted,
  editMessage,
  edited,
  fullHistory,
  getChat,
  postMessage,
  react,
  reacted,
  reply,
  stable,
  unreact,
  waitError,
  waitMessageEvent,
} from './chat_events.mjs';

const isoAfterOrAt = (later, earlier) => Date.parse(later) >= Date.parse(earlier);

forEachBackend('message edits', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  async function connect(...users) {
    const clients = [];
    for (const u of users) clients.push(await Client.open(base(), { token: u.token }));
    await Promise.all(clients.map(connectedAs));
    return clients;
  }

  it('the sender edits over REST: every connection of every member gets message_edited, history shows the new text', async () => {
    const [alice, bob, carol] = await api.users(3, 'edit');
    const group = await api.groupChat(alice, 'edits', [bob, carol]);
    const [alicePhone, aliceLaptop, bobPhone, carolPhone] = await connect(alice, alice, bob, carol);
    const all = [alicePhone, aliceLaptop, bobPhone, carolPhone];

    const original = await api.send(alice, group.id, 'frist draft', 'e-1');
    assertMessageShape(original, 'sent message');
    assert.equal(original.edited_at, null);
    assert.equal(original.deleted, false);
    await Promise.all(all.map((c) => waitMessageEvent(c, 'new_message', original.id)));
    const other = await api.send(bob, group.id, 'unrelated');

    const res = await editMessage(api, alice, original.id, 'first draft, fixed');
    assert.equal(res.status, 200, res.text);
    const m = res.body;
    assertMessageShape(m, 'edited message');
    assert.equal(m.text, 'first draft, fixed');
    for (const key of ['id', 'chat_id', 'seq', 'sender_id', 'sender_username', 'timestamp', 'client_message_id']) {
      assert.deepEqual(m[key], original[key], `${key} is kept`);
    }
    assert.equal(m.deleted, false);
    assert.ok(m.edited_at, 'edited_at is set');
    assert.ok(isoAfterOrAt(m.edited_at, m.timestamp), `edited_at ${m.edited_at} is not before ${m.timestamp}`);
    assert.ok(m.change_seq > original.change_seq, 'the edit takes a newer change number');
    assert.ok(m.change_seq > other.change_seq, 'newer than the message sent after it');

    for (const [i, c] of all.entries()) {
      const ev = await waitMessageEvent(c, 'message_edited', m.id, `message_edited on connection ${i}`);
      assert.deepEqual(stable(ev.data), stable(m), 'the event carries the whole updated message');
    }

    const history = await api.history(carol, group.id);
    assert.deepEqual(history.map((x) => x.text), ['first draft, fixed', 'unrelated']);
    assert.deepEqual(stable(history[0]), stable(m));
    assert.equal((await getChat(api, bob, group.id)).last_change, m.change_seq, 'the chat\'s newest change');
    assert.equal((await api.chatFromList(bob, group.id)).last_message.id, other.id, 'editing does not reorder');
    for (const c of all) c.close();
  });

  it('the sender edits over the WebSocket with edit_message: the editing connection gets message_edited too, no ack', async () => {
    const [alice, bob] = await api.users(2, 'wsedit');
    const chat = await api.privateChat(alice, bob);
    const [a, b] = await connect(alice, bob);
    const original = await api.send(alice, chat.id, 'typo here');
    await waitMessageEvent(b, 'new_message', original.id);

    a.send('edit_message', { message_id: original.id, text: 'no typo here' });
    const mine = await waitMessageEvent(a, 'message_edited', original.id, 'message_edited on the editing connection');
    const theirs = await waitMessageEvent(b, 'message_edited', original.id, 'message_edited on the other member');
    assert.equal(mine.data.text, 'no typo here');
    assert.deepEqual(stable(mine.data), stable(theirs.data));
    assertMessageShape(mine.data, 'message_edited');
    assert.ok(mine.data.edited_at);
    assert.ok(mine.data.change_seq > original.change_seq);
    assert.equal(a.of('error').length, 0, JSON.stringify(a.of('error')));
    assert.equal(a.of('message_sent').length, 0, 'an edit is not acknowledged as a send');
    assert.equal((await api.history(bob, chat.id))[0].text, 'no typo here');

    // failures come back as error frames with the REST status; the connection stays open
    b.send('edit_message', { message_id: original.id, text: 'bob was here' });
    let err = await waitError(b, 'edit_message', 0, 'non-sender edit');
    assert.equal(err.data.status, 403, JSON.stringify(err.data));

    let from = a.events.length;
    a.send('edit_message', { message_id: ABSENT_ID, text: 'nothing there' });
    err = await waitError(a, 'edit_message', from, 'unknown message');
    assert.equal(err.data.status, 404);
    assert.equal(err.data.detail, 'Message not found');

    from = a.events.length;
    a.send('edit_message', { message_id: original.id, text: '' });
    err = await waitError(a, 'edit_message', from, 'empty text');
    assert.equal(err.data.status, 422);
    assert.equal(err.data.field, 'text');

    from = a.events.length;
    a.send('edit_message', { message_id: 'one', text: 'x' });
    err = await waitError(a, 'edit_message', from, 'message_id as string');
    assert.equal(err.data.status, 422);
    assert.equal(err.data.field, 'message_id');

    await deleted(api, alice, original.id);
    from = a.events.length;
    a.send('edit_message', { message_id: original.id, text: 'too late' });
    err = await waitError(a, 'edit_message', from, 'deleted message');
    assert.equal(err.data.status, 409);
    assert.equal(err.data.detail, 'Message was deleted');

    a.send('ping', {});
    await a.waitFor((e) => e.type === 'pong', 'still open');
    const [stored] = await api.history(alice, chat.id);
    assert.equal(stored.deleted, true);
    assert.equal(stored.text, null);
    a.close();
    b.close();
  });

  it('refuses edits: another member 403, an outsider the same 404 as a missing message, a deleted one 409', async () => {
    const [alice, bob, eve] = await api.users(3, 'editno');
    const group = await api.groupChat(alice, 'no edits', [bob]);
    const m = await api.send(bob, group.id, 'bob wrote this');

    // not even the group admin may edit someone else's words
    assertStatus(await editMessage(api, alice, m.id, 'admin rewrote it'), 403, undefined, 'admin editing a member\'s');
    const other = await api.send(alice, group.id, 'alice wrote this');
    assertStatus(await editMessage(api, bob, other.id, 'bob rewrote it'), 403, undefined, 'member editing another\'s');

    const outsider = await editMessage(api, eve, m.id, 'eve was here');
    const missing = await editMessage(api, alice, ABSENT_ID, 'nothing');
    assertStatus(outsider, 404, MESSAGE_NOT_FOUND, 'outsider');
    assertStatus(missing, 404, MESSAGE_NOT_FOUND, 'missing message');
    assert.equal(outsider.text, missing.text, 'an outsider learns nothing about the message');

    const history = await api.history(alice, group.id);
    assert.deepEqual(history.map((x) => [x.text, x.edited_at]), [
      ['bob wrote this', null],
      ['alice wrote this', null],
    ]);

    await deleted(api, bob, m.id);
    assertStatus(await editMessage(api, bob, m.id, 'resurrect'), 409, MESSAGE_DELETED, 'deleted message');
    const after = await api.history(alice, group.id);
    assert.equal(after[0].deleted, true);
    assert.equal(after[0].text, null);
  });

  it('rejects bad edit bodies with 422 and changes nothing', async () => {
    const [alice, bob] = await api.users(2, 'editbad');
    const chat = await api.privateChat(alice, bob);
    const m = await api.send(alice, chat.id, 'keep me');
    const patch = (json) => api.request('PATCH', `/api/v1/messages/${m.id}`, { token: alice.token, json });

    assertValidation(await patch({ text: '' }), 'body', 'text', 'empty text');
    assertValidation(await patch({ text: '  \n\t ' }), 'body', 'text', 'blank text');
    assertValidation(await patch({ text: 'x'.repeat(4097) }), 'body', 'text', '4097 characters');
    assertValidation(await patch({ text: 'я'.repeat(4097) }), 'body', 'text', '4097 Cyrillic characters');
    assertValidation(await patch({ text: 5 }), 'body', 'text', 'text as number');
    assertValidation(await patch({ text: null }), 'body', 'text', 'text null');
    assertValidation(await patch({ text: ['a'] }), 'body', 'text', 'text as list');
    assertValidation(await patch({}), 'body', 'text', 'no text');
    assertValidation(await patch([]), undefined, undefined, 'array body');
    const raw = await api.request('PATCH', `/api/v1/messages/${m.id}`, {
      token: alice.token,
      headers: { 'Content-Type': 'application/json' },
      body: '{"text": ',
    });
    assertValidation(raw, undefined, undefined, 'malformed JSON');
    const badId = await api.request('PATCH', '/api/v1/messages/abc', { token: alice.token, json: { text: 'x' } });
    assertValidation(badId, 'path', 'message_id', 'message id abc');

    const [stored] = await api.history(bob, chat.id);
    assert.equal(stored.text, 'keep me');
    assert.equal(stored.edited_at, null);
    assert.equal(stored.change_seq, m.change_seq);

    // the limit counts characters: exactly 4096 Cyrillic characters are fine
    const long = await edited(api, alice, m.id, 'я'.repeat(4096));
    assert.equal(long.text, 'я'.repeat(4096));
  });

  it('an edit to the same text answers 200 and changes nothing: no event, no change number, no edited_at', async () => {
    const [alice, bob] = await api.users(2, 'editsame');
    const chat = await api.privateChat(alice, bob);
    const [a, b] = await connect(alice, bob);
    const m = await api.send(alice, chat.id, 'same old');
    await waitMessageEvent(b, 'new_message', m.id);

    const res = await editMessage(api, alice, m.id, 'same old');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.text, 'same old');
    assert.equal(res.body.edited_at, null);
    assert.equal(res.body.change_seq, m.change_seq);
    a.send('edit_message', { message_id: m.id, text: 'same old' });

    await barrier(api, bob, chat.id, [a, b]);
    a.send('ping', {});
    await a.waitFor((e) => e.type === 'pong', 'pong after the unchanged edit');
    assert.equal(a.of('message_edited').length, 0, JSON.stringify(a.of('message_edited')));
    assert.equal(b.of('message_edited').length, 0, JSON.stringify(b.of('message_edited')));
    assert.equal(a.of('error').length, 0, JSON.stringify(a.of('error')));
    const chatNow = await getChat(api, alice, chat.id);
    const history = await api.history(alice, chat.id);
    assert.equal(history[0].change_seq, m.change_seq);
    assert.equal(chatNow.last_change, history[1].change_seq, 'only the barrier message took a change number');
    a.close();
    b.close();
  });

  it('several edits in a row: each is a new change, the last text wins everywhere', async () => {
    const [alice, bob] = await api.users(2, 'editmany');
    const chat = await api.privateChat(alice, bob);
    const [b] = await connect(bob);
    const m = await api.send(alice, chat.id, 'v0');
    const versions = [];
    for (let i = 1; i <= 4; i++) versions.push(await edited(api, alice, m.id, `v${i}`));
    const changes = versions.map((v) => v.change_seq);
    for (let i = 1; i < changes.length; i++) assert.ok(changes[i] > changes[i - 1], `increasing: ${changes}`);
    await b.waitFor(() => b.of('message_edited').length === 4, 'four message_edited');
    assert.deepEqual(b.of('message_edited').map((e) => e.data.text), ['v1', 'v2', 'v3', 'v4']);
    assert.equal((await api.history(bob, chat.id))[0].text, 'v4');
    b.close();
  });
});

forEachBackend('message deletes', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  async function connect(...users) {
    const clients = [];
    for (const u of users) clients.push(await Client.open(base(), { token: u.token }));
    await Promise.all(clients.map(connectedAs));
    return clients;
  }

  it('the sender deletes: the tombstone keeps id, seq, sender and time; members get message_deleted', async () => {
    const [alice, bob, carol] = await api.users(3, 'del');
    const group = await api.groupChat(alice, 'deletes', [bob, carol]);
    const [a, b, c] = await connect(alice, bob, carol);
    const m1 = await api.send(bob, group.id, 'one');
    const m2 = await api.send(bob, group.id, 'oops, wrong chat', 'd-2');
    const m3 = await api.send(carol, group.id, 'three');
    await reacted(api, alice, m2.id, '👍');

    const res = await deleteMessage(api, bob, m2.id);
    assert.equal(res.status, 200, res.text);
    const t = res.body;
    assertMessageShape(t, 'tombstone');
    assert.equal(t.deleted, true);
    assert.equal(t.text, null);
    assert.deepEqual(t.reactions, []);
    assert.equal(t.reply_to, null);
    for (const key of ['id', 'chat_id', 'seq', 'sender_id', 'sender_username', 'timestamp', 'client_message_id']) {
      assert.deepEqual(t[key], m2[key], `the tombstone keeps ${key}`);
    }
    assert.equal(t.client_message_id, 'd-2');
    assert.equal(t.edited_at, null, 'a delete is not an edit');
    assert.ok(t.change_seq > m3.change_seq);

    for (const [i, conn] of [a, b, c].entries()) {
      const ev = await waitMessageEvent(conn, 'message_deleted', m2.id, `message_deleted on connection ${i}`);
      assert.deepEqual(stable(ev.data), stable(t));
    }

    const history = await api.history(carol, group.id);
    assert.deepEqual(history.map((m) => m.seq), [1, 2, 3], 'the tombstone keeps its place');
    assert.deepEqual(history.map((m) => m.text), ['one', null, 'three']);
    assert.deepEqual(history.map((m) => m.deleted), [false, true, false]);
    assert.deepEqual(stable(history[1]), stable(t));
    assert.deepEqual(history[0].id, m1.id);

    // deleting again: 200 with the same tombstone, no event, no new change number
    const again = await deleteMessage(api, bob, m2.id);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(stable(again.body), stable(t));
    await barrier(api, carol, group.id, [a, b, c]);
    assert.equal(a.of('message_deleted').length, 1, 'one message_deleted only');
    assert.equal((await getChat(api, alice, group.id)).last_change, t.change_seq + 1, 'only the barrier took a number');
    for (const conn of [a, b, c]) conn.close();
  });

  it('a group admin deletes anyone\'s message; a plain member or a private-chat partner cannot (403)', async () => {
    const [alice, bob, carol, eve] = await api.users(4, 'deladm');
    const group = await api.groupChat(alice, 'moderated', [bob, carol]);
    const bobs = await api.send(bob, group.id, 'spam');
    const carols = await api.send(carol, group.id, 'carol says');
    const alices = await api.send(alice, group.id, 'the admin says');

    assertStatus(await deleteMessage(api, carol, bobs.id), 403, undefined, 'member deleting another member\'s');
    assertStatus(await deleteMessage(api, bob, alices.id), 403, undefined, 'member deleting the admin\'s');
    const byAdmin = await deleteMessage(api, alice, bobs.id);
    assert.equal(byAdmin.status, 200, byAdmin.text);
    assert.equal(byAdmin.body.deleted, true);
    assert.equal(byAdmin.body.sender_id, bob.id, 'still shown as bob\'s message');
    const own = await deleteMessage(api, carol, carols.id);
    assert.equal(own.status, 200, own.text);

    const outsider = await deleteMessage(api, eve, alices.id);
    const missing = await deleteMessage(api, alice, ABSENT_ID);
    assertStatus(outsider, 404, MESSAGE_NOT_FOUND, 'outsider');
    assertStatus(missing, 404, MESSAGE_NOT_FOUND, 'missing');
    assertValidation(await api.delete('/api/v1/messages/abc', { token: alice.token }), 'path', 'message_id', 'id abc');

    const history = await api.history(bob, group.id);
    assert.deepEqual(history.map((m) => m.deleted), [true, true, false]);
    assert.equal(history[2].text, 'the admin says');

    // in a private chat nobody is admin over the other's messages
    const priv = await api.privateChat(alice, bob);
    const mine = await api.send(alice, priv.id, 'mine');
    assertStatus(await deleteMessage(api, bob, mine.id), 403, undefined, 'private chat partner');
    assert.equal((await api.history(alice, priv.id))[0].text, 'mine');
  });

  it('a plain member deletes over the WebSocket with delete_message; refusals are error frames', async () => {
    const [alice, bob, carol] = await api.users(3, 'wsdel');
    const group = await api.groupChat(alice, 'ws deletes', [bob, carol]);
    const [a, b] = await connect(alice, bob);
    const bobs = await api.send(bob, group.id, 'delete me');
    const carols = await api.send(carol, group.id, 'not yours');

    b.send('delete_message', { message_id: carols.id });
    const err = await waitError(b, 'delete_message', 0, 'member deleting another\'s');
    assert.equal(err.data.status, 403);

    b.send('delete_message', { message_id: bobs.id });
    const mine = await waitMessageEvent(b, 'message_deleted', bobs.id, 'message_deleted on the deleting connection');
    const theirs = await waitMessageEvent(a, 'message_deleted', bobs.id, 'message_deleted on the admin');
    assert.equal(mine.data.deleted, true);
    assert.equal(mine.data.text, null);
    assert.deepEqual(stable(mine.data), stable(theirs.data));

    const from = b.events.length;
    b.send('delete_message', { message_id: ABSENT_ID });
    const missing = await waitError(b, 'delete_message', from, 'unknown message');
    assert.equal(missing.data.status, 404);
    assert.equal(missing.data.detail, 'Message not found');
    assert.deepEqual((await api.history(carol, group.id)).map((m) => m.deleted), [true, false]);
    a.close();
    b.close();
  });

  it('deleting changes neither unread counts nor offset paging', async () => {
    const [alice, bob, carol] = await api.users(3, 'delcount');
    const chat = await api.privateChat(alice, bob);
    const sent = [];
    for (let i = 1; i <= 7; i++) sent.push(await api.send(alice, chat.id, `m${i}`));
    const pages = async () => {
      const out = [];
      for (let offset = 0; offset < 10; offset += 3) out.push((await api.history(bob, chat.id, { limit: 3, offset })).map((m) => m.seq));
      return out;
    };
    const pagesBefore = await pages();
    const listBefore = await api.chatFromList(bob, chat.id);
    assert.equal(listBefore.unread_count, 7);

    await deleted(api, alice, sent[2].id);
    await deleted(api, alice, sent[5].id);

    assert.deepEqual(await pages(), pagesBefore, 'the same seqs on the same pages');
    const listAfter = await api.chatFromList(bob, chat.id);
    assert.equal(listAfter.unread_count, 7, 'the unread count is unchanged');
    assert.equal(listAfter.last_seq, 7);
    const walk = await api.history(bob, chat.id, { limit: 100 });
    assert.equal(walk.length, 7);

    // reading up to a tombstone is a valid read position
    const read = await api.post(`/api/v1/chats/${chat.id}/read`, { token: bob.token, json: { message_id: sent[5].id } });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.last_read_seq, 6);
    assert.equal((await api.chatFromList(bob, chat.id)).unread_count, 1);

    // the same in a group, for each member separately
    const group = await api.groupChat(alice, 'counts', [bob, carol]);
    const g = [];
    for (let i = 0; i < 4; i++) g.push(await api.send(alice, group.id, `g${i}`));
    await deleted(api, alice, g[0].id);
    assert.equal((await api.chatFromList(bob, group.id)).unread_count, 4);
    assert.equal((await api.chatFromList(carol, group.id)).unread_count, 4);
  });

  it('a resend with the client_message_id of a deleted message returns the tombstone and stores nothing', async () => {
    const [alice, bob] = await api.users(2, 'deldup');
    const chat = await api.privateChat(alice, bob);
    const [a, b] = await connect(alice, bob);
    const m = await api.send(alice, chat.id, 'regret', 'k-regret');
    const t = await deleted(api, alice, m.id);

    const again = await postMessage(api, alice, { chat_id: chat.id, text: 'regret', client_message_id: 'k-regret' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, m.id);
    assert.equal(again.body.deleted, true);
    assert.equal(again.body.text, null);
    assert.deepEqual(stable(again.body), stable(t));

    // the same over the socket: the ack is the tombstone, marked duplicate
    a.send('send_message', { chat_id: chat.id, text: 'regret', client_message_id: 'k-regret' });
    const ack = await a.waitFor((e) => e.type === 'message_sent', 'ack');
    assert.equal(ack.data.duplicate, true);
    assert.equal(ack.data.id, m.id);
    assert.equal(ack.data.deleted, true);
    assert.equal(ack.data.text, null);

    await barrier(api, bob, chat.id, [a, b]);
    assert.deepEqual(
      b.of('new_message').map((e) => e.data.id).filter((id) => id !== m.id).length,
      1,
      'only the barrier message was new',
    );
    const history = await api.history(bob, chat.id);
    assert.equal(history.length, 2);
    assert.deepEqual(history.map((x) => x.seq), [1, 2]);
    assert.equal(history[0].deleted, true);
    a.close();
    b.close();
  });

  it('refuses to edit, react to, unreact on or reply to a deleted message', async () => {
    const [alice, bob] = await api.users(2, 'deldead');
    const chat = await api.privateChat(alice, bob);
    const m = await api.send(alice, chat.id, 'short-lived');
    await reacted(api, bob, m.id, '👍');
    await deleted(api, alice, m.id);

    assertStatus(await editMessage(api, alice, m.id, 'back'), 409, MESSAGE_DELETED, 'edit');
    assertStatus(await react(api, bob, m.id, '❤️'), 409, undefined, 'react');
    assertStatus(await unreact(api, bob, m.id, '👍'), 409, undefined, 'unreact');
    const replyRes = await postMessage(api, bob, { chat_id: chat.id, text: 'what did you say?', reply_to: m.id });
    assertValidation(replyRes, 'body', 'reply_to', 'reply to a deleted message');

    const [b] = await connect(bob);
    b.send('react', { message_id: m.id, emoji: '🔥' });
    const err = await waitError(b, 'react', 0, 'react over the socket');
    assert.equal(err.data.status, 409);

    const history = await api.history(alice, chat.id);
    assert.equal(history.length, 1, 'the refused reply was not stored');
    assert.equal(history[0].deleted, true);
    assert.deepEqual(history[0].reactions, []);
    b.close();
  });
});

forEachBackend('replies', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  it('a reply shows the original as {id, sender_id, sender_username, text (first 100 characters), deleted}', async () => {
    const [alice, bob] = await api.users(2, 'reply');
    const chat = await api.privateChat(alice, bob);
    const b = await Client.open(base(), { token: bob.token });
    await connectedAs(b);
    const longText = 'я'.repeat(60) + 'x'.repeat(90);
    const original = await api.send(alice, chat.id, longText);
    const short = await api.send(alice, chat.id, 'short one');

    const r1 = await reply(api, bob, chat.id, 'answering the long one', original.id, 'r-1');
    assertMessageShape(r1, 'reply');
    assert.deepEqual(r1.reply_to, {
      id: original.id,
      sender_id: alice.id,
      sender_username: alice.username,
      text: longText.slice(0, 100),
      deleted: false,
    });
    const r2 = await reply(api, alice, chat.id, 'answering myself', short.id);
    assert.deepEqual(r2.reply_to, {
      id: short.id,
      sender_id: alice.id,
      sender_username: alice.username,
      text: 'short one',
      deleted: false,
    });
    const plain = await postMessage(api, bob, { chat_id: chat.id, text: 'no reply', reply_to: null });
    assert.equal(plain.status, 201, plain.text);
    assert.equal(plain.body.reply_to, null);
    assert.equal(original.reply_to, null, 'a message that is not a reply has reply_to null');

    const ev = await waitMessageEvent(b, 'new_message', r1.id);
    assert.deepEqual(ev.data.reply_to, r1.reply_to);
    const history = await api.history(alice, chat.id);
    assert.deepEqual(history.map((m) => m.reply_to?.id ?? null), [null, null, original.id, short.id, null]);
    assert.deepEqual(history[2].reply_to, r1.reply_to);

    // a resend of the reply is the stored reply
    const again = await postMessage(api, bob, { chat_id: chat.id, text: 'answering the long one', reply_to: original.id, client_message_id: 'r-1' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, r1.id);
    assert.deepEqual(again.body.reply_to, r1.reply_to);
    b.close();
  });

  it('the preview follows a later edit of the original, and shows deleted:true, text:null after a delete', async () => {
    const [alice, bob, carol] = await api.users(3, 'replyfollow');
    const group = await api.groupChat(alice, 'follow', [bob, carol]);
    const original = await api.send(alice, group.id, 'meet at 5');
    const r = await reply(api, bob, group.id, 'ok', original.id);
    assert.equal(r.reply_to.text, 'meet at 5');

    await edited(api, alice, original.id, 'meet at 6');
    let seen = (await api.history(carol, group.id)).find((m) => m.id === r.id);
    assert.deepEqual(seen.reply_to, {
      id: original.id,
      sender_id: alice.id,
      sender_username: alice.username,
      text: 'meet at 6',
      deleted: false,
    });

    await deleted(api, alice, original.id);
    seen = (await api.history(carol, group.id)).find((m) => m.id === r.id);
    assert.deepEqual(seen.reply_to, {
      id: original.id,
      sender_id: alice.id,
      sender_username: alice.username,
      text: null,
      deleted: true,
    });
    assert.equal(seen.deleted, false, 'the reply itself stays');
    assert.equal(seen.text, 'ok');

    // deleting the reply leaves a tombstone that replies to nothing
    const t = await deleted(api, bob, r.id);
    assert.equal(t.reply_to, null);
  });

  it('refuses reply_to of another chat, an unknown id or a deleted message with the same 422', async () => {
    const [alice, bob, carol] = await api.users(3, 'replybad');
    const chat = await api.privateChat(alice, bob);
    const shared = await api.groupChat(alice, 'shared', [bob]); // bob is a member there too
    const foreign = await api.privateChat(carol, alice); // bob is not a member here
    const here = await api.send(alice, chat.id, 'here');
    const sharedMsg = await api.send(alice, shared.id, 'in the group');
    const foreignMsg = await api.send(carol, foreign.id, 'not for bob');
    const gone = await api.send(alice, chat.id, 'gone');
    await deleted(api, alice, gone.id);

    const attempt = (replyTo) => postMessage(api, bob, { chat_id: chat.id, text: 'replying', reply_to: replyTo });
    const unknown = await attempt(ABSENT_ID);
    const otherChatMember = await attempt(sharedMsg.id);
    const otherChatOutsider = await attempt(foreignMsg.id);
    const deletedOne = await attempt(gone.id);
    for (const [what, res] of Object.entries({ unknown, otherChatMember, otherChatOutsider, deletedOne })) {
      assertValidation(res, 'body', 'reply_to', what);
    }
    assert.deepEqual(otherChatOutsider.body, unknown.body, 'a message id of a chat bob is not in leaks nothing');
    assert.deepEqual(otherChatMember.body, unknown.body, 'another chat\'s message: the same answer');
    // (a deleted message is refused at the same place; its wording may differ: members see the tombstone anyway)

    assertValidation(await attempt('one'), 'body', 'reply_to', 'reply_to as string');
    assertValidation(await attempt(1.5), 'body', 'reply_to', 'reply_to as float');
    assertValidation(await attempt({ id: here.id }), 'body', 'reply_to', 'reply_to as object');

    const history = await api.history(alice, chat.id);
    assert.deepEqual(history.map((m) => m.text), ['here', null], 'nothing was stored');
    assert.equal((await reply(api, bob, chat.id, 'fine', here.id)).reply_to.id, here.id);
  });

  it('replies over the WebSocket with send_message {reply_to}', async () => {
    const [alice, bob] = await api.users(2, 'wsreply');
    const chat = await api.privateChat(alice, bob);
    const a = await Client.open(base(), { token: alice.token });
    const b = await Client.open(base(), { token: bob.token });
    await Promise.all([connectedAs(a), connectedAs(b)]);
    const original = await api.send(alice, chat.id, 'question?');

    b.send('send_message', { chat_id: chat.id, text: 'answer!', client_message_id: 'wr-1', reply_to: original.id });
    const ack = await b.waitFor((e) => e.type === 'message_sent', 'ack');
    assert.equal(ack.data.duplicate, false);
    const expected = {
      id: original.id,
      sender_id: alice.id,
      sender_username: alice.username,
      text: 'question?',
      deleted: false,
    };
    assert.deepEqual(ack.data.reply_to, expected);
    const ev = await waitMessageEvent(a, 'new_message', ack.data.id, 'the reply reaches alice');
    assert.deepEqual(ev.data.reply_to, expected);
    assertMessageShape(ev.data, 'new_message');

    b.send('send_message', { chat_id: chat.id, text: 'answer?', client_message_id: 'wr-2', reply_to: ABSENT_ID });
    const err = await waitError(b, 'send_message', 0, 'reply to an unknown message');
    assert.equal(err.data.status, 422);
    assert.equal(err.data.field, 'reply_to');
    b.send('ping', {});
    await b.waitFor((e) => e.type === 'pong', 'still open');
    assert.equal((await api.history(alice, chat.id)).length, 2);
    a.close();
    b.close();
  });
});
