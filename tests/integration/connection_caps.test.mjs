// Connection caps: one user, and one client address, hold at most WS_MAX_CONNECTIONS_PER_USER and
// WS_MAX_CONNECTIONS_PER_ADDRESS WebSockets (on every process together when REDIS_URL is set). Past a cap the upgrade answers 429 with Retry-After (a
// socket authenticated by its first frame is closed with 1013); a closed connection frees its place; other
// users and addresses are not affected.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Api, startServer } from './harness.mjs';
import { RedisServer } from './redis_server.mjs';
import { Client, connectedAs } from './ws_client.mjs';

const sqlite = { name: 'sqlite', kind: 'sqlite', fresh: true };
const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;

/**
 * A WebSocket upgrade request on a socket of its own. Resolves with {status, headers, body, socket}: the socket
 * stays open after a 101 (the caller destroys it), and body is the parsed JSON of any other answer.
 */
function upgrade(baseUrl, { token, forwardedFor } = {}) {
  const url = new URL(baseUrl);
  const headers = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  };
  if (forwardedFor) headers['X-Forwarded-For'] = forwardedFor;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: `/api/v1/ws/chat${token ? `?token=${token}` : ''}`,
      headers,
      agent: false,
    });
    req.on('upgrade', (res, socket) => resolve({ status: 101, headers: res.headers, socket }));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertTooMany(answer, detail) {
  assert.equal(answer.status, 429, JSON.stringify(answer.body));
  assert.deepEqual(answer.body, { detail });
  assert.ok(Number(answer.headers['retry-after']) >= 1, `Retry-After: ${answer.headers['retry-after']}`);
}

describe('connection caps', () => {
  let server;
  const api = new Api(() => server);
  const open = [];
  before(async () => {
    server = await startServer(sqlite, {
      env: { WS_MAX_CONNECTIONS_PER_USER: '3', WS_MAX_CONNECTIONS_PER_ADDRESS: '6', TRUSTED_PROXIES: '127.0.0.1' },
    });
  });
  after(async () => {
    for (const s of open) s.destroy();
    await server?.stop();
  });

  it('gives a user at most the cap, refuses more with 429 or 1013, and frees a place when one closes', async () => {
    const [alice, bob] = await api.users(2, 'cap');
    const sockets = [];
    for (let i = 0; i < 3; i++) {
      const c = await Client.open(server.baseUrl, { token: alice.token });
      await connectedAs(c);
      sockets.push(c);
    }
    assertTooMany(await upgrade(server.baseUrl, { token: alice.token }), 'Too many connections for this user');
    // The same refusal for a socket that authenticates with its first frame comes as a close.
    const late = await Client.open(server.baseUrl, {});
    late.send('auth', { token: alice.token });
    const closed = await late.waitClosed();
    assert.equal(closed?.code, 1013, JSON.stringify(closed));
    assert.equal(closed.reason, 'too many connections');
    assert.equal(late.of('connected').length, 0, 'the refused socket never said connected');

    // Another user is not affected; the user's open sockets keep working.
    const other = await Client.open(server.baseUrl, { token: bob.token });
    await connectedAs(other);
    sockets[0].send('ping', {});
    await sockets[0].waitFor((e) => e.type === 'pong', 'an open socket still answers');

    sockets.pop().close();
    let again;
    for (let attempt = 0; attempt < 50 && !again; attempt++) {
      // The server frees the place once it has seen the close.
      const answer = await upgrade(server.baseUrl, { token: alice.token });
      if (answer.status === 101) again = answer.socket;
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(again, 'after one closed, the user connects again');
    again.destroy();
    for (const c of [...sockets, other]) c.close();
  });

  it('caps connections per client address, X-Forwarded-For counting only from a trusted proxy', async () => {
    const users = await api.users(7, 'addr');
    // Six users behind one forwarded address fill its cap; the seventh is refused whoever it is.
    for (const u of users.slice(0, 6)) {
      const answer = await upgrade(server.baseUrl, { token: u.token, forwardedFor: '198.51.100.7' });
      assert.equal(answer.status, 101);
      open.push(answer.socket);
    }
    assertTooMany(
      await upgrade(server.baseUrl, { token: users[6].token, forwardedFor: '198.51.100.7' }),
      'Too many connections from this address',
    );
    // Counted before authentication: a socket without a token is refused all the same.
    assertTooMany(await upgrade(server.baseUrl, { forwardedFor: '198.51.100.7' }), 'Too many connections from this address');
    // Another address behind the same proxy is not affected.
    const elsewhere = await upgrade(server.baseUrl, { token: users[6].token, forwardedFor: '203.0.113.9' });
    assert.equal(elsewhere.status, 101);
    open.push(elsewhere.socket);
    // A place comes back when a socket of that address goes.
    open.shift().destroy();
    let admitted = false;
    for (let attempt = 0; attempt < 50 && !admitted; attempt++) {
      const answer = await upgrade(server.baseUrl, { token: users[6].token, forwardedFor: '198.51.100.7' });
      admitted = answer.status === 101;
      if (admitted) open.push(answer.socket);
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(admitted, 'the freed place is taken again');
  });
});

describe('connection caps across two server processes through Redis [postgresql]', {
  skip: pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")',
}, () => {
  const redis = new RedisServer();
  let servers = [];
  const open = [];
  before(async () => {
    await redis.start();
    const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url: pgUrl };
    const env = { WS_MAX_CONNECTIONS_PER_USER: '2', WS_MAX_CONNECTIONS_PER_ADDRESS: '3', TRUSTED_PROXIES: '127.0.0.1', REDIS_URL: redis.url };
    const a = await startServer(backend, { env });
    const b = await startServer(backend, { env, secretKey: a.secretKey });
    servers = [a, b];
  });
  after(async () => {
    for (const s of open) s.destroy();
    await Promise.all(servers.map((s) => s.stop()));
    await redis.stop();
  });

  it('counts a user\'s and an address\'s sockets on every process together', async () => {
    const [a, b] = servers;
    const [alice, bob] = await new Api(a).users(2, 'xcap');
    for (const server of [a, b]) {
      const answer = await upgrade(server.baseUrl, { token: alice.token, forwardedFor: '198.51.100.20' });
      assert.equal(answer.status, 101);
      open.push(answer.socket);
    }
    assertTooMany(await upgrade(a.baseUrl, { token: alice.token }), 'Too many connections for this user');
    assertTooMany(await upgrade(b.baseUrl, { token: alice.token }), 'Too many connections for this user');
    const third = await upgrade(b.baseUrl, { token: bob.token, forwardedFor: '198.51.100.20' });
    assert.equal(third.status, 101, 'the address has one place left');
    open.push(third.socket);
    assertTooMany(await upgrade(a.baseUrl, { token: bob.token, forwardedFor: '198.51.100.20' }), 'Too many connections from this address');
    // A socket closed on process A frees its place for process B.
    open.shift().destroy();
    let admitted;
    for (let attempt = 0; attempt < 50 && !admitted; attempt++) {
      const answer = await upgrade(b.baseUrl, { token: alice.token });
      if (answer.status === 101) admitted = answer.socket;
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(admitted, 'the place freed on one process is taken on the other');
    open.push(admitted);
  });
});
