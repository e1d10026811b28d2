// Registration, login (JSON and form), tokens, and the user endpoints.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { base64url, decodeJwtPart, forEachBackend, signJwt, uniqueName } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';

function assertValidation(res, location, field) {
  assert.equal(res.status, 422, res.text);
  assert.ok(Array.isArray(res.body?.detail), `422 detail is a list: ${res.text}`);
  assert.ok(res.body.detail.length > 0, res.text);
  for (const item of res.body.detail) {
    assert.equal(typeof item.type, 'string', res.text);
    assert.equal(typeof item.msg, 'string', res.text);
    assert.ok(Array.isArray(item.loc), res.text);
  }
  if (location) {
    assert.ok(
      res.body.detail.some((d) => d.loc[0] === location && (field === undefined || d.loc.includes(field))),
      `a detail with loc [${location}, ${field}]: ${res.text}`,
    );
  }
}

function assertUnauthorized(res, what) {
  assert.equal(res.status, 401, `${what}: ${res.text}`);
  assert.equal(typeof res.body?.detail, 'string', `${what}: ${res.text}`);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, `${what}: WWW-Authenticate`);
}

forEachBackend('auth and users', (ctx) => {
  const { api } = ctx;

  it('registers a user and returns its public fields', async () => {
    const username = uniqueName('Reg');
    const res = await api.post('/api/v1/auth/register', {
      json: { username, email: `${username}@Example.com`, password: 'secret1' },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.username, username);
    assert.ok(Number.isInteger(res.body.id) && res.body.id > 0);
    assert.equal(typeof res.body.email, 'string');
    assert.ok(!Number.isNaN(Date.parse(res.body.created_at)), `created_at parses: ${res.body.created_at}`);
    assert.ok(!Object.keys(res.body).some((k) => /password|hash/i.test(k)), `no secrets: ${res.text}`);
  });

  it('rejects an invalid registration with 422', async () => {
    const ok = { username: uniqueName('v'), email: `${uniqueName('v')}@test.com`, password: 'secret1' };
    const cases = [
      [{ ...ok, username: 'ab' }, 'username'],
      [{ ...ok, username: 'x'.repeat(33) }, 'username'],
      [{ ...ok, username: 'bad name!' }, 'username'],
      [{ ...ok, username: 'кириллица' }, 'username'],
      [{ ...ok, password: '12345' }, 'password'],
      [{ ...ok, email: 'not-an-email' }, 'email'],
      [{ email: ok.email, password: ok.password }, 'username'],
      [{ username: ok.username, password: ok.password }, 'email'],
      [{ username: ok.username, email: ok.email }, 'password'],
      [{ ...ok, username: 12345 }, 'username'],
    ];
    for (const [body, field] of cases) {
      const res = await api.post('/api/v1/auth/register', { json: body });
      assertValidation(res, 'body', field);
    }
    const malformed = await api.post('/api/v1/auth/register', {
      headers: { 'Content-Type': 'application/json' },
      body: '{"username": "abc", ',
    });
    assertValidation(malformed);
    // none of these created the user
    const login = await api.post('/api/v1/auth/login-json', { json: { username: ok.username, password: ok.password } });
    assert.equal(login.status, 401, login.text);
  });

  it('accepts usernames at the length and character limits', async () => {
    for (const username of [uniqueName('a.b-c').slice(0, 32), `${uniqueName('m')}`.padEnd(32, 'x').slice(0, 32)]) {
      const res = await api.post('/api/v1/auth/register', {
        json: { username, email: `${uniqueName('e')}@test.com`, password: '123456' },
      });
      assert.equal(res.status, 201, `${username}: ${res.text}`);
    }
  });

  it('refuses a taken username or email with 409 (email case-insensitive)', async () => {
    const user = await api.register({ username: uniqueName('dup') });
    const sameName = await api.post('/api/v1/auth/register', {
      json: { username: user.username, email: `${uniqueName('other')}@test.com`, password: 'secret1' },
    });
    assert.equal(sameName.status, 409, sameName.text);
    assert.deepEqual(sameName.body, { detail: 'Username already registered' });

    const sameEmail = await api.post('/api/v1/auth/register', {
      json: { username: uniqueName('other'), email: user.email, password: 'secret1' },
    });
    assert.equal(sameEmail.status, 409, sameEmail.text);
    assert.deepEqual(sameEmail.body, { detail: 'Email already registered' });

    const upperEmail = await api.post('/api/v1/auth/register', {
      json: { username: uniqueName('other'), email: user.email.toUpperCase(), password: 'secret1' },
    });
    assert.equal(upperEmail.status, 409, upperEmail.text);
    assert.deepEqual(upperEmail.body, { detail: 'Email already registered' });
  });

  it('lets exactly one of 5 concurrent registrations of one username succeed', async () => {
    const username = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api.post('/api/v1/auth/register', {
          json: { username, email: `${username}.${i}@test.com`, password: 'secret1' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409], results.map((r) => `${r.status} ${r.text}`).join('\n'));
    for (const r of results.filter((x) => x.status === 409)) {
      assert.deepEqual(r.body, { detail: 'Username already registered' });
    }
    const winner = results.find((r) => r.status === 201).body;
    const login = await api.login(username, 'secret1');
    assert.equal(login.user.id, winner.id);
  });

  it('lets exactly one of 5 concurrent registrations of one email succeed', async () => {
    const email = `${uniqueName('race')}@test.com`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        api.post('/api/v1/auth/register', { json: { username: uniqueName('race'), email, password: 'secret1' } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409], results.map((r) => `${r.status} ${r.text}`).join('\n'));
    for (const r of results.filter((x) => x.status === 409)) {
      assert.deepEqual(r.body, { detail: 'Email already registered' });
    }
  });

  it('logs in with JSON and with an HTML form', async () => {
    const user = await api.register({ username: uniqueName('login'), password: 'pa$$ word' });
    const json = await api.post('/api/v1/auth/login-json', { json: { username: user.username, password: 'pa$$ word' } });
    assert.equal(json.status, 200, json.text);
    assert.equal(json.body.token_type, 'bearer');
    assert.equal(typeof json.body.access_token, 'string');
    assert.ok(Number.isInteger(json.body.expires_in) && json.body.expires_in > 0, json.text);
    assert.equal(json.body.user.id, user.id);
    assert.equal(json.body.user.username, user.username);

    const form = await api.post('/api/v1/auth/login', { form: { username: user.username, password: 'pa$$ word' } });
    assert.equal(form.status, 200, form.text);
    assert.equal(form.body.token_type, 'bearer');
    assert.equal(form.body.user.id, user.id);
    // OAuth2 password-flow clients also send grant_type and scope
    const oauth = await api.post('/api/v1/auth/login', {
      form: { grant_type: 'password', username: user.username, password: 'pa$$ word', scope: '' },
    });
    assert.equal(oauth.status, 200, oauth.text);

    for (const res of [json, form, oauth]) {
      const me = await api.get('/api/v1/users/me', { token: res.body.access_token });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.id, user.id);
    }
  });

  it('refuses a wrong password or unknown user with the same 401', async () => {
    const user = await api.register({ username: uniqueName('wrong') });
    const attempts = [
      ['login-json', { json: { username: user.username, password: 'not-the-password' } }],
      ['login-json', { json: { username: uniqueName('ghost'), password: 'password123' } }],
      ['login', { form: { username: user.username, password: 'not-the-password' } }],
      ['login', { form: { username: uniqueName('ghost'), password: 'password123' } }],
    ];
    for (const [route, opts] of attempts) {
      const res = await api.post(`/api/v1/auth/${route}`, opts);
      assert.equal(res.status, 401, `${route}: ${res.text}`);
      assert.deepEqual(res.body, { detail: 'Incorrect username or password' });
    }
    const missing = await api.post('/api/v1/auth/login-json', { json: { username: user.username } });
    assertValidation(missing, 'body', 'password');
  });

  it('returns the caller from /users/me', async () => {
    const user = await api.user('me');
    const res = await api.get('/api/v1/users/me', { token: user.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, user.id);
    assert.equal(res.body.username, user.username);
    assert.equal(res.body.email, user.email);
    assert.equal(typeof res.body.created_at, 'string');
  });

  it('refuses a missing, malformed or forged token with 401 and WWW-Authenticate: Bearer', async () => {
    const user = await api.user('tok');
    const [header, payload] = user.token.split('.');
    const claims = decodeJwtPart(payload);
    const other = await api.register({ username: uniqueName('victim') });

    assertUnauthorized(await api.get('/api/v1/users/me'), 'no Authorization header');
    assertUnauthorized(await api.get('/api/v1/users/me', { rawAuthorization: 'Bearer' }), 'empty bearer');
    assertUnauthorized(await api.get('/api/v1/users/me', { token: 'garbage' }), 'garbage token');
    assertUnauthorized(await api.get('/api/v1/users/me', { token: 'a.b.c' }), 'three garbage parts');
    assertUnauthorized(await api.get('/api/v1/users/me', { rawAuthorization: `Basic ${user.token}` }), 'Basic scheme');
    assertUnauthorized(
      await api.get('/api/v1/users/me', { token: signJwt(claims, 'not-the-server-secret-0123456789abcdef') }),
      'valid shape, wrong signature',
    );
    const noneToken = `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    assertUnauthorized(await api.get('/api/v1/users/me', { token: noneToken }), 'alg none');
    const tampered = `${header}.${base64url({ ...claims, sub: String(other.id) })}.${user.token.split('.')[2]}`;
    assertUnauthorized(await api.get('/api/v1/users/me', { token: tampered }), 'payload changed after signing');
    assertUnauthorized(await api.get('/api/v1/users/me', { token: user.token.slice(0, -2) }), 'truncated signature');

    // every protected route checks it
    for (const [method, p] of [
      ['GET', '/api/v1/chats'],
      ['POST', '/api/v1/chats/private'],
      ['GET', '/api/v1/chats/1'],
      ['GET', '/api/v1/messages/history/1'],
      ['POST', '/api/v1/messages'],
      ['GET', '/api/v1/users/search?q=abc'],
    ]) {
      const opts = method === 'GET' ? { token: noneToken } : { token: noneToken, json: {} };
      assertUnauthorized(await api.request(method, p, opts), `${method} ${p} with alg none`);
    }
  });

  it('closes a WebSocket with 4001 when its token expires, and does nothing more for it', async () => {
    const [user, friend] = await api.users(2, 'wsexp');
    const chat = await api.privateChat(user, friend);
    const claims = decodeJwtPart(user.token.split('.')[1]);
    const now = Math.floor(Date.now() / 1000);
    const shortLived = signJwt({ ...claims, iat: now, exp: now + 2 }, ctx.server.secretKey);
    const socket = await Client.open(ctx.server.baseUrl, { token: shortLived });
    await connectedAs(socket);
    socket.send('send_message', { chat_id: chat.id, text: 'before expiry', client_message_id: 'exp-1' });
    await socket.waitFor((e) => e.type === 'message_sent', 'a send while the token is valid');
    const closed = await socket.waitClosed(6000);
    assert.equal(closed?.code, 4001, JSON.stringify(closed));
    const history = await api.history(friend, chat.id);
    assert.deepEqual(history.map((m) => m.text), ['before expiry']);
  });

  it('accepts a token signed with its secret only while it has not expired', async () => {
    const user = await api.user('exp');
    const claims = decodeJwtPart(user.token.split('.')[1]);
    const secret = ctx.server.secretKey;
    const now = Math.floor(Date.now() / 1000);

    const fresh = signJwt({ ...claims, iat: now, exp: now + 600 }, secret);
    const ok = await api.get('/api/v1/users/me', { token: fresh });
    assert.equal(ok.status, 200, `a token we sign with SECRET_KEY is accepted: ${ok.text}`);

    const expired = signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, secret);
    assertUnauthorized(await api.get('/api/v1/users/me', { token: expired }), 'expired token');

    const noExp = { ...claims };
    delete noExp.exp;
    assertUnauthorized(await api.get('/api/v1/users/me', { token: signJwt(noExp, secret) }), 'token without exp');

    const hs512 = signJwt({ ...claims, exp: now + 600 }, secret, { alg: 'HS512', typ: 'JWT' });
    assertUnauthorized(await api.get('/api/v1/users/me', { token: hs512 }), 'header says HS512, signed HS256');
  });

  it('finds users by case-insensitive username prefix, excluding the caller', async () => {
    const tag = uniqueName('S').slice(2, 10); // 8 random hex chars
    const prefix = `Srch${tag}`;
    const me = await api.register({ username: `${prefix}_me` });
    const meLogin = await api.login(me.username, me.password);
    const others = [];
    for (const suffix of ['Ann', 'bob', 'CAT']) others.push(await api.register({ username: `${prefix}_${suffix}` }));
    await api.register({ username: `other${tag}` }); // not matching

    const res = await api.get(`/api/v1/users/search?q=${prefix.toLowerCase()}&limit=10`, {
      token: meLogin.access_token,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.map((u) => u.id).sort((a, b) => a - b), others.map((u) => u.id).sort((a, b) => a - b));
    for (const u of res.body) {
      assert.equal(typeof u.username, 'string');
      assert.equal(typeof u.created_at, 'string');
      assert.equal(u.email, undefined, 'search does not reveal e-mail addresses');
    }

    const upper = await api.get(`/api/v1/users/search?q=${prefix.toUpperCase()}_C`, { token: meLogin.access_token });
    assert.equal(upper.status, 200, upper.text);
    assert.deepEqual(upper.body.map((u) => u.username), [`${prefix}_CAT`]);

    const one = await api.get(`/api/v1/users/search?q=${prefix}&limit=1`, { token: meLogin.access_token });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.length, 1);

    for (const bad of ['0', '51', '-1', 'many']) {
      const res2 = await api.get(`/api/v1/users/search?q=${prefix}&limit=${bad}`, { token: meLogin.access_token });
      assertValidation(res2, 'query', 'limit');
    }
  });

  it('shows a public profile by id and 404 for an unknown id', async () => {
    const [a, b] = await api.users(2, 'prof');
    const res = await api.get(`/api/v1/users/${b.id}`, { token: a.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, b.id);
    assert.equal(res.body.username, b.username);
    assert.equal(typeof res.body.created_at, 'string');
    assert.equal(res.body.email, undefined, 'a public profile does not reveal the e-mail address');

    const missing = await api.get('/api/v1/users/2000000000', { token: a.token });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(typeof missing.body.detail, 'string');

    const notNumber = await api.get('/api/v1/users/abc', { token: a.token });
    assertValidation(notNumber, 'path', 'user_id');
  });
});
