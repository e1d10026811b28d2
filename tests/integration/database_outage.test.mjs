// A database outage, as a client lives it: the server runs on PostgreSQL through a TCP relay that the test cuts
// (every open connection reset, new ones refused) and restores. Meanwhile the server answers 503 quickly instead
// of hanging or crashing, keeps its WebSockets open, counts no failed login, and loses nothing it acknowledged;
// afterwards it recovers by itself and resends by client_message_id are stored exactly once.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Api, answersWithin, sleep, startServer } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';

const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;
const skip = pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")';
if (!pgUrl && process.env.CI === 'true') throw new Error('CI=true requires WINDI_TEST_POSTGRES_URL');

/** Relays a local port to PostgreSQL until cut. */
class Relay {
  constructor(target) {
    this.target = target;
    this.sockets = new Set();
    this.port = null;
  }
  async up() {
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise((resolve) => this.server.listen(this.port ?? 0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
  }
  /** The database is gone: open connections are reset, new ones refused. */
  async cut() {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const s of this.sockets) s.resetAndDestroy?.() ?? s.destroy();
    await closed;
  }
}


describe('a database outage [postgresql]', { skip }, () => {
  let relay;
  let server;
  const api = new Api(() => server);
  before(async () => {
    const target = new URL(pgUrl);
    relay = new Relay(target);
    await relay.up();
    const viaRelay = new URL(pgUrl);
    viaRelay.port = String(relay.port);
    server = await startServer({ name: 'postgresql', kind: 'postgresql', fresh: false, url: viaRelay.toString() });
  });
  after(async () => {
    await server?.stop();
    await relay?.cut().catch(() => {});
  });

  it('answers 503 during the outage, keeps sockets open, and stores every resend exactly once afterwards', async () => {
    const [alice, bob] = await api.users(2, 'outage');
    const chat = await api.privateChat(alice, bob);
    const before = await api.send(alice, chat.id, 'before the outage', 'out-0');
    const onBob = await Client.open(server.baseUrl, { token: bob.token });
    await connectedAs(onBob);
    const onAlice = await Client.open(server.baseUrl, { token: alice.token });
    await connectedAs(onAlice);

    await relay.cut();

    const health = await answersWithin(10_000, '/health', () => api.get('/health'));
    assert.equal(health.status, 503, health.text);
    const rest = await answersWithin(15_000, 'POST /messages', () =>
      api.post('/api/v1/messages', { token: alice.token, json: { chat_id: chat.id, text: 'during, REST', client_message_id: 'out-1' } }),
    );
    assert.equal(rest.status, 503, rest.text);
    assert.deepEqual(rest.body, { detail: 'Service temporarily unavailable' });
    onAlice.send('send_message', { chat_id: chat.id, text: 'during, socket', client_message_id: 'out-2' });
    const refused = await onAlice.waitFor((e) => e.type === 'error' && e.data.action === 'send_message', 'the refused send', 15_000);
    assert.equal(refused.data.status, 503, JSON.stringify(refused));
    // A login that cannot be checked is not a failed login: no throttling follows from it.
    for (let i = 0; i < 3; i++) {
      const login = await answersWithin(15_000, 'login', () =>
        api.post('/api/v1/auth/login-json', { json: { username: alice.username, password: alice.password } }),
      );
      assert.equal(login.status, 503, login.text);
    }
    // The sockets stay open through it.
    onBob.send('ping', {});
    await onBob.waitFor((e) => e.type === 'pong', 'the socket still answers during the outage');

    await relay.up();
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = (await api.get('/health')).status === 200;
      if (!healthy) await sleep(200);
    }
    assert.ok(healthy, 'healthy again within 20 s of the database coming back');

    const resentRest = await api.post('/api/v1/messages', {
      token: alice.token,
      json: { chat_id: chat.id, text: 'during, REST', client_message_id: 'out-1' },
    });
    assert.ok([200, 201].includes(resentRest.status), resentRest.text);
    onAlice.send('send_message', { chat_id: chat.id, text: 'during, socket', client_message_id: 'out-2' });
    await onAlice.waitFor((e) => e.type === 'message_sent' && e.data.client_message_id === 'out-2', 'the resend over the socket', 15_000);
    // Twice more: the first copies are the ones kept.
    const again = await api.post('/api/v1/messages', {
      token: alice.token,
      json: { chat_id: chat.id, text: 'during, REST', client_message_id: 'out-1' },
    });
    assert.equal(again.status, 200, 'a resend of a stored message');
    assert.equal(again.body.id, resentRest.body.id);
    await onBob.waitFor((e) => e.type === 'new_message' && e.data.client_message_id === 'out-2', 'bob gets the message live');

    const history = await api.history(bob, chat.id);
    assert.deepEqual(
      history.map((m) => m.client_message_id),
      ['out-0', 'out-1', 'out-2'],
      'each message once, the acknowledged one from before the outage included',
    );
    assert.equal(history[0].id, before.id);
    const login = await api.post('/api/v1/auth/login-json', { json: { username: alice.username, password: alice.password } });
    assert.equal(login.status, 200, `no throttling left over from the outage: ${login.text}`);
    // The operator reads about the outage once, and about its end, not once per refused request.
    const warnings = server.log.split('\n').filter((l) => l.includes('cannot connect to PostgreSQL'));
    assert.equal(warnings.length, 1, server.log.slice(-3000));
    assert.match(server.log, /connected to PostgreSQL again/);
    onAlice.close();
    onBob.close();
  });
});
