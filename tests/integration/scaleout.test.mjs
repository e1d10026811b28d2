// Two server processes sharing one PostgreSQL and one Redis: users on different processes talk live, and when
// Redis restarts during traffic the servers keep storing and delivering locally, fan-out comes back by itself,
// connections that stayed open are asked to resync, and a client that resumes has every message exactly once. Each run has a redis-server of its own, so that it
// can stop and start it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, startServer, sleep } from './harness.mjs';
import { RedisServer } from './redis_server.mjs';
import { Client, connectedAs } from './ws_client.mjs';

const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;
const skip = pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")';
if (!pgUrl && process.env.CI === 'true') throw new Error('CI=true requires WINDI_TEST_POSTGRES_URL');

async function until(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

describe('two server processes through Redis [postgresql]', { skip }, () => {
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

  it('users on different processes exchange messages, typing, receipts and status both ways', async () => {
    const [alice, bob] = await apiA.users(2, 'xp');
    const chat = await apiA.privateChat(alice, bob);
    const onA = await Client.open(a.baseUrl, { token: alice.token });
    await connectedAs(onA);
    const onB = await Client.open(b.baseUrl, { token: bob.token });
    await connectedAs(onB);
    await onA.waitFor((e) => e.type === 'user_status' && e.data.user_id === bob.id && e.data.status === 'online', 'bob online on A');

    onA.send('send_message', { chat_id: chat.id, text: 'from A', client_message_id: 'a-1' });
    await onB.waitFor((e) => e.type === 'new_message' && e.data.client_message_id === 'a-1', 'A -> B');
    const fromB = await apiB.send(bob, chat.id, 'from B over REST', 'b-1');
    await onA.waitFor((e) => e.type === 'new_message' && e.data.id === fromB.id, 'B -> A');

    onB.send('typing', { chat_id: chat.id, is_typing: true });
    await onA.waitFor((e) => e.type === 'typing_indicator' && e.data.user_id === bob.id, 'typing B -> A');
    onA.send('typing', { chat_id: chat.id, is_typing: true });
    await onB.waitFor((e) => e.type === 'typing_indicator' && e.data.user_id === alice.id, 'typing A -> B');

    const unread = await apiA.send(alice, chat.id, 'read this, bob', 'a-2');
    await onB.waitFor((e) => e.type === 'new_message' && e.data.id === unread.id, 'A -> B again');
    onB.send('mark_read', { chat_id: chat.id, message_id: unread.id });
    const receipt = await onA.waitFor((e) => e.type === 'message_read' && e.data.user_id === bob.id, 'receipt B -> A');
    assert.equal(receipt.data.last_read_seq, unread.seq);
    const reply = await apiB.send(bob, chat.id, 'read this, alice', 'b-2');
    await onA.waitFor((e) => e.type === 'new_message' && e.data.id === reply.id, 'B -> A again');
    onA.send('mark_read', { chat_id: chat.id });
    await onB.waitFor((e) => e.type === 'message_read' && e.data.user_id === alice.id, 'receipt A -> B');

    onB.close();
    await onA.waitFor((e) => e.type === 'user_status' && e.data.user_id === bob.id && e.data.status === 'offline', 'bob offline on A');
    onA.close();
  });

  it('survives a Redis restart during traffic: nothing lost, nothing twice', async () => {
    const [alice, bob] = await apiA.users(2, 'rr');
    const chat = await apiA.privateChat(alice, bob);
    const onA = await Client.open(a.baseUrl, { token: alice.token });
    await connectedAs(onA);
    const onB = await Client.open(b.baseUrl, { token: bob.token });
    await connectedAs(onB);
    const sent = [await apiA.send(alice, chat.id, 'before the outage')];
    await onB.waitFor((e) => e.type === 'new_message' && e.data.id === sent[0].id, 'before');
    onB.events.length = 0;

    await redis.stop();
    for (let i = 0; i < 5; i++) sent.push(await apiA.send(alice, chat.id, `during the outage ${i}`));
    // Local delivery never depends on Redis.
    await onA.waitFor((e) => e.type === 'new_message' && e.data.id === sent.at(-1).id, 'local delivery during the outage');
    const health = await apiA.get('/health');
    assert.equal(health.status, 200, 'the database is fine, so the server is healthy');

    await redis.start();
    await until('cross-process fan-out comes back', async () => {
      const m = await apiA.send(alice, chat.id, 'after the outage');
      sent.push(m);
      await sleep(300);
      return onB.events.some((e) => e.type === 'new_message' && e.data.id === m.id);
    });

    // bob's connection stayed open through it and missed the messages of the outage: it is told to resync, once,
    // and its sync brings exactly those.
    await onB.waitFor((e) => e.type === 'sync_required', 'sync_required on the connection that stayed open');
    const missedLive = sent.slice(1, 6).filter((m) => !onB.events.some((e) => e.type === 'new_message' && e.data.id === m.id));
    assert.ok(missedLive.length > 0, 'the outage did cut the live copies to the other process');
    assert.equal(onB.of('sync_required').length, 1, 'asked once until it syncs');
    onB.send('sync', { changes: { [chat.id]: sent[0].change_seq } });
    const caughtUp = await onB.waitFor((e) => e.type === 'sync', 'the sync it was asked for');
    const replayed = caughtUp.data.chats.find((c) => c.chat_id === chat.id).messages.map((m) => m.id);
    for (const m of sent.slice(1, 6)) assert.ok(replayed.includes(m.id), `message ${m.id} of the outage is in the sync`);

    // bob resumes from the last message he saw before the outage.
    const resumed = await Client.open(b.baseUrl, { token: bob.token });
    await connectedAs(resumed);
    resumed.send('sync', { chats: { [chat.id]: sent[0].seq } });
    const sync = await resumed.waitFor((e) => e.type === 'sync', 'sync');
    const replay = sync.data.chats.find((c) => c.chat_id === chat.id).messages.map((m) => m.id);
    assert.deepEqual(replay, sent.slice(1).map((m) => m.id), 'every message after the cursor, in order, once');
    onA.close();
    onB.close();
    resumed.close();
  });

  it('asks the connections of every process to resync when a process lost its Redis command connection', async () => {
    const [alice, bob] = await apiA.users(2, 'kc');
    const onA = await Client.open(a.baseUrl, { token: alice.token });
    await connectedAs(onA);
    const onB = await Client.open(b.baseUrl, { token: bob.token });
    await connectedAs(onB);
    // Publishes on their way when a connection breaks may never reach Redis: after its reconnect, each process
    // tells the others, whose subscriptions never broke.
    const answer = await redis.command('CLIENT KILL TYPE normal');
    assert.match(answer, /^:[1-9]/, 'the processes had command connections to kill');
    await onA.waitFor((e) => e.type === 'sync_required', 'sync_required on process A', 15000);
    await onB.waitFor((e) => e.type === 'sync_required', 'sync_required on process B', 15000);
    onB.send('sync', {});
    await onB.waitFor((e) => e.type === 'sync', 'the sync answer');
    onA.close();
    onB.close();
  });
});
