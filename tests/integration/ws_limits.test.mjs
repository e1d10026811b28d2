// The socket's limits, as a client meets them: a consumer too slow to keep up is closed with 4008 and loses
// nothing when it resumes; a peer that stops answering pings is dropped and goes offline for the others; a
// client away for longer than the server replays is told resync_required, never given a silent gap.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, sleep, startServer } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import { RawSocket } from './raw_socket.mjs';

const sqlite = { name: 'sqlite', kind: 'sqlite', fresh: true };

describe('websocket limits', () => {
  let server;
  const api = new Api(() => server);
  before(async () => {
    server = await startServer(sqlite, {
      env: {
        WS_OUTBOX_MAX_FRAMES: '64',
        WS_OUTBOX_MAX_BYTES: '262144',
        WS_SOCKET_UNSENT_MAX_BYTES: '131072',
        WS_IDLE_TIMEOUT_SECONDS: '2',
        WS_WRITE_TIMEOUT_SECONDS: '3',
        WS_SYNC_MAX_MESSAGES: '5',
        MAX_MESSAGE_CHARS: '60000',
      },
    });
  });
  after(async () => server?.stop());

  it('closes a consumer that stops reading with 4008, drops one that never reads again, stalls no one', async () => {
    const [alice, bob] = await api.users(2, 'slow');
    const chat = await api.privateChat(alice, bob);
    // bob's phone hangs for a while; his laptop hangs for good. Neither reads from its socket.
    const phone = await RawSocket.open(server.baseUrl, bob.token);
    const laptop = await RawSocket.open(server.baseUrl, bob.token);
    for (const s of [phone, laptop]) {
      await s.until(() => s.messages.some((m) => m.type === 'connected'), 'connected');
      s.pause();
    }

    // 60 KB messages: the kernel's socket buffers fill, then the server's bounded queues overflow.
    const big = 'x'.repeat(59_000);
    const sent = [];
    const overflows = () => server.log.split('too slow, closing with 4008').length - 1;
    for (let i = 0; i < 400 && overflows() < 2; i += 8) {
      const batch = await Promise.all(Array.from({ length: 8 }, (_, k) => api.send(alice, chat.id, `${i + k} ${big}`)));
      sent.push(...batch);
    }
    assert.equal(overflows(), 2, 'the server gave up on both stuck connections');
    // More than the replay limit after the overflow, however much the phone had seen before it.
    for (let i = 0; i < 6; i++) sent.push(await api.send(alice, chat.id, `after the overflow ${i}`));

    // The phone wakes up: it reads what was already on the wire, then the close frame.
    phone.resume();
    await phone.until(() => phone.closeCode !== null, 'close frame', 20_000);
    assert.equal(phone.closeCode, 4008);
    const delivered = phone.messages.filter((m) => m.type === 'new_message').map((m) => m.data.id);
    assert.ok(delivered.length < sent.length, `frames were dropped, not queued (${delivered.length} of ${sent.length})`);
    phone.destroy();

    // Other members are not held up meanwhile.
    const carol = await api.user('slow');
    const group = await api.groupChat(alice, 'busy', [bob, carol]);
    const c = await Client.open(server.baseUrl, { token: carol.token });
    await connectedAs(c);
    const live = await api.send(alice, group.id, 'still flowing');
    await c.waitFor((e) => e.type === 'new_message' && e.data.id === live.id, 'live message to carol');
    c.close();

    // The laptop never reads again: the server cuts it off after WS_WRITE_TIMEOUT_SECONDS, holding nothing.
    let connections = -1;
    for (let t = 0; t < 100 && connections !== 0; t++) {
      connections = (await api.get('/health')).body.websocket_connections;
      if (connections !== 0) await sleep(100);
    }
    assert.equal(connections, 0, 'the stuck connection was dropped');
    laptop.destroy();

    // bob resumes from what the phone saw. He missed more than this server replays (5), so he is told to
    // resync rather than given a gap, and the history has every message once.
    const lastSeen = phone.messages.filter((m) => m.type === 'new_message').at(-1)?.data.seq ?? 0;
    const b = await Client.open(server.baseUrl, { token: bob.token });
    await connectedAs(b);
    b.send('sync', { chats: { [chat.id]: lastSeen } });
    const sync = await b.waitFor((e) => e.type === 'sync', 'sync');
    assert.equal(sync.data.chats.find((x) => x.chat_id === chat.id).resync_required, true);
    b.close();
    const stored = [];
    for (let offset = 0; ; offset += 100) {
      const page = await api.history(bob, chat.id, { limit: 100, offset });
      stored.push(...page.map((m) => m.id));
      if (page.length < 100) break;
    }
    assert.deepEqual([...stored].sort((x, y) => x - y), sent.map((m) => m.id).sort((x, y) => x - y));
  });

  it('gives up on a consumer that stops reading before much has piled up for it', async () => {
    const [alice, bob] = await api.users(2, 'pile');
    const chat = await api.privateChat(alice, bob);
    const stuck = await RawSocket.open(server.baseUrl, bob.token);
    await stuck.until(() => stuck.messages.some((m) => m.type === 'connected'), 'connected');
    stuck.pause();
    // 1 KB messages. With WS_SOCKET_UNSENT_MAX_BYTES the kernel holds only about 128 KiB not sent yet: left
    // alone, it would take up to 4 MiB (thousands of these) before the 64-frame queue even began to fill, and
    // the close would come that much later, with that much memory pinned for a reader who is gone.
    const overflows = () => (server.log.match(new RegExp(`ws: user ${bob.id} connection \\S+ too slow`, 'g')) ?? []).length;
    const text = 'y'.repeat(1000);
    let sent = 0;
    while (overflows() === 0 && sent < 4000) {
      await Promise.all(Array.from({ length: 16 }, (_, k) => api.send(alice, chat.id, `${sent + k} ${text}`)));
      sent += 16;
    }
    assert.equal(overflows(), 1, `closed as too slow (after ${sent} messages)`);
    assert.ok(sent <= 1200, `closed after ${sent} messages of 1 KB; at most 1,200 expected`);
    stuck.destroy();
  });

  it('drops a peer that stops answering pings, and the others see it go offline', async () => {
    const [alice, bob] = await api.users(2, 'dead');
    await api.privateChat(alice, bob);
    const a = await Client.open(server.baseUrl, { token: alice.token });
    await connectedAs(a);
    const dead = await RawSocket.open(server.baseUrl, bob.token); // never answers a ping
    await a.waitFor((e) => e.type === 'user_status' && e.data.user_id === bob.id && e.data.status === 'online', 'bob online');
    await dead.until(() => dead.ended, 'the server dropping the silent peer', 10_000);
    assert.ok(dead.pings >= 1, 'the server pinged before giving up');
    await a.waitFor((e) => e.type === 'user_status' && e.data.user_id === bob.id && e.data.status === 'offline', 'bob offline');
    // A peer that answers pings (the browser's WebSocket does) stays connected across several idle periods.
    await sleep(4_500);
    assert.equal(a.closed, null);
    a.close();
  });

  it('tells a client that missed more than the replay limit to resync, and replays up to the limit', async () => {
    const [alice, bob] = await api.users(2, 'resync');
    const far = await api.privateChat(alice, bob);
    const [carol] = await api.users(1, 'resync');
    const near = await api.privateChat(carol, bob);
    for (let i = 0; i < 8; i++) await api.send(alice, far.id, `far ${i}`);
    const nearMessages = [];
    for (let i = 0; i < 5; i++) nearMessages.push(await api.send(carol, near.id, `near ${i}`));

    const b = await Client.open(server.baseUrl, { token: bob.token });
    await connectedAs(b);
    b.send('sync', { chats: { [far.id]: 0, [near.id]: 0 } });
    const sync = await b.waitFor((e) => e.type === 'sync', 'sync');
    const farEntry = sync.data.chats.find((x) => x.chat_id === far.id);
    const nearEntry = sync.data.chats.find((x) => x.chat_id === near.id);
    assert.equal(farEntry.resync_required, true);
    assert.deepEqual(farEntry.messages, [], 'no partial replay that would look complete');
    assert.equal(farEntry.last_seq, 8);
    assert.equal(nearEntry.resync_required, false);
    assert.deepEqual(nearEntry.messages.map((m) => m.id), nearMessages.map((m) => m.id));
    b.close();
  });
});
