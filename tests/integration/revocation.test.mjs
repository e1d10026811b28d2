// Sessions end when they should: POST /auth/logout revokes the token it is called with, a password change
// revokes every earlier token of the user, both everywhere (REST, the WebSocket upgrade, open sockets, every
// server process) and across a restart; a token of a user that does not exist opens nothing.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Api, decodeJwtPart, forEachBackend, signJwt, startServer } from './harness.mjs';
import { RedisServer } from './redis_server.mjs';
import { Client, connectedAs } from './ws_client.mjs';

const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;

/** The HTTP status the WebSocket upgrade with `?token=` gets (101 when it is accepted). */
function upgradeStatus(baseUrl, token) {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: `/api/v1/ws/chat?token=${token}`,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('error', reject);
    req.end();
  });
}

function assertRevoked(res, what) {
  assert.equal(res.status, 401, `${what}: ${res.text}`);
  assert.deepEqual(res.body, { detail: 'Could not validate credentials' }, what);
}

/** Resolves with {code, reason, ms} once `socket` closes; fails after `timeoutMs`. */
async function closedWithin(socket, timeoutMs, what) {
  const start = Date.now();
  const closed = await socket.waitClosed(timeoutMs);
  assert.ok(closed, `${what}: still open after ${timeoutMs} ms`);
  return { ...closed, ms: Date.now() - start };
}

async function logout(api, token) {
  return api.post('/api/v1/auth/logout', { token });
}

forEachBackend('token revocation', (ctx) => {
  const { api } = ctx;

  it('logout revokes that token everywhere, closes its sockets within a second, and leaves other tokens alone', async () => {
    const [alice, bob] = await api.users(2, 'lo');
    const chat = await api.privateChat(alice, bob);
    const laptop = await api.login(alice.username, alice.password); // a second device of alice
    const signedOut = await Client.open(ctx.server.baseUrl, { token: alice.token });
    await connectedAs(signedOut);
    const stays = await Client.open(ctx.server.baseUrl, { token: laptop.access_token });
    await connectedAs(stays);

    const res = await logout(api, alice.token);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');

    const closed = await closedWithin(signedOut, 1000, 'the signed-out socket');
    assert.equal(closed.code, 4001, JSON.stringify(closed));
    assert.equal(closed.reason, 'token revoked');

    assertRevoked(await api.get('/api/v1/users/me', { token: alice.token }), 'GET /users/me');
    assertRevoked(await api.get('/api/v1/chats', { token: alice.token }), 'GET /chats');
    assertRevoked(
      await api.post('/api/v1/messages', { token: alice.token, json: { chat_id: chat.id, text: 'after logout' } }),
      'POST /messages',
    );
    assertRevoked(await logout(api, alice.token), 'logging out twice');
    assert.equal(await upgradeStatus(ctx.server.baseUrl, alice.token), 401, 'the WebSocket upgrade');

    // The other device is still signed in, live.
    const me = await api.get('/api/v1/users/me', { token: laptop.access_token });
    assert.equal(me.status, 200, me.text);
    stays.send('ping', {});
    await stays.waitFor((e) => e.type === 'pong', 'the other device is still connected');
    const fromBob = await api.send(bob, chat.id, 'still there?');
    await stays.waitFor((e) => e.type === 'new_message' && e.data.id === fromBob.id, 'the other device gets messages');
    assert.deepEqual((await api.history(bob, chat.id)).map((m) => m.text), ['still there?'], 'nothing was stored after logout');
    stays.close();
  });

  it('logout needs a valid token', async () => {
    const res = await api.post('/api/v1/auth/logout');
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { detail: 'Not authenticated' });
    assertRevoked(await logout(api, 'not.a.token'), 'a malformed token');
  });

  it('changing the password revokes every earlier token and hands out a working new one', async () => {
    const alice = await api.user('pw');
    const phone = await api.login(alice.username, alice.password);
    const onPhone = await Client.open(ctx.server.baseUrl, { token: phone.access_token });
    await connectedAs(onPhone);

    const wrong = await api.post('/api/v1/users/me/password', {
      token: alice.token,
      json: { current_password: 'not the password', new_password: 'a new passphrase' },
    });
    assert.equal(wrong.status, 403, wrong.text);
    assert.deepEqual(wrong.body, { detail: 'Current password is incorrect' });
    const short = await api.post('/api/v1/users/me/password', {
      token: alice.token,
      json: { current_password: alice.password, new_password: 'abc' },
    });
    assert.equal(short.status, 422, short.text);
    assert.deepEqual(short.body.detail[0].loc, ['body', 'new_password']);
    const missing = await api.post('/api/v1/users/me/password', { token: alice.token, json: { new_password: 'a new passphrase' } });
    assert.equal(missing.status, 422, missing.text);
    assert.deepEqual(missing.body.detail[0].loc, ['body', 'current_password']);
    const notJson = await api.post('/api/v1/users/me/password', { token: alice.token, body: '{"current_password":' });
    assert.equal(notJson.status, 422, notJson.text);
    // None of those changed anything.
    assert.equal((await api.get('/api/v1/users/me', { token: phone.access_token })).status, 200);

    const changed = await api.post('/api/v1/users/me/password', {
      token: alice.token,
      json: { current_password: alice.password, new_password: 'a new passphrase' },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.token_type, 'bearer');
    assert.equal(changed.body.user.id, alice.id);

    const closed = await closedWithin(onPhone, 1000, 'the socket of an earlier token');
    assert.equal(closed.code, 4001, JSON.stringify(closed));
    assertRevoked(await api.get('/api/v1/users/me', { token: alice.token }), 'the token that changed the password');
    assertRevoked(await api.get('/api/v1/users/me', { token: phone.access_token }), 'another earlier token');
    assert.equal(await upgradeStatus(ctx.server.baseUrl, phone.access_token), 401);

    const fresh = changed.body.access_token;
    assert.equal((await api.get('/api/v1/users/me', { token: fresh })).status, 200, 'the new token works');
    const onNew = await Client.open(ctx.server.baseUrl, { token: fresh });
    await connectedAs(onNew);
    onNew.close();

    const oldLogin = await api.post('/api/v1/auth/login-json', { json: { username: alice.username, password: alice.password } });
    assert.equal(oldLogin.status, 401, 'the old password no longer logs in');
    const newLogin = await api.login(alice.username, 'a new passphrase');
    assert.equal((await api.get('/api/v1/users/me', { token: newLogin.access_token })).status, 200);
  });

  it('revocations survive a restart', async () => {
    const alice = await api.user('rs');
    const bob = await api.user('rs');
    const keep = await api.login(alice.username, alice.password);
    assert.equal((await logout(api, alice.token)).status, 204);
    const changed = await api.post('/api/v1/users/me/password', {
      token: bob.token,
      json: { current_password: bob.password, new_password: 'another passphrase' },
    });
    assert.equal(changed.status, 200, changed.text);

    await ctx.server.restart();

    assertRevoked(await api.get('/api/v1/users/me', { token: alice.token }), 'a logged-out token after a restart');
    assertRevoked(await api.get('/api/v1/users/me', { token: bob.token }), 'a pre-password-change token after a restart');
    assert.equal(await upgradeStatus(ctx.server.baseUrl, alice.token), 401);
    assert.equal((await api.get('/api/v1/users/me', { token: keep.access_token })).status, 200);
    assert.equal((await api.get('/api/v1/users/me', { token: changed.body.access_token })).status, 200);
  });

  it('a token of a user that does not exist opens neither REST nor a WebSocket', async () => {
    const alice = await api.user('ghost');
    const claims = decodeJwtPart(alice.token.split('.')[1]);
    const ghost = signJwt({ ...claims, sub: '987654321', username: 'ghost' }, ctx.server.secretKey);
    assertRevoked(await api.get('/api/v1/users/me', { token: ghost }), 'REST');
    assert.equal(await upgradeStatus(ctx.server.baseUrl, ghost), 401, 'the upgrade with ?token=');
    const viaFrame = await Client.open(ctx.server.baseUrl, {});
    viaFrame.send('auth', { token: ghost });
    const closed = await viaFrame.waitClosed();
    assert.equal(closed?.code, 1008, 'first-frame authentication');
    // A token signed with the right secret but from another generation does not count either.
    const future = signJwt({ ...claims, gen: claims.gen + 1 }, ctx.server.secretKey);
    assertRevoked(await api.get('/api/v1/users/me', { token: future }), 'a generation the user never had');
  });
});

describe('token revocation across two server processes through Redis [postgresql]', {
  skip: pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")',
}, () => {
  const redis = new RedisServer();
  let a;
  let b;
  before(async () => {
    await redis.start();
    const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url: pgUrl };
    a = await startServer(backend, { env: { REDIS_URL: redis.url } });
    b = await startServer(backend, { env: { REDIS_URL: redis.url }, secretKey: a.secretKey });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await redis.stop();
  });

  it('a logout on one process closes the sockets on the other within a second and refuses the token there', async () => {
    const apiA = new Api(a);
    const apiB = new Api(b);
    const alice = await apiA.user('xlo');
    // Process B has checked (and cached) the token before the logout.
    assert.equal((await apiB.get('/api/v1/users/me', { token: alice.token })).status, 200);
    const onB = await Client.open(b.baseUrl, { token: alice.token });
    await connectedAs(onB);

    assert.equal((await logout(apiA, alice.token)).status, 204);
    const closed = await closedWithin(onB, 1000, 'the socket on the other process');
    assert.equal(closed.code, 4001, JSON.stringify(closed));
    assertRevoked(await apiB.get('/api/v1/users/me', { token: alice.token }), 'REST on the other process');
    assert.equal(await upgradeStatus(b.baseUrl, alice.token), 401);
  });

  it('a password change on one process revokes the earlier tokens on the other', async () => {
    const apiA = new Api(a);
    const apiB = new Api(b);
    const bob = await apiA.user('xpw');
    assert.equal((await apiB.get('/api/v1/users/me', { token: bob.token })).status, 200);
    const onB = await Client.open(b.baseUrl, { token: bob.token });
    await connectedAs(onB);
    const changed = await apiA.post('/api/v1/users/me/password', {
      token: bob.token,
      json: { current_password: bob.password, new_password: 'a new passphrase' },
    });
    assert.equal(changed.status, 200, changed.text);
    const closed = await closedWithin(onB, 1000, 'the socket on the other process');
    assert.equal(closed.code, 4001);
    assertRevoked(await apiB.get('/api/v1/users/me', { token: bob.token }), 'REST on the other process');
    assert.equal((await apiB.get('/api/v1/users/me', { token: changed.body.access_token })).status, 200);
  });
});
