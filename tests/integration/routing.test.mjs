// Targeted routing across two server processes through Redis: a process receives a chat's events only while
// one of its users is in the chat, as its own metrics count them (windi_bus_received_total).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, sleep, startServer } from './harness.mjs';
import { samplesOf, total } from './metrics_page.mjs';
import { RedisServer } from './redis_server.mjs';
import { Client, connectedAs } from './ws_client.mjs';

const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;
const skip = pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")';

describe('targeted routing across two server processes [postgresql]', { skip }, () => {
  const redis = new RedisServer();
  let a;
  let b;
  let api;
  before(async () => {
    await redis.start();
    const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url: pgUrl };
    const env = { REDIS_URL: redis.url, METRICS_ADDR: '127.0.0.1:0' };
    a = await startServer(backend, { env });
    b = await startServer(backend, { env, secretKey: a.secretKey });
    api = new Api(a);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis.stop();
  });

  const received = async (server) => total(await samplesOf(server), 'windi_bus_received_total');

  // Something every process hears (a chat created): once B counted it, B has heard everything A published
  // before it.
  async function barrier(user) {
    const before = await received(b);
    await api.groupChat(user, 'barrier', []);
    for (let i = 0; i < 100 && (await received(b)) <= before; i++) await sleep(50);
    assert.ok((await received(b)) > before, 'process B heard the chat created on A');
  }

  it('a process hears nothing of a chat none of its users is in, and everything once one is', async () => {
    const [alice, bob, carol, marker] = await api.users(4, 'route');
    const chat = await api.privateChat(alice, bob);
    const bobOnA = await Client.open(a.baseUrl, { token: bob.token });
    await connectedAs(bobOnA);
    const carolOnB = await Client.open(b.baseUrl, { token: carol.token });
    await connectedAs(carolOnB);

    await barrier(marker);
    const quietBefore = await received(b);
    for (let i = 0; i < 20; i++) {
      const res = await api.post('/api/v1/messages/', { token: alice.token, json: { chat_id: chat.id, text: `local ${i}` } });
      assert.equal(res.status, 201, res.text);
    }
    await bobOnA.waitFor((e) => e.type === 'new_message' && e.data.text === 'local 19', 'the last message on A');
    await barrier(marker);
    const heard = (await received(b)) - quietBefore - 1;  // less the barrier's own event
    console.log(`process B received ${heard} events from Redis while A's users exchanged 20 messages`);
    assert.ok(heard < 20, `process B received ${heard} events; a firehose would be 20 messages and more`);

    // Bob connects on B as well: from then on B follows the chat and hears its messages.
    const bobOnB = await Client.open(b.baseUrl, { token: bob.token });
    await connectedAs(bobOnB);
    const res = await api.post('/api/v1/messages/', { token: alice.token, json: { chat_id: chat.id, text: 'now on B too' } });
    assert.equal(res.status, 201, res.text);
    await bobOnB.waitFor((e) => e.type === 'new_message' && e.data.text === 'now on B too', 'the message on B');
    for (const c of [bobOnA, carolOnB, bobOnB]) c.close();
  });
});
