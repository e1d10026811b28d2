#!/usr/bin/env node
// Black-box fuzzer: generated and mutated HTTP requests (from the OpenAPI document) and WebSocket frames
// against a real `windi serve` process. See README.md in this folder.
//
//   node --experimental-websocket tests/blackbox/run.mjs --bin build/asan/windi [--seconds N] [--seed S]

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, randomSeed } from './prng.mjs';
import { toJson, pickText, EMOJI } from './samples.mjs';
import { operations, generate } from './schema.mjs';
import { World } from './world.mjs';
import { Server } from './server.mjs';
import { mutateObject, garbageBody, oddPathValue, oddValue, nested } from './mutate.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIMEOUT_MS = 10_000;
// Password hashing (register, login, password change) is slow on purpose, and slower under ASan: those
// requests go one at a time, with a longer deadline.
const HASHING_TIMEOUT_MS = 45_000;
const HTTP_WORKERS = 6;
const WS_WORKERS = 2;
const EXPECTED_4XX = new Set([400, 401, 403, 404, 405, 409, 411, 413, 414, 415, 422, 429, 431]);
const WS_DOCUMENTED_CLOSES = new Set([1000, 1008, 1009, 1013, 4001, 4008]);

// ---------------------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const out = { bin: null, seconds: Number(process.env.WINDI_BLACKBOX_SECONDS || 60), seed: process.env.WINDI_BLACKBOX_SEED };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--bin') out.bin = next();
    else if (a === '--seconds') out.seconds = Number(next());
    else if (a === '--seed') out.seed = next();
    else if (a.startsWith('--bin=')) out.bin = a.slice(6);
    else if (a.startsWith('--seconds=')) out.seconds = Number(a.slice(10));
    else if (a.startsWith('--seed=')) out.seed = a.slice(7);
    else {
      console.error(`unknown argument ${a}\nusage: node --experimental-websocket tests/blackbox/run.mjs --bin <windi> [--seconds N] [--seed S]`);
      process.exit(2);
    }
  }
  if (!out.bin) {
    console.error('--bin <path to windi> is required');
    process.exit(2);
  }
  out.seed = out.seed === undefined || out.seed === '' ? randomSeed() : Number(out.seed) >>> 0;
  if (!(out.seconds > 0)) out.seconds = 60;
  return out;
}

const opts = parseArgs(process.argv.slice(2));
if (typeof WebSocket === 'undefined') {
  console.error('no global WebSocket: run node with --experimental-websocket');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------
// State

const stats = { requests: 0, frames: 0, wsConnections: 0, histogram: {}, wsEvents: {}, acked: 0, checked: 0, unverifiable: 0 };
const failures = [];
let stopping = false;
const acks = new Map();
const activity = []; // per worker: what it waits for, since when // message id -> {chat_id, via}

function fail(kind, detail, subject) {
  failures.push({ kind, detail, subject });
  if (failures.length === 1) {
    console.error(`\nFAILURE (${kind}): ${detail}`);
    if (subject) console.error(`  ${describe(subject)}`);
    console.error(`  seed ${opts.seed}: replay with --seed ${opts.seed}`);
  }
  stopping = true;
}

function describe(subject) {
  const text = typeof subject === 'string' ? subject : JSON.stringify(subject, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  return text.length > 3000 ? `${text.slice(0, 3000)}... (${text.length} chars)` : text;
}

function count(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

function ack(message, via) {
  if (!message || typeof message.id !== 'number' || typeof message.chat_id !== 'number') return;
  if (!acks.has(message.id)) {
    acks.set(message.id, { chat_id: message.chat_id, via });
    stats.acked += 1;
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

const server = new Server(opts.bin);
const world = new World(opts.seed);
let doc;
let ops;

let hashingBusy = false;
let hashingQueue = Promise.resolve();
/** Runs `fn` after every earlier hashing request has finished. */
function oneAtATime(fn) {
  const run = hashingQueue.then(fn, fn);
  hashingQueue = run.catch(() => {});
  return run;
}

const hashes = (urlPath) => /\/auth\/(register|login)|\/users\/me\/password/.test(urlPath);

async function http(method, urlPath, options = {}) {
  if (hashes(urlPath)) return request(method, urlPath, { ...options, timeoutMs: HASHING_TIMEOUT_MS });
  return request(method, urlPath, options);
}

async function request(method, urlPath, { token, body, contentType, headers = {}, timeoutMs = TIMEOUT_MS } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined && contentType) h['content-type'] = contentType;
  const res = await fetch(server.baseUrl + urlPath, {
    method,
    headers: h,
    body: body === undefined ? undefined : body,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

async function api(method, urlPath, token, body) {
  const r = await http(method, urlPath, { token, body: body === undefined ? undefined : toJson(body), contentType: 'application/json' });
  if (r.status >= 300) throw new Error(`setup: ${method} ${urlPath} -> ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

// ---------------------------------------------------------------------------------------------------------
// Setup: actors, chats, messages

async function registerActor(role) {
  const username = world.unique(`bb_${role}_`);
  const password = `pw-${role}-${opts.seed}-secret`;
  const email = `${username}@example.com`;
  const user = await api('POST', '/api/v1/auth/register', undefined, { username, email, password });
  const login = await api('POST', '/api/v1/auth/login-json', undefined, { username, password });
  return { role, id: user.id, username, password, email, token: login.access_token };
}

async function setup() {
  const rng = Rng.derive(opts.seed, 'setup');
  const roles = ['member', 'peer', 'auditor', 'outsider', 'friend', 'spare'];
  const actors = [];
  for (const role of roles) actors.push(await registerActor(role));
  for (const a of actors) world.actors[a.role] = a;
  for (const a of actors) world.addUser(a);
  const { member, peer, auditor, outsider, friend } = world.actors;
  // Members' side: groups with the auditor (who only reads, at the end) and a private chat.
  for (let i = 0; i < 3; i++) {
    const ids = i === 2 ? [peer.id, auditor.id, friend.id] : [peer.id, auditor.id];
    world.addChat('member', await api('POST', '/api/v1/chats/group', member.token, { name: `members ${i}`, member_ids: ids }));
  }
  world.addChat('member', await api('POST', '/api/v1/chats/private', member.token, { recipient_id: peer.id }));
  // Outsider's side.
  world.addChat('outsider', await api('POST', '/api/v1/chats/group', outsider.token, { name: 'outside', member_ids: [friend.id] }));
  world.addChat('outsider', await api('POST', '/api/v1/chats/private', outsider.token, { recipient_id: friend.id }));
  for (const [role, side] of [['member', world.side.member], ['outsider', world.side.outsider]]) {
    for (const chat of [...side.chats.values()]) {
      for (let i = 0; i < 4; i++) {
        const m = await api('POST', '/api/v1/messages', world.actors[role].token, {
          chat_id: chat.id,
          text: `setup ${chat.id}.${i} ${rng.hex(6)}`,
          client_message_id: world.unique('setup-'),
        });
        world.addMessage(role, m);
        ack(m, 'setup');
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Isolation: what the outsider must never see

const OUTSIDER_ROLES = new Set(['outsider']);

function canonicalId(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
  const s = String(v);
  let decoded = s;
  try {
    decoded = decodeURIComponent(s);
  } catch {
    // not percent-encoded
  }
  return /^\d+$/.test(decoded) ? Number(decoded) : null;
}

function outsiderIsMember(chat) {
  return Array.isArray(chat?.members) && chat.members.some((m) => (m?.id ?? m?.user_id) === world.actors.outsider.id);
}

/** Finds, in an answer given to the outsider, a message or chat of the members' side. */
function leakIn(value, depth = 0) {
  if (!value || typeof value !== 'object' || depth > 6) return null;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = leakIn(v, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (typeof value.chat_id === 'number' && world.isProtectedChat(value.chat_id) && ('seq' in value || 'text' in value || 'sender_id' in value)) {
    return `message ${value.id} of members' chat ${value.chat_id}`;
  }
  if (typeof value.id === 'number' && world.isProtectedChat(value.id) && ('members' in value || 'last_seq' in value) && !outsiderIsMember(value)) {
    return `members' chat ${value.id}`;
  }
  for (const v of Object.values(value)) {
    const found = leakIn(v, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Learns from a 2xx answer: new chats, messages, users; a chat the outsider was let into is no secret. */
function learn(role, req, res) {
  const j = res.json;
  if (!j || typeof j !== 'object') return;
  if (Array.isArray(j.members) && typeof j.id === 'number' && 'type' in j) {
    if (outsiderIsMember(j) && world.side.member.chats.has(j.id)) {
      const chat = world.side.member.chats.get(j.id);
      world.side.member.chats.delete(j.id);
      world.side.outsider.chats.set(j.id, chat);
      for (const m of chat.messages) world.side.member.messages.delete(m);
    }
    if (req.opPath === '/api/v1/chats/group' || req.opPath === '/api/v1/chats/private') world.addChat(role, j);
  }
  if (req.opPath === '/api/v1/messages' && req.method === 'POST' && typeof j.id === 'number') {
    world.addMessage(role, j);
    ack(j, `http ${req.id}`);
  }
  if (req.opPath === '/api/v1/auth/register' && typeof j.id === 'number') world.addUser(j);
}

function checkIsolation(role, req, res) {
  if (!OUTSIDER_ROLES.has(role) || res.status < 200 || res.status >= 300) return;
  for (const [name, value] of Object.entries(req.pathValues)) {
    const id = canonicalId(value);
    if (id === null) continue;
    if (name === 'chat_id' && world.isProtectedChat(id) && !outsiderIsMember(res.json)) {
      return fail('isolation', `outsider got ${res.status} for members' chat ${id}: ${res.text.slice(0, 500)}`, printable(req, res));
    }
    if (name === 'message_id' && world.isProtectedMessage(id)) {
      return fail('isolation', `outsider got ${res.status} for members' message ${id}: ${res.text.slice(0, 500)}`, printable(req, res));
    }
  }
  if (req.bodyObject && typeof req.bodyObject === 'object') {
    const c = canonicalId(req.bodyObject.chat_id);
    if (c !== null && world.isProtectedChat(c) && req.method === 'POST' && req.opPath === '/api/v1/messages') {
      return fail('isolation', `outsider sent into members' chat ${c}: ${res.text.slice(0, 500)}`, printable(req, res));
    }
  }
  const leak = req.opPath.startsWith('/api/v1/') ? leakIn(res.json) : null;
  if (leak) fail('isolation', `outsider was shown ${leak}: ${res.text.slice(0, 500)}`, printable(req, res));
}

// ---------------------------------------------------------------------------------------------------------
// Request generation

const OP_WEIGHTS = (op) => {
  if (op.path.endsWith('/auth/logout') || op.path.endsWith('/users/me/password')) return 1;
  if (op.path.includes('/auth/')) return 2;
  if (op.path === '/api/v1/ws/chat' || op.path === '/docs' || op.path === '/openapi.json') return 1;
  if (op.path === '/api/v1/messages' && op.method === 'POST') return 14;
  if (op.path.startsWith('/api/v1/messages')) return 7;
  if (op.path.startsWith('/api/v1/chats')) return 5;
  return 3;
};

function pickRole(rng) {
  return rng.weighted([
    [36, 'member'],
    [18, 'peer'],
    [30, 'outsider'],
    [8, 'friend'],
    [8, 'anonymous'],
  ]);
}

/** Hints: the outsider half the time aims at the members' side (that is the attack). */
function hintsFor(role, rng) {
  if (role === 'outsider' && rng.chance(0.6)) return world.hints('member', rng);
  if (role === 'anonymous') return world.hints(rng.chance(0.5) ? 'member' : 'outsider', rng);
  return world.hints(role, rng);
}

async function throwawayToken(rng) {
  const spare = world.actors.spare;
  let r = await http('POST', '/api/v1/auth/login-json', { body: toJson({ username: spare.username, password: spare.password }), contentType: 'application/json' });
  count(stats.histogram, r.status);
  stats.requests += 1;
  if (r.status === 200) return r.json.access_token;
  // Its password was changed to one not recorded: a new throwaway user.
  const fresh = await registerActor('spare');
  world.actors.spare = fresh;
  return fresh.token;
}

function mentionsId(text, id) {
  return new RegExp(`(^|[^0-9])0*${id}([^0-9]|$)`).test(text);
}

async function buildRequest(rng) {
  const op = rng.weighted(ops.map((o) => [OP_WEIGHTS(o), o]));
  let role = pickRole(rng);
  const throwaway = op.path.endsWith('/auth/logout') || op.path.endsWith('/users/me/password');
  if (throwaway) role = 'spare';
  // One password-hashing request at a time; the other workers pick something else meanwhile.
  if (hashes(op.path) || throwaway) {
    if (hashingBusy) return null;
    hashingBusy = true;
  }
  const hints = hintsFor(role === 'spare' ? 'member' : role, rng);
  const mutate = rng.chance(0.5);
  const req = { id: op.id, method: op.method, opPath: op.path, role, pathValues: {}, notes: [] };

  // Path and query.
  let urlPath = op.path;
  const query = new URLSearchParams();
  for (const p of op.params) {
    if (p.in === 'header' || p.name === 'token') continue;
    if (p.in === 'path') {
      let v = generate(doc, p.schema, rng, hints, p.name);
      v = encodeURIComponent(String(v));
      if (mutate && rng.chance(0.4)) {
        v = oddPathValue(rng);
        req.notes.push(`path ${p.name}`);
      }
      req.pathValues[p.name] = v;
      urlPath = urlPath.replace(`{${p.name}}`, v);
    } else if (p.in === 'query' && (p.required || rng.chance(0.4))) {
      let v = generate(doc, p.schema, rng, hints, p.name);
      if (mutate && rng.chance(0.3)) {
        v = oddValue(rng);
        req.notes.push(`query ${p.name}`);
      }
      query.append(p.name, typeof v === 'object' ? toJson(v) : String(v));
    }
  }
  if (mutate && rng.chance(0.1)) query.append(rng.pick(['limit', 'q', 'before_seq', 'after_seq', 'x']), String(oddValue(rng)));
  if (rng.chance(0.15)) urlPath += '/';
  const qs = query.toString();
  const url = qs ? `${urlPath}?${qs}` : urlPath;

  // Body.
  let body;
  let contentType;
  let bodyObject;
  if (op.body && (op.body.required || rng.chance(0.7))) {
    bodyObject = generate(doc, op.body.schema, rng, hints, '');
    if (op.path.endsWith('/users/me/password') && rng.chance(0.7)) bodyObject.current_password = world.actors.spare.password;
    if ((op.path.endsWith('/auth/login') || op.path.endsWith('/auth/login-json')) && rng.chance(0.5)) {
      const a = world.actors[rng.pick(['member', 'peer', 'outsider', 'friend'])];
      bodyObject.username = a.username;
      bodyObject.password = a.password;
    }
    contentType = op.body.contentType;
    if (mutate && rng.chance(0.6)) req.notes.push(mutateObject(bodyObject, rng));
    if (contentType === 'application/x-www-form-urlencoded') {
      body = new URLSearchParams(Object.entries(bodyObject).map(([k, v]) => [k, typeof v === 'object' ? toJson(v) : String(v)])).toString();
    } else {
      body = toJson(bodyObject);
    }
    if (mutate && rng.chance(0.25)) {
      body = garbageBody(rng, bodyObject);
      bodyObject = undefined;
      req.notes.push('garbage body');
    }
  } else if (mutate && rng.chance(0.2)) {
    body = garbageBody(rng, {});
    contentType = 'application/json';
    req.notes.push('unexpected body');
  }
  if (mutate && body !== undefined && rng.chance(0.15)) {
    contentType = rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/xml', '', 'application/json;;;', '*/*']);
    req.notes.push(`content-type ${contentType}`);
  }
  if (mutate && rng.chance(0.03)) {
    body = 'z'.repeat(rng.int(1 << 20, 3 << 20));
    req.notes.push('oversized body');
  }

  // Method.
  let method = op.method;
  if (mutate && rng.chance(0.06)) {
    method = rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
    // Never turn a route into logout with a member's token (logout is a POST of its own path only).
    req.notes.push(`method ${method}`);
  }
  if ((method === 'GET' || method === 'HEAD') && body !== undefined) body = undefined;
  req.method = method;

  // Credentials.
  let token;
  const headers = {};
  if (role === 'spare') token = await throwawayToken(rng);
  else if (role !== 'anonymous') token = world.actors[role].token;
  if (role === 'anonymous' && rng.chance(0.5)) {
    headers.authorization = rng.pick([
      'Bearer',
      'Bearer ',
      `Bearer ${rng.hex(40)}`,
      `Bearer ${world.actors.member.token.slice(0, -3)}abc`,
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer ${'a.'.repeat(2000)}`,
      `bearer ${world.actors.outsider.token}x`,
      `Bearer eyJhbGciOiJub25lIn0.${Buffer.from(`{"sub":"${world.actors.member.id}"}`).toString('base64url')}.`,
    ]);
    req.notes.push('bad authorization');
  }
  if (mutate && rng.chance(0.05)) {
    headers['accept'] = rng.pick(['text/html', '*/*', 'application/xml', '\u00ff'.replace(/./, 'x')]);
    headers['x-forwarded-for'] = rng.pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1', '']);
  }

  // Guards: members' actions must not let the outsider in or remove the auditor; tokens in use stay valid.
  if (role !== 'outsider' && role !== 'anonymous' && role !== 'spare') {
    const outsiderId = world.actors.outsider.id;
    if ((op.path.endsWith('/members') || op.path.endsWith('/chats/group')) && body !== undefined && mentionsId(String(body), outsiderId)) return null;
    if (/\/chats\/\{chat_id\}\/members\/\{user_id\}$/.test(op.path)) {
      const u = req.pathValues.user_id;
      if (mentionsId(decodeURIComponentSafe(u), world.actors.auditor.id)) return null;
    }
  }
  if (role !== 'spare' && (url.includes('/auth/logout') || url.includes('/users/me/password'))) return null;

  Object.assign(req, { url, headers, token, body, contentType, bodyObject });
  return req;
}

function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function printable(req, res) {
  return {
    method: req.method,
    url: req.url,
    as: req.role,
    op: req.id,
    mutations: req.notes,
    contentType: req.contentType,
    headers: req.headers,
    body: typeof req.body === 'string' ? (req.body.length > 2000 ? `${req.body.slice(0, 2000)}... (${req.body.length} chars)` : req.body) : req.body,
    status: res?.status,
    answer: res?.text?.slice(0, 1000),
  };
}

async function httpWorker(index, deadline) {
  const rng = Rng.derive(opts.seed, `http-${index}`);
  let ownsHashing = false;
  while (!stopping && Date.now() < deadline) {
    hashingBusy = hashingBusy && !ownsHashing;
    ownsHashing = false;
    let req;
    activity[index] = { what: 'building a request (may wait for a throwaway login)', since: Date.now() };
    try {
      req = await buildRequest(rng);
    } catch (err) {
      if (stopping) return;
      const network = err.name === 'TimeoutError' || err.message === 'fetch failed' || /^setup:/.test(err.message);
      fail(network ? 'connection' : 'fuzzer', `preparing a request (throwaway login): ${err.stack ?? err.message}`);
      return;
    }
    if (!req) continue;
    activity[index] = { what: describe(printable(req)), since: Date.now() };
    ownsHashing = hashes(req.opPath) || req.role === 'spare';
    stats.requests += 1;
    let res;
    try {
      res = await http(req.method, req.url, { token: req.token, body: req.body, contentType: req.contentType, headers: req.headers });
    } catch (err) {
      if (stopping) return;
      const what = err.name === 'TimeoutError' ? `no answer within ${(hashes(req.url) ? HASHING_TIMEOUT_MS : TIMEOUT_MS) / 1000} s` : `connection error: ${err.cause?.code ?? ''} ${err.cause?.message ?? err.message}`;
      fail('connection', what, printable(req));
      return;
    }
    count(stats.histogram, res.status);
    if (res.status >= 500) {
      fail('5xx', `HTTP ${res.status}`, printable(req, res));
      return;
    }
    if (res.status >= 400 && !EXPECTED_4XX.has(res.status)) count(stats.histogram, `unexpected ${res.status}`);
    if (res.status >= 200 && res.status < 300) {
      checkIsolation(req.role, req, res);
      if (req.role !== 'anonymous') learn(req.role, req, res);
      if (req.role === 'spare' && req.opPath.endsWith('/users/me/password') && req.bodyObject?.new_password && req.method === 'POST') {
        world.actors.spare.password = String(req.bodyObject.new_password);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// WebSocket

function openSocket(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}/api/v1/ws/chat?token=${token}`);
    ws.binaryType = 'arraybuffer';
    const state = { ws, events: [], pongs: 0, answers: 0, closed: null, wake: () => {} };
    const timer = setTimeout(() => reject(new Error(`websocket: not open within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(state);
    };
    ws.onerror = () => {
      clearTimeout(timer);
      if (!state.opened) reject(new Error('websocket refused'));
    };
    ws.onmessage = (e) => {
      let event;
      try {
        event = JSON.parse(typeof e.data === 'string' ? e.data : Buffer.from(e.data).toString());
      } catch {
        event = { type: '(not json)', raw: String(e.data).slice(0, 200) };
      }
      state.onEvent?.(event);
      state.wake();
    };
    ws.onclose = (e) => {
      state.closed = { code: e.code, reason: e.reason };
      state.wake();
    };
  });
}

function wsFrame(rng, role) {
  const hints = hintsFor(role, rng);
  const gen = (name, fallback) => {
    const v = hints.value(name, {}, rng);
    return v === undefined ? fallback : v;
  };
  const chatId = () => gen('chat_id', rng.int(1, 50));
  const messageId = () => gen('message_id', rng.int(1, 500));
  const action = rng.weighted([
    [10, 'send_message'],
    [3, 'edit_message'],
    [2, 'delete_message'],
    [3, 'react'],
    [2, 'unreact'],
    [3, 'typing'],
    [3, 'mark_read'],
    [2, 'sync'],
    [1, 'ping'],
  ]);
  let data;
  switch (action) {
    case 'send_message':
      data = { chat_id: chatId(), text: pickText(rng), client_message_id: gen('client_message_id', world.unique('ws-')) };
      if (rng.chance(0.3)) data.reply_to = messageId();
      break;
    case 'edit_message':
      data = { message_id: messageId(), text: pickText(rng) };
      break;
    case 'delete_message':
      data = { message_id: messageId() };
      break;
    case 'react':
    case 'unreact':
      data = { message_id: messageId(), emoji: rng.chance(0.9) ? rng.pick(EMOJI) : oddValue(rng) };
      break;
    case 'typing':
      data = { chat_id: chatId(), is_typing: rng.chance(0.7) };
      break;
    case 'mark_read':
      data = { chat_id: chatId() };
      if (rng.chance(0.5)) data.message_id = messageId();
      break;
    case 'sync': {
      const m = {};
      for (let i = rng.int(0, 4); i > 0; i--) m[String(chatId())] = rng.chance(0.8) ? rng.int(0, 200) : oddValue(rng);
      data = rng.chance(0.6) ? { changes: m } : { chats: m };
      break;
    }
    default:
      data = {};
  }
  const frame = { action, data };
  const note = [];
  if (rng.chance(0.35)) {
    const kind = rng.weighted([
      [5, 'field'],
      [2, 'action'],
      [2, 'data'],
      [2, 'text'],
      [1, 'binary'],
      [1, 'nesting'],
      [1, 'oversized'],
    ]);
    note.push(kind);
    if (kind === 'field') note.push(mutateObject(data, rng));
    else if (kind === 'action') frame.action = rng.weighted([[3, () => rng.pick(['', 'SEND_MESSAGE', 'send_message ', 'unknown', 'constructor', '__proto__', 'a'.repeat(1000), '\u0000'])], [2, () => oddValue(rng)]])();
    else if (kind === 'data') frame.data = rng.chance(0.3) ? undefined : oddValue(rng);
    else if (kind === 'text') return { text: garbageTextFrame(rng, frame), action, note };
    else if (kind === 'binary') return { binary: rng.chance(0.5) ? rng.bytes(rng.int(0, 2000)) : Buffer.from(toJson(frame)), action, note };
    else if (kind === 'nesting') {
      const depth = rng.int(50, 12000);
      const deep = rng.chance(0.5) ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : nested(depth);
      return { text: `{"action":"${action}","data":${deep}}`, action, note };
    } else if (kind === 'oversized') {
      return { text: toJson({ action: 'send_message', data: { ...data, text: 'o'.repeat(70_000) } }), action, note, expectClose: 1009 };
    }
  }
  return { text: toJson(frame), action: frame.action, data: frame.data, note };
}

function garbageTextFrame(rng, frame) {
  const text = toJson(frame);
  return rng.weighted([
    [2, () => text.slice(0, rng.int(0, text.length - 1))],
    [1, () => rng.bytes(rng.int(1, 300)).toString('latin1')],
    [1, () => rng.pick(['', ' ', 'null', '[]', '1', '"ping"', '{"action":null}', '{"action":"ping"}', '{"action":"ping","data":[]}', '{"action":"sync","data":{"changes":{"x":1}}}'])],
    [1, () => `${text}${text}`],
    [1, () => text.replace(/\d+/g, () => rng.pick(['1e999', '-0', '99999999999999999999999', '1.5', '-1']))],
  ])();
}

function wsIsolation(role, event, frame) {
  if (!OUTSIDER_ROLES.has(role)) return;
  if (event.type === 'error' || event.type === 'pong' || event.type === 'connected') return;
  const d = event.data ?? {};
  const chat = canonicalId(d.chat_id ?? d.message?.chat_id);
  if (event.type === 'message_sent' && chat !== null && world.isProtectedChat(chat)) {
    return fail('isolation', `outsider's WebSocket got message_sent for members' chat ${chat}: ${describe(event)}`, frame);
  }
  if (event.type !== 'sync' && chat !== null && world.isProtectedChat(chat)) {
    return fail('isolation', `outsider's WebSocket got ${event.type} of members' chat ${chat}: ${describe(event)}`, frame);
  }
  const leak = leakIn(d);
  if (leak) fail('isolation', `outsider's WebSocket was shown ${leak} (${event.type}): ${describe(event)}`, frame);
}

async function wsWorker(index, deadline) {
  const rng = Rng.derive(opts.seed, `ws-${index}`);
  let sock = null;
  let role = null;
  let last = [];
  while (!stopping && Date.now() < deadline) {
    if (!sock || sock.closed) {
      role = rng.weighted([[4, 'member'], [2, 'peer'], [4, 'outsider'], [1, 'friend']]);
      try {
        sock = await openSocket(world.actors[role].token);
      } catch (err) {
        if (stopping) return;
        return fail('connection', `WebSocket as ${role}: ${err.message}`);
      }
      stats.wsConnections += 1;
      const myRole = role;
      sock.onEvent = (event) => {
        count(stats.wsEvents, event.type);
        if (event.type === 'pong') sock.pongs += 1;
        if (event.type === 'message_sent' && myRole !== 'outsider') {
          world.addMessage(myRole, event.data);
          ack(event.data, `ws as ${myRole}`);
        }
        wsIsolation(myRole, event, { as: myRole, lastFrames: last.map((f) => f.text ?? '(binary)') });
      };
    }
    // A batch of frames, then a ping: its pong must come within the timeout.
    last = [];
    let expectClose = null;
    for (let i = rng.int(1, 6); i > 0; i--) {
      const f = wsFrame(rng, role);
      // Any frame past WS_MAX_FRAME_BYTES (64 KiB), whatever made it so large, ends the connection with 1009.
      if (!f.expectClose && (f.binary?.length ?? Buffer.byteLength(f.text)) > 64 * 1024) f.expectClose = 1009;
      last.push(f);
      stats.frames += 1;
      try {
        sock.ws.send(f.binary ?? f.text);
      } catch {
        break;
      }
      if (f.expectClose) {
        expectClose = f.expectClose;
        break;
      }
    }
    const frames = last.map((f) => ({ notes: f.note, frame: f.binary ? `(binary ${f.binary.length} bytes)` : (f.text.length > 1500 ? `${f.text.slice(0, 1500)}... (${f.text.length} chars)` : f.text) }));
    const subject = { as: role, frames };
    if (expectClose) {
      const closed = await waitFor(sock, () => sock.closed, TIMEOUT_MS);
      if (!closed) return fail('hang', `an oversized frame did not close the connection within ${TIMEOUT_MS / 1000} s`, subject);
      if (closed.code === 1006) count(stats.wsEvents, 'oversized frame: 1006 instead of 1009');
      else if (closed.code !== expectClose) return fail('websocket close', `an oversized frame closed with ${closed.code} (${closed.reason}), expected ${expectClose}`, subject);
      count(stats.wsEvents, `close ${closed.code}`);
      sock = null;
      continue;
    }
    activity[HTTP_WORKERS + index] = { what: `waiting for a pong as ${role} after ${describe(frames)}`, since: Date.now() };
    const pongs = sock.pongs;
    stats.frames += 1;
    try {
      sock.ws.send('{"action":"ping","data":{}}');
    } catch {
      // closed: seen below
    }
    const ok = await waitFor(sock, () => sock.pongs > pongs || sock.closed, TIMEOUT_MS);
    if (stopping) break;
    if (!ok) return fail('hang', `no pong within ${TIMEOUT_MS / 1000} s after these frames`, subject);
    if (sock.closed) {
      const { code, reason } = sock.closed;
      count(stats.wsEvents, `close ${code}`);
      if (!WS_DOCUMENTED_CLOSES.has(code)) return fail('websocket close', `the server closed the connection with ${code} (${reason})`, subject);
      sock = null;
    }
  }
  if (sock && !sock.closed) {
    sock.ws.close();
    await waitFor(sock, () => sock.closed, 2000);
  }
}

function waitFor(owner, check, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      owner.wake = () => {};
      resolve(check() || null);
    }, ms);
    const probe = () => {
      const v = check();
      if (v) {
        clearTimeout(timer);
        owner.wake = () => {};
        resolve(v);
      }
    };
    owner.wake = probe;
    probe();
  });
}

// ---------------------------------------------------------------------------------------------------------
// Afterwards: every acknowledged message is in its chat's history

async function historyIds(chatId, token) {
  const ids = new Set();
  let after = 0;
  for (let page = 0; page < 10_000; page++) {
    const r = await http('GET', `/api/v1/messages/history/${chatId}?after_seq=${after}&limit=100`, { token });
    stats.requests += 1;
    count(stats.histogram, r.status);
    if (r.status >= 500) throw Object.assign(new Error(`history of chat ${chatId}: HTTP ${r.status} ${r.text.slice(0, 300)}`), { fivexx: true });
    if (r.status !== 200) return page === 0 ? null : ids;
    if (!Array.isArray(r.json) || r.json.length === 0) return ids;
    let maxSeq = after;
    for (const m of r.json) {
      ids.add(m.id);
      if (m.seq > maxSeq) maxSeq = m.seq;
    }
    if (maxSeq === after) return ids;
    after = maxSeq;
  }
  return ids;
}

async function durability() {
  const byChat = new Map();
  for (const [id, a] of acks) {
    if (!byChat.has(a.chat_id)) byChat.set(a.chat_id, []);
    byChat.get(a.chat_id).push(id);
  }
  const readers = ['auditor', 'member', 'peer', 'friend', 'outsider'];
  for (const [chatId, ids] of byChat) {
    let seen = null;
    for (const r of readers) {
      seen = await historyIds(chatId, world.actors[r].token);
      if (seen) break;
    }
    if (!seen) {
      stats.unverifiable += ids.length; // every actor left or was removed
      continue;
    }
    const missing = ids.filter((id) => !seen.has(id));
    stats.checked += ids.length - missing.length;
    if (missing.length) {
      fail('durability', `chat ${chatId}: ${missing.length} acknowledged message(s) missing from history: ${missing.slice(0, 10).map((id) => `${id} (${acks.get(id).via})`).join(', ')}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now();
  console.log(`black-box fuzzer: seed ${opts.seed}, ${opts.seconds} s, server ${opts.bin}`);
  await server.start();
  server.exited.then((s) => {
    if (!server.stopRequested) fail('crash', `the server exited during the run: ${JSON.stringify(s)}\n${server.log.slice(-3000)}`);
  });
  try {
    const r = await http('GET', '/openapi.json');
    doc = r.status === 200 && r.json ? r.json : JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8'));
    ops = operations(doc).filter((o) => o.path !== '/api/v1/ws/chat');
    await setup();
    console.log(`setup: ${Object.keys(world.actors).length} actors, ${world.side.member.chats.size} members' chats, ${world.side.outsider.chats.size} outsider chats, ${stats.acked} messages (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const deadline = Date.now() + opts.seconds * 1000;
    const progress = setInterval(() => {
      console.log(`  ${Math.round((deadline - Date.now()) / 1000)} s left: ${stats.requests} requests, ${stats.frames} frames, ${stats.acked} acknowledged`);
    }, 15_000);
    const workers = Promise.all([
      ...Array.from({ length: HTTP_WORKERS }, (_, i) => httpWorker(i, deadline)),
      ...Array.from({ length: WS_WORKERS }, (_, i) => wsWorker(i, deadline)),
    ]);
    // Every request and frame has its own deadline; this catches what they miss.
    const watchdogMs = Math.max(0, deadline - Date.now()) + HASHING_TIMEOUT_MS + 15_000;
    let watchdog;
    const finished = await Promise.race([workers.then(() => true), new Promise((r) => (watchdog = setTimeout(() => r(false), watchdogMs)))]);
    clearTimeout(watchdog);
    clearInterval(progress);
    if (!finished) {
      const now = Date.now();
      const stuck = activity.map((a, i) => (a ? `worker ${i}: ${Math.round((now - a.since) / 1000)} s: ${a.what.slice(0, 600)}` : null)).filter(Boolean);
      fail('hang', `workers did not finish in time:\n${stuck.join('\n')}`);
    }
    if (server.alive) {
      await new Promise((r) => setTimeout(r, 300)); // late message_sent frames
      try {
        await durability();
      } catch (err) {
        fail(err.fivexx ? '5xx' : 'connection', `durability check: ${err.message}`);
      }
      try {
        const h = await http('GET', '/health');
        stats.requests += 1;
        if (h.status !== 200) fail('health', `/health answered ${h.status}: ${h.text.slice(0, 300)}`);
      } catch (err) {
        fail('health', `/health: ${err.message}`);
      }
    }
  } catch (err) {
    fail('setup', err.stack ?? String(err));
  }
  const stopped = await server.stop(10_000);
  if (stopped.killed) fail('shutdown', 'the server did not exit within 10 s of SIGTERM');
  await new Promise((r) => setTimeout(r, 200)); // the rest of its output
  const report = server.sanitizerReport();
  if (report) fail('sanitizer', `sanitizer report in the server's output:\n${report.lines.join('\n')}\n--- excerpt ---\n${report.excerpt}`);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const histogram = Object.entries(stats.histogram).sort(([a], [b]) => String(a).localeCompare(String(b))).map(([k, v]) => `${k}:${v}`).join(' ');
  const events = Object.entries(stats.wsEvents).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}:${v}`).join(' ');
  console.log('\n--- black-box fuzzer summary ---');
  console.log(`seed:         ${opts.seed}`);
  console.log(`duration:     ${seconds} s (fuzzing ${opts.seconds} s)`);
  console.log(`requests:     ${stats.requests}`);
  console.log(`statuses:     ${histogram}`);
  console.log(`ws:           ${stats.frames} frames over ${stats.wsConnections} connections; events ${events}`);
  console.log(`acknowledged: ${stats.acked} messages, ${stats.checked} found in history, ${stats.unverifiable} unverifiable (no actor can read the chat any more)`);
  console.log(`server exit:  ${JSON.stringify(stopped)}`);
  if (failures.length) {
    console.log(`\nFAILED: ${failures.length} failure(s); the first:`);
    const f = failures[0];
    console.log(`  ${f.kind}: ${f.detail}`);
    if (f.subject) console.log(`  ${describe(f.subject)}`);
    for (const g of failures.slice(1, 5)) console.log(`  also ${g.kind}: ${g.detail.slice(0, 500)}`);
    console.log(`replay: node --experimental-websocket tests/blackbox/run.mjs --bin ${opts.bin} --seconds ${opts.seconds} --seed ${opts.seed}`);
    server.cleanup();
    process.exit(1);
  }
  console.log('OK');
  server.cleanup();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  console.error(`seed ${opts.seed}`);
  process.exit(1);
});
