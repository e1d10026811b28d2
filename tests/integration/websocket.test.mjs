// The WebSocket half of the contract, against a real server process: events reach every member's connection,
// the REST and socket send paths behave alike, bad frames get error frames on a connection that stays open,
// and a client that reconnects gets what it missed from the store, in order, once.

import assert from 'node:assert/strict';
import http from 'node:http';
import { it } from 'node:test';
import { forEachBackend, sleep } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';

forEachBackend('websocket', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  it('delivers a message to every connection of every member, the sender\'s other device included', async () => {
    const [alice, bob] = await api.users(2, 'ws');
    const chat = await api.privateChat(alice, bob);
    const alicePhone = await Client.open(base(), { token: alice.token });
    const aliceLaptop = await Client.open(base(), { token: alice.token });
    const bobPhone = await Client.open(base(), { token: bob.token });
    await Promise.all([alicePhone, aliceLaptop, bobPhone].map(connectedAs));

    alicePhone.send('send_message', { chat_id: chat.id, text: 'hello over the socket', client_message_id: 'c-1' });
    const ack = await alicePhone.waitFor((e) => e.type === 'message_sent', 'ack');
    assert.equal(ack.data.client_message_id, 'c-1');
    assert.equal(ack.data.duplicate, false);
    for (const c of [alicePhone, aliceLaptop, bobPhone]) {
      const ev = await c.waitFor((e) => e.type === 'new_message' && e.data.client_message_id === 'c-1', 'new_message');
      assert.equal(ev.data.text, 'hello over the socket');
      assert.equal(ev.data.id, ack.data.id);
      assert.equal(ev.data.seq, 1);
    }

    // The REST send path fans out the same way.
    const viaRest = await api.send(bob, chat.id, 'and over REST', 'r-1');
    const ev = await alicePhone.waitFor((e) => e.type === 'new_message' && e.data.id === viaRest.id, 'REST message');
    assert.equal(ev.data.seq, 2);
    for (const c of [alicePhone, aliceLaptop, bobPhone]) c.close();
  });

  it('a resend with the same client_message_id returns the stored message and fans nothing out twice', async () => {
    const [alice, bob] = await api.users(2, 'dup');
    const chat = await api.privateChat(alice, bob);
    const a = await Client.open(base(), { token: alice.token });
    const b = await Client.open(base(), { token: bob.token });
    await Promise.all([connectedAs(a), connectedAs(b)]);
    a.send('send_message', { chat_id: chat.id, text: 'once', client_message_id: 'same' });
    a.send('send_message', { chat_id: chat.id, text: 'once', client_message_id: 'same' });
    await a.waitFor((e) => e.type === 'message_sent' && e.data.duplicate === true, 'duplicate ack');
    b.send('ping', {});
    await b.waitFor((e) => e.type === 'pong', 'pong');
    await sleep(200);
    assert.equal(b.of('new_message').length, 1);
    const acks = a.of('message_sent');
    assert.equal(acks.length, 2);
    assert.equal(acks[0].data.id, acks[1].data.id);
    assert.equal(acks[0].data.timestamp, acks[1].data.timestamp);
    a.close();
    b.close();
  });

  it('a burst of sends without waiting is acknowledged and stored in the order sent, and an action after it sees it all', async () => {
    const [alice, bob] = await api.users(2, 'burst');
    const chat = await api.privateChat(alice, bob);
    const a = await Client.open(base(), { token: alice.token });
    const b = await Client.open(base(), { token: bob.token });
    await Promise.all([connectedAs(a), connectedAs(b)]);
    const count = 150; // more than one connection commits at once, so the reader also waits for room
    for (let i = 0; i < count; i++) b.send('send_message', { chat_id: chat.id, text: `burst ${i}`, client_message_id: `burst-${i}` });
    b.send('sync', { chats: { [chat.id]: 0 } });
    await b.waitFor(() => b.of('message_sent').length === count, 'every ack', 20_000);
    const acks = b.of('message_sent');
    assert.deepEqual(acks.map((e) => e.data.text), Array.from({ length: count }, (_, i) => `burst ${i}`));
    assert.deepEqual(acks.map((e) => e.data.seq), Array.from({ length: count }, (_, i) => i + 1));
    await a.waitFor(() => a.of('new_message').length === count, 'every delivery', 20_000);
    const seen = a.of('new_message');
    assert.deepEqual(seen.map((e) => e.data.seq), Array.from({ length: count }, (_, i) => i + 1));
    const sync = await b.waitFor((e) => e.type === 'sync', 'sync');
    assert.equal(sync.data.chats.find((c) => c.chat_id === chat.id).messages.length, count);
    const stored = await api.history(alice, chat.id, { limit: 100, offset: 0 });
    assert.equal(stored.at(-1).text, `burst ${count - 1}`);
    a.close();
    b.close();
  });

  it('typing, read receipts and online status reach the other members', async () => {
    const [alice, bob] = await api.users(2, 'live');
    const chat = await api.privateChat(alice, bob);
    const a = await Client.open(base(), { token: alice.token });
    await connectedAs(a);
    const b = await Client.open(base(), { token: bob.token });
    await connectedAs(b);
    const online = await a.waitFor((e) => e.type === 'user_status' && e.data.user_id === bob.id, 'bob online');
    assert.equal(online.data.status, 'online');

    b.send('typing', { chat_id: chat.id, is_typing: true });
    const typing = await a.waitFor((e) => e.type === 'typing_indicator', 'typing');
    assert.deepEqual(
      { chat_id: typing.data.chat_id, user_id: typing.data.user_id, is_typing: typing.data.is_typing },
      { chat_id: chat.id, user_id: bob.id, is_typing: true },
    );
    assert.ok(typing.data.expires_in_ms > 0, 'the indicator expires by itself');
    assert.equal(b.of('typing_indicator').length, 0, 'no echo of one\'s own typing');

    const sent = await api.send(alice, chat.id, 'read me');
    await b.waitFor((e) => e.type === 'new_message' && e.data.id === sent.id, 'message');
    b.send('mark_read', { chat_id: chat.id, message_id: sent.id });
    const read = await a.waitFor((e) => e.type === 'message_read', 'read receipt');
    assert.equal(read.data.user_id, bob.id);
    assert.equal(read.data.last_read_seq, sent.seq);

    b.close();
    const offline = await a.waitFor(
      (e) => e.type === 'user_status' && e.data.user_id === bob.id && e.data.status === 'offline',
      'bob offline',
    );
    assert.ok(offline.data.last_seen);
    a.close();
  });

  it('answers bad frames with an error frame and keeps the connection open', async () => {
    const [alice, bob, carol] = await api.users(3, 'bad');
    const chat = await api.privateChat(alice, bob);
    const c = await Client.open(base(), { token: carol.token });
    await connectedAs(c);
    c.send('this is not json');
    c.send(JSON.stringify({ action: 'fly_to_the_moon', data: {} }));
    c.send('send_message', { chat_id: 'one', text: 'x' });
    c.send('send_message', { chat_id: chat.id, text: 'not my chat' });
    c.send('send_message', { chat_id: chat.id, text: 'x'.repeat(5000) });
    c.send('typing', { chat_id: chat.id, is_typing: 'yes' });
    const errors = await c.waitFor(() => c.of('error').length >= 6, 'six errors').then(() => c.of('error'));
    assert.deepEqual(
      errors.map((e) => e.data.status),
      [422, 400, 422, 404, 422, 422],
      JSON.stringify(errors),
    );
    assert.equal(errors[3].data.detail, 'Chat not found');
    c.send('ping', {});
    await c.waitFor((e) => e.type === 'pong', 'still open');
    const history = await api.history(alice, chat.id);
    assert.equal(history.length, 0, 'nothing was stored by the outsider');
    c.close();
  });

  it('refuses forged tokens before the upgrade, and accepts the token as a subprotocol or a first frame', async () => {
    const [alice] = await api.users(1, 'auth');
    await assert.rejects(Client.open(base(), { token: alice.token.slice(0, -2) + 'xx' }));
    const viaProtocol = await Client.open(base(), { token: alice.token, query: false, protocols: ['bearer', alice.token] });
    assert.equal(viaProtocol.ws.protocol, 'bearer');
    assert.equal((await connectedAs(viaProtocol)).data.user_id, alice.id);
    viaProtocol.close();

    const viaFrame = await Client.open(base(), {});
    viaFrame.send('auth', { token: alice.token });
    assert.equal((await connectedAs(viaFrame)).data.user_id, alice.id);
    viaFrame.close();

    const noAuth = await Client.open(base(), {});
    noAuth.send('ping', {});
    const closed = await noAuth.waitClosed();
    assert.equal(closed.code, 1008);
  });

  it('refuses a cross-site Origin that is not allowed', async () => {
    const [alice] = await api.users(1, 'origin');
    const url = new URL(base());
    const status = await new Promise((resolve, reject) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: `/api/v1/ws/chat?token=${alice.token}`,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          Origin: 'https://evil.example',
        },
      });
      req.on('response', (res) => resolve(res.statusCode));
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });

  it('closes a connection whose frame is larger than the limit', async () => {
    const [alice] = await api.users(1, 'big');
    const c = await Client.open(base(), { token: alice.token });
    await connectedAs(c);
    c.send('send_message', { chat_id: 1, text: 'y'.repeat(200 * 1024) });
    const closed = await c.waitClosed();
    assert.equal(closed.code, 1009);
  });

  it('a reconnecting client gets what it missed, in order, once, then live events', async () => {
    const [alice, bob] = await api.users(2, 'resume');
    const chat = await api.privateChat(alice, bob);
    const first = await api.send(alice, chat.id, 'seen before the drop');
    // bob was away while these were sent
    const missed = [];
    for (let i = 0; i < 7; i++) missed.push(await api.send(alice, chat.id, `missed ${i}`));

    const b = await Client.open(base(), { token: bob.token });
    await connectedAs(b);
    b.send('sync', { chats: { [chat.id]: first.seq } });
    const sync = await b.waitFor((e) => e.type === 'sync', 'sync');
    const entry = sync.data.chats.find((c) => c.chat_id === chat.id);
    assert.equal(entry.resync_required, false);
    assert.deepEqual(
      entry.messages.map((m) => m.id),
      missed.map((m) => m.id),
    );
    assert.equal(entry.unread_count, 8);
    const live = await api.send(alice, chat.id, 'after the sync');
    await b.waitFor((e) => e.type === 'new_message' && e.data.id === live.id, 'live message');
    const delivered = b.of('new_message').map((e) => e.data.id);
    assert.equal(new Set(delivered).size, delivered.length, 'no duplicates');
    assert.ok(!delivered.some((id) => missed.some((m) => m.id === id)), 'the replay is not repeated live');
    b.close();
  });
});
