// Online password guessing and registration floods are throttled per client address. The server trusts
// 127.0.0.1 as a proxy here, so each test speaks for a client address of its own through X-Forwarded-For.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, backends, sleep, startServer, uniqueName } from './harness.mjs';
import { RedisServer } from './redis_server.mjs';
import { Client, connectedAs } from './ws_client.mjs';

const limits = {
  LOGIN_FREE_FAILURES: '3',
  LOGIN_ADDRESS_FREE_FAILURES: '8',
  LOGIN_MAX_DELAY_SECONDS: '4',
  REGISTRATION_BURST: '3',
  REGISTRATIONS_PER_HOUR: '60',
};

let nextAddress = 1;
const freshAddress = () => `203.0.113.${nextAddress++}`;

function login(api, username, password, address) {
  return api.post('/api/v1/auth/login-json', {
    json: { username, password },
    headers: { 'X-Forwarded-For': `${address}, 10.9.9.9` },
  });
}

// A user registered from an address of its own, so registrations do not spend one address's allowance.
async function newUser(api, prefix) {
  const username = uniqueName(prefix);
  const res = await api.post('/api/v1/auth/register', {
    json: { username, email: `${username}@example.com`, password: 'password123' },
    headers: { 'X-Forwarded-For': freshAddress() },
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

// The attempts a guesser makes as fast as it can: status and Retry-After of each, in order.
async function guess(api, username, address, count) {
  const seen = [];
  for (let i = 0; i < count; ++i) {
    const res = await login(api, username, 'wrong password', address);
    seen.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body: res.text });
  }
  return seen;
}

const primary = backends()[0];
const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;

describe('throttling', () => {
  let server;
  let api;
  before(async () => {
    server = await startServer(primary, { env: { ...limits, TRUSTED_PROXIES: '127.0.0.1' } });
    api = new Api(server);
  });
  after(async () => server?.stop());

  it('lets a few wrong passwords through, then answers 429 with a Retry-After that grows; the right password waits too', async () => {
    const user = await newUser(api, 'victim');
    const address = freshAddress();
    const table = [];
    const first = await guess(api, user.username, address, 5);
    table.push(...first);
    assert.deepEqual(first.map((a) => a.status), [401, 401, 401, 401, 429]);
    assert.equal(first[4].retryAfter, '1');
    assert.equal(JSON.parse(first[4].body).detail, 'Too many failed logins; try again later');
    // While locked, even the correct password is refused without being checked.
    const correct = await login(api, user.username, 'password123', address);
    assert.equal(correct.status, 429, correct.text);
    await sleep(1100);
    const second = await guess(api, user.username, address, 2);
    table.push(...second);
    assert.deepEqual(second.map((a) => a.status), [401, 429]);
    assert.equal(second[1].retryAfter, '2', 'the wait doubles');
    await sleep(2100);
    const third = await guess(api, user.username, address, 2);
    table.push(...third);
    assert.equal(third[1].retryAfter, '4');
    console.log('attempt -> status (Retry-After):');
    table.forEach((a, i) => console.log(`  ${i + 1} -> ${a.status}${a.retryAfter ? ` (${a.retryAfter} s)` : ''}`));
    // Once the wait is over, the right password gets in and clears the count.
    await sleep(4100);
    assert.equal((await login(api, user.username, 'password123', address)).status, 200);
    assert.deepEqual((await guess(api, user.username, address, 3)).map((a) => a.status), [401, 401, 401]);
  });

  it('answers an unknown username exactly like a known one', async () => {
    const known = await newUser(api, 'known');
    const knownAttempts = await guess(api, known.username, freshAddress(), 5);
    const unknownAttempts = await guess(api, uniqueName('nobody'), freshAddress(), 5);
    assert.deepEqual(
      unknownAttempts.map(({ status, retryAfter, body }) => ({ status, retryAfter, body })),
      knownAttempts.map(({ status, retryAfter, body }) => ({ status, retryAfter, body })),
    );
  });

  it('never locks out another account, nor the same account from an address that has not failed', async () => {
    const victim = await newUser(api, 'locked');
    const other = await newUser(api, 'other');
    const attacker = freshAddress();
    assert.equal((await guess(api, victim.username, attacker, 5)).at(-1).status, 429);
    assert.equal((await login(api, other.username, 'password123', attacker)).status, 200, 'another account');
    assert.equal((await login(api, victim.username, 'password123', freshAddress())).status, 200, 'another address');
  });

  it('throttles one address guessing many accounts', async () => {
    const address = freshAddress();
    const statuses = [];
    for (let i = 0; i < 10; ++i) statuses.push((await login(api, uniqueName('spray'), 'wrong', address)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    const someone = await newUser(api, 'someone');
    assert.equal((await login(api, someone.username, 'password123', address)).status, 429);
  });

  it('limits registrations per address: a burst, then 429 with Retry-After', async () => {
    const address = freshAddress();
    const statuses = [];
    let last;
    for (let i = 0; i < 4; ++i) {
      const name = uniqueName('reg');
      last = await api.post('/api/v1/auth/register', {
        json: { username: name, email: `${name}@example.com`, password: 'password123' },
        headers: { 'X-Forwarded-For': address },
      });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 429]);
    // One registration a minute: the wait is the minute less what has refilled since the burst began (the
    // registrations themselves take a moment on a busy machine).
    const wait = Number(last.headers.get('retry-after'));
    assert.ok(wait >= 55 && wait <= 60, `Retry-After: ${wait}`);
    const elsewhere = uniqueName('reg');
    const ok = await api.post('/api/v1/auth/register', {
      json: { username: elsewhere, email: `${elsewhere}@example.com`, password: 'password123' },
      headers: { 'X-Forwarded-For': freshAddress() },
    });
    assert.equal(ok.status, 201, 'another address is not affected');
  });
});

describe('throttling without a trusted proxy', () => {
  let server;
  let api;
  before(async () => {
    server = await startServer(primary, { env: limits });
    api = new Api(server);
  });
  after(async () => server?.stop());

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const user = await newUser(api, 'spoof');
    // Each guess claims another address; they all come from 127.0.0.1 and count together.
    const statuses = [];
    for (let i = 0; i < 5; ++i) statuses.push((await login(api, user.username, 'wrong', freshAddress())).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
  });
});

describe('sends and typing per user', () => {
  let server;
  let api;
  before(async () => {
    server = await startServer(primary, { env: { SEND_BURST: '5', SEND_RATE_PER_SECOND: '1', TYPING_MIN_INTERVAL_MS: '60000' } });
    api = new Api(server);
  });
  after(async () => server?.stop());

  it('refuses sends past the user\'s budget with 429 and Retry-After, stores nothing, and takes the same resend later', async () => {
    const [alice, bob] = await api.users(2, 'flood');
    const chat = await api.post('/api/v1/chats/private', { token: alice.token, json: { recipient_id: bob.id } });
    const chatId = chat.body.id;
    const statuses = [];
    let refused;
    for (let i = 0; i < 7; ++i) {
      const res = await api.post('/api/v1/messages/', {
        token: alice.token,
        json: { chat_id: chatId, text: `m${i}`, client_message_id: `flood-${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) refused ??= { res, i };
    }
    assert.deepEqual(statuses.slice(0, 5), [201, 201, 201, 201, 201]);
    assert.equal(statuses[5], 429);
    assert.equal(refused.res.headers.get('retry-after'), '1');
    const history = await api.history(alice, chatId, { limit: 50 });
    assert.deepEqual(history.map((m) => m.text), ['m0', 'm1', 'm2', 'm3', 'm4'], 'nothing stored for a refused send');
    // Another user has a budget of their own.
    const fromBob = await api.post('/api/v1/messages/', { token: bob.token, json: { chat_id: chatId, text: 'hi' } });
    assert.equal(fromBob.status, 201, fromBob.text);
    await sleep(1100);
    const resent = await api.post('/api/v1/messages/', {
      token: alice.token,
      json: { chat_id: chatId, text: `m${refused.i}`, client_message_id: `flood-${refused.i}` },
    });
    assert.equal(resent.status, 201, resent.text);
  });

  it('over the socket: an error frame with status 429 for that send, the connection stays open; typing is coalesced', async () => {
    const [carol, dave] = await api.users(2, 'wsflood');
    const chat = await api.privateChat(carol, dave);
    const socket = await Client.open(server.baseUrl, { token: carol.token });
    const watcher = await Client.open(server.baseUrl, { token: dave.token });
    await Promise.all([socket, watcher].map(connectedAs));
    for (let i = 0; i < 6; ++i) socket.send('send_message', { chat_id: chat.id, text: `w${i}`, client_message_id: `ws-${i}` });
    const refused = await socket.waitFor((e) => e.type === 'error' && e.data.action === 'send_message', 'the refused send');
    assert.equal(refused.data.status, 429);
    assert.ok(refused.data.retry_after >= 1, JSON.stringify(refused.data));
    socket.send('ping', {});
    await socket.waitFor((e) => e.type === 'pong', 'the connection stays open');
    // Typing on every keystroke: the other side gets one indicator per interval, and "stopped" always.
    for (let i = 0; i < 5; ++i) socket.send('typing', { chat_id: chat.id, is_typing: true });
    socket.send('typing', { chat_id: chat.id, is_typing: false });
    await watcher.waitFor((e) => e.type === 'typing_indicator' && e.data.is_typing === false, 'stopped typing');
    assert.equal(watcher.of('typing_indicator').filter((e) => e.data.is_typing).length, 1);
    socket.close();
    watcher.close();
  });
});

describe('limits shared by two server processes through Redis [postgresql]', {
  skip: pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")',
}, () => {
  const redis = new RedisServer();
  let apis;
  let servers = [];
  before(async () => {
    await redis.start();
    const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url: pgUrl };
    const env = { ...limits, TRUSTED_PROXIES: '127.0.0.1', SEND_BURST: '5', SEND_RATE_PER_SECOND: '1', REDIS_URL: redis.url };
    const a = await startServer(backend, { env });
    const b = await startServer(backend, { env, secretKey: a.secretKey });
    servers = [a, b];
    apis = servers.map((s) => new Api(s));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await redis.stop();
  });

  it('counts a guesser\'s failures on every process together: switching process does not reset the throttle', async () => {
    const user = await newUser(apis[0], 'xvictim');
    const address = freshAddress();
    const statuses = [];
    for (let i = 0; i < 5; ++i) statuses.push((await login(apis[i % 2], user.username, 'wrong', address)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429], 'alternating between the processes');
    const correct = await login(apis[1], user.username, 'password123', address);
    assert.equal(correct.status, 429, `the right password waits on the other process too: ${correct.text}`);
    await sleep(1100);
    assert.equal((await login(apis[1], user.username, 'password123', address)).status, 200);
    const again = [];
    for (let i = 0; i < 3; ++i) again.push((await login(apis[i % 2], user.username, 'wrong', address)).status);
    assert.deepEqual(again, [401, 401, 401], 'a success on one process cleared the count on both');
  });

  it('spends one registration allowance per address across the processes', async () => {
    const address = freshAddress();
    const statuses = [];
    for (let i = 0; i < 4; ++i) {
      const name = uniqueName('xreg');
      const res = await apis[i % 2].post('/api/v1/auth/register', {
        json: { username: name, email: `${name}@example.com`, password: 'password123' },
        headers: { 'X-Forwarded-For': address },
      });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [201, 201, 201, 429]);
  });

  it('gives a user one send budget whichever process the sends reach', async () => {
    const [alice, bob] = await apis[0].users(2, 'xsend');
    const chat = await apis[0].privateChat(alice, bob);
    const statuses = [];
    for (let i = 0; i < 8; ++i) {
      const res = await apis[i % 2].post('/api/v1/messages/', {
        token: alice.token,
        json: { chat_id: chat.id, text: `x${i}`, client_message_id: `xsend-${i}` },
      });
      statuses.push(res.status);
      await sleep(20);
    }
    // Each process alone would take all eight (a burst of 5 each). Shared, the budget holds within one round
    // trip to Redis: the process that had not yet heard that the bucket ran dry lets one more through.
    const stored = statuses.filter((s) => s === 201).length;
    assert.deepEqual(statuses.slice(0, 5), [201, 201, 201, 201, 201], JSON.stringify(statuses));
    assert.ok(stored <= 6, JSON.stringify(statuses));
    assert.deepEqual(statuses.slice(6), [429, 429], JSON.stringify(statuses));
    const history = await apis[1].history(alice, chat.id, { limit: 50 });
    assert.equal(history.length, stored, 'nothing stored for a refused send');
  });
});
