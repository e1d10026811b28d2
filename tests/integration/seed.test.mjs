// The curl examples of the spec (seed.md), sent as written, plus the trailing-slash variants, /health and
// the router's answers for unknown paths and wrong methods.
//
// On a fresh database (SQLite) the examples run byte for byte: alice is registered first (as
// create_test_data does), so bob, registered by the seed's example, gets id 2 and the first chat id 1.
// On a shared PostgreSQL database the same requests are sent with unique names and the real ids.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBackend, uniqueName } from './harness.mjs';

forEachBackend('seed curl examples', (ctx) => {
  const { api } = ctx;

  it('run as written: register, login-json, list chats, create private, history, send', async () => {
    const fresh = ctx.backend.fresh;
    const alice = fresh ? 'alice' : uniqueName('alice');
    const bob = fresh ? 'bob' : uniqueName('bob');
    const bobEmail = fresh ? 'bob@test.com' : `${bob}@test.com`;

    // create_test_data: alice with password123
    const aliceReg = await api.post('/api/v1/auth/register', {
      json: { username: alice, email: `${alice}@test.com`, password: 'password123' },
    });
    assert.equal(aliceReg.status, 201, aliceReg.text);

    // Регистрация
    const registerBody = fresh
      ? '{"username": "bob", "email": "bob@test.com", "password": "123456"}'
      : JSON.stringify({ username: bob, email: bobEmail, password: '123456' });
    const reg = await api.post('/api/v1/auth/register', {
      headers: { 'Content-Type': 'application/json' },
      body: registerBody,
    });
    assert.equal(reg.status, 201, reg.text);
    assert.equal(reg.body.username, bob);
    assert.equal(reg.body.email, bobEmail);
    assert.ok(Number.isInteger(reg.body.id));
    assert.equal(typeof reg.body.created_at, 'string');
    assert.ok(!Object.keys(reg.body).some((k) => k.includes('password')), 'no password in the response');
    if (fresh) assert.equal(reg.body.id, 2, 'bob is the second user of a fresh database');
    const bobId = reg.body.id;

    // Логин
    const loginBody = fresh
      ? '{"username": "alice", "password": "password123"}'
      : JSON.stringify({ username: alice, password: 'password123' });
    const login = await api.post('/api/v1/auth/login-json', {
      headers: { 'Content-Type': 'application/json' },
      body: loginBody,
    });
    assert.equal(login.status, 200, login.text);
    assert.equal(typeof login.body.access_token, 'string');
    assert.ok(login.body.access_token.length > 20);
    assert.equal(login.body.token_type, 'bearer');
    const TOKEN = login.body.access_token;

    // Список чатов
    const list = await api.get('/api/v1/chats/', { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body, [], 'a new user has no chats');

    // Создать приватный чат
    const privateBody = fresh ? '{"recipient_id": 2}' : JSON.stringify({ recipient_id: bobId });
    const created = await api.post('/api/v1/chats/private', {
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: privateBody,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.type, 'private');
    assert.deepEqual(created.body.members.map((m) => m.username).sort(), [alice, bob].sort());
    if (fresh) assert.equal(created.body.id, 1, 'the first chat of a fresh database');
    const chatId = created.body.id;

    // История сообщений (empty so far)
    const historyPath = fresh
      ? '/api/v1/messages/history/1?limit=20&offset=0'
      : `/api/v1/messages/history/${chatId}?limit=20&offset=0`;
    const empty = await api.get(historyPath, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.body, []);

    // Отправить сообщение
    const sendBody = fresh
      ? '{"chat_id": 1, "text": "привет", "client_message_id": "123"}'
      : JSON.stringify({ chat_id: chatId, text: 'привет', client_message_id: '123' });
    const sendOpts = {
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: sendBody,
    };
    const sent = await api.post('/api/v1/messages/', sendOpts);
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.body.chat_id, chatId);
    assert.equal(sent.body.text, 'привет');
    assert.equal(sent.body.client_message_id, '123');
    assert.equal(sent.body.sender_id, aliceReg.body.id);
    assert.equal(sent.body.sender_username, alice);
    assert.equal(sent.body.seq, 1);
    assert.equal(typeof sent.body.timestamp, 'string');

    // The same curl again: the stored message comes back, nothing new is stored.
    const again = await api.post('/api/v1/messages/', sendOpts);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, sent.body.id);
    assert.equal(again.body.timestamp, sent.body.timestamp);

    const history = await api.get(historyPath, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(history.status, 200, history.text);
    assert.equal(history.body.length, 1);
    assert.equal(history.body[0].id, sent.body.id);
    assert.equal(history.body[0].text, 'привет');

    // bob sees the chat and the message too
    const bobLogin = await api.post('/api/v1/auth/login-json', { json: { username: bob, password: '123456' } });
    assert.equal(bobLogin.status, 200, bobLogin.text);
    const bobChats = await api.get('/api/v1/chats/', { token: bobLogin.body.access_token });
    assert.equal(bobChats.status, 200, bobChats.text);
    assert.equal(bobChats.body.length, 1);
    assert.equal(bobChats.body[0].id, chatId);
    assert.equal(bobChats.body[0].last_message?.text, 'привет');
  });

  it('health check: curl localhost:8000/health', async () => {
    const res = await api.get('/health');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.database.backend, ctx.backend.kind);
    assert.equal(res.body.database.status, 'ok');
    assert.equal(typeof res.body.bus, 'object');
    assert.ok(res.body.bus !== null);
  });

  it('answers every path with and without the trailing slash', async () => {
    const [a, b] = await api.users(2, 'slash');
    const slashReg = await api.post('/api/v1/auth/register/', {
      json: { username: uniqueName('slashreg'), email: `${uniqueName('e')}@test.com`, password: 'secret1' },
    });
    assert.equal(slashReg.status, 201, slashReg.text);
    const slashLogin = await api.post('/api/v1/auth/login-json/', { json: { username: a.username, password: a.password } });
    assert.equal(slashLogin.status, 200, slashLogin.text);
    const slashForm = await api.post('/api/v1/auth/login/', { form: { username: a.username, password: a.password } });
    assert.equal(slashForm.status, 200, slashForm.text);

    for (const p of ['/api/v1/users/me', '/api/v1/users/me/']) {
      const res = await api.get(p, { token: a.token });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.equal(res.body.id, a.id);
    }
    for (const p of [`/api/v1/users/${b.id}`, `/api/v1/users/${b.id}/`]) {
      const res = await api.get(p, { token: a.token });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.equal(res.body.username, b.username);
    }
    const q = b.username.slice(0, 12);
    for (const p of [`/api/v1/users/search?q=${q}`, `/api/v1/users/search/?q=${q}`]) {
      const res = await api.get(p, { token: a.token });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.ok(res.body.some((u) => u.id === b.id), p);
    }

    const first = await api.post('/api/v1/chats/private/', { token: a.token, json: { recipient_id: b.id } });
    assert.equal(first.status, 201, first.text);
    const second = await api.post('/api/v1/chats/private', { token: a.token, json: { recipient_id: b.id } });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.id, first.body.id);
    const chatId = first.body.id;

    for (const p of ['/api/v1/chats', '/api/v1/chats/']) {
      const res = await api.get(p, { token: a.token });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.ok(res.body.some((c) => c.id === chatId), p);
    }
    for (const p of [`/api/v1/chats/${chatId}`, `/api/v1/chats/${chatId}/`]) {
      const res = await api.get(p, { token: a.token });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.equal(res.body.id, chatId);
    }
    const group = await api.post('/api/v1/chats/group/', { token: a.token, json: { name: 'slash', member_ids: [b.id] } });
    assert.equal(group.status, 201, group.text);

    for (const p of ['/api/v1/messages', '/api/v1/messages/']) {
      const res = await api.post(p, { token: a.token, json: { chat_id: chatId, text: `via ${p}` } });
      assert.equal(res.status, 201, `${p}: ${res.text}`);
    }
    for (const p of [`/api/v1/messages/history/${chatId}`, `/api/v1/messages/history/${chatId}/`]) {
      const res = await api.get(`${p}?limit=20&offset=0`, { token: a.token });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.deepEqual(res.body.map((m) => m.text), ['via /api/v1/messages', 'via /api/v1/messages/']);
    }
    for (const p of [`/api/v1/chats/${chatId}/read`, `/api/v1/chats/${chatId}/read/`]) {
      const res = await api.post(p, { token: b.token, json: {} });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.equal(res.body.last_read_seq, 2);
    }
    const health = await api.get('/health/');
    assert.equal(health.status, 200, health.text);
  });

  it('answers an unknown path with 404 {"detail":"Not Found"}', async () => {
    for (const p of ['/api/v1/nope', '/api/v2/chats', '/nothing/here']) {
      const res = await api.get(p);
      assert.equal(res.status, 404, `${p}: ${res.text}`);
      assert.deepEqual(res.body, { detail: 'Not Found' }, p);
    }
  });

  it('answers a known path with a wrong method with 405', async () => {
    const a = await api.user('method');
    for (const [method, p] of [
      ['GET', '/api/v1/auth/register'],
      ['PUT', '/api/v1/auth/login-json'],
      ['DELETE', '/api/v1/chats'],
      ['PATCH', '/api/v1/messages/'],
      ['POST', '/health'],
    ]) {
      const res = await api.request(method, p, { token: a.token });
      assert.equal(res.status, 405, `${method} ${p}: ${res.text}`);
      assert.equal(typeof res.body?.detail, 'string', `${method} ${p} has a detail`);
    }
  });
});
