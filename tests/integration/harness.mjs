// Test harness: starts a real `windi serve` process per test file and talks to it over HTTP.
//
//   WINDI_BIN                 server binary (default: build/dev/windi, relative to the repository root)
//   WINDI_TEST_POSTGRES_URL   PostgreSQL database for the "postgresql" variant; unset -> that variant is
//                             skipped, unless CI=true, where it fails instead
//   WINDI_TEST_SERVER_LOG=1   copy every server's log to this process's stderr
//
// Every server gets DEBUG=true, a random 48-character SECRET_KEY, PASSWORD_MEMLIMIT_KIB=19456 and either a
// fresh SQLite database in a temporary folder or the PostgreSQL URL. Users are created with random
// suffixes, so one PostgreSQL database can be shared by many runs.

import { after, before, beforeEach, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { track } from '../support/children.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WINDI_BIN = path.resolve(REPO_ROOT, process.env.WINDI_BIN || 'build/dev/windi');

const STARTUP_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const LOG_KEEP_CHARS = 64 * 1024;
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

// ---------------------------------------------------------------------------------------------------------
// Backends

/**
 * The backends every test file runs against: [{name, kind, fresh, env?, skip?, error?}].
 * `fresh` is true when each server starts on an empty database (SQLite in a new temp folder); `env` is added to
 * the environment of every server of the backend. With `filesInPostgres`, the PostgreSQL backend comes twice:
 * with files on disk, and with FILES_STORAGE=postgres.
 */
export function backends({ filesInPostgres = false } = {}) {
  const list = [{ name: 'sqlite', kind: 'sqlite', fresh: true }];
  const url = process.env.WINDI_TEST_POSTGRES_URL;
  if (url) {
    list.push({ name: 'postgresql', kind: 'postgresql', fresh: false, url });
  } else if (process.env.CI === 'true') {
    list.push({
      name: 'postgresql',
      kind: 'postgresql',
      fresh: false,
      error: 'WINDI_TEST_POSTGRES_URL is not set, and CI=true requires the PostgreSQL variant',
    });
  } else {
    list.push({
      name: 'postgresql',
      kind: 'postgresql',
      fresh: false,
      skip: 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")',
    });
  }
  if (filesInPostgres) {
    list.push({ ...list[1], name: 'postgresql, files in postgresql', env: { FILES_STORAGE: 'postgres' } });
  }
  return list;
}

/**
 * Declares one `describe` per backend. `body(ctx)` declares the tests; `ctx.server` is the running server
 * (started in `before`, stopped in `after`, with `env` added to its environment), `ctx.backend` the backend,
 * `ctx.api` a client for the server. `filesInPostgres`: as for backends().
 */
export function forEachBackend(title, body, { start = true, env = {}, filesInPostgres = false } = {}) {
  for (const backend of backends({ filesInPostgres })) {
    describe(`${title} [${backend.name}]`, { skip: backend.skip }, () => {
      if (backend.error) {
        it('has its backend configured', () => {
          throw new Error(backend.error);
        });
        return;
      }
      const ctx = { backend, server: null };
      ctx.api = new Api(() => ctx.server);
      if (start) {
        before(async () => {
          ctx.server = await startServer(backend, { env });
        });
        after(async () => {
          await ctx.server?.stop();
        });
        // A crash fails the test that caused it; the next test gets a new process on the same database,
        // so one crash does not hide every later result.
        beforeEach(async (t) => {
          const s = ctx.server;
          if (s && s.exitStatus && !s.stopRequested) {
            process.stderr.write(
              `[harness] ${backend.name}: server had died (${JSON.stringify(s.exitStatus)}); restarting it for "${t.name}"\n`,
            );
            await s.start();
          }
        });
      }
      body(ctx);
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Server processes

export function randomSecret() {
  return randomBytes(36).toString('base64url'); // 48 characters
}

/** Starts a server for `backend`; resolves once it has logged the port it listens on. */
export async function startServer(backend, options = {}) {
  if (!existsSync(WINDI_BIN)) {
    throw new Error(`server binary ${WINDI_BIN} not found: build it (cmake --build build/dev --target windi) or set WINDI_BIN`);
  }
  const server = new ServerProcess(backend, options);
  try {
    await server.start();
  } catch (err) {
    rmSync(server.workDir, { recursive: true, force: true });
    throw err;
  }
  return server;
}

export class ServerProcess {
  constructor(backend, { secretKey = randomSecret(), env = {} } = {}) {
    this.backend = backend;
    this.secretKey = secretKey;
    this.extraEnv = env;
    this.workDir = mkdtempSync(path.join(tmpdir(), 'windi-it-'));
    this.databaseUrl =
      backend.kind === 'sqlite' ? `sqlite:///${path.join(this.workDir, 'windi.db')}` : backend.url;
    this.child = null;
    this.port = null;
    this.baseUrl = null;
    this.log = '';
    this.exited = null; // promise of {code, signal}
    this.exitStatus = null;
  }

  env() {
    const env = { ...process.env };
    // Nothing from the caller's environment decides how the server under test is configured.
    for (const key of ['HOST', 'PORT', 'REDIS_URL', 'DATABASE_URL', 'WEB_DIR', 'ALLOWED_ORIGINS', 'THREADS', 'TRUSTED_PROXIES', 'METRICS_ADDR', 'LOG_FORMAT', 'FILES_STORAGE']) {
      delete env[key];
    }
    return {
      ...env,
      DEBUG: 'true',
      SECRET_KEY: this.secretKey,
      PASSWORD_MEMLIMIT_KIB: '19456',
      // Every test's users register and log in from 127.0.0.1, and some send bursts: throttling has its own
      // test, with its own limits.
      REGISTRATIONS_PER_HOUR: '1000000',
      REGISTRATION_BURST: '1000000',
      LOGIN_FREE_FAILURES: '1000',
      LOGIN_ADDRESS_FREE_FAILURES: '100000',
      SEND_RATE_PER_SECOND: '1000000',
      SEND_BURST: '1000000',
      READS_PER_SECOND: '1000000',
      TYPING_MIN_INTERVAL_MS: '0',
      // Many servers run at once: none takes the default metrics port unless its test asks for a listener.
      METRICS_ADDR: '',
      DATABASE_URL: this.databaseUrl,
      DATA_DIR: path.join(this.workDir, 'data'),
      WEB_DIR: path.join(REPO_ROOT, 'web'),
      ...this.backend.env,
      ...this.extraEnv,
    };
  }

  /** Starts the process (again, after stop(), on the same database and secret). */
  async start() {
    if (this.child && !this.exitStatus) throw new Error('server already running');
    this.log = '';
    this.port = null;
    this.baseUrl = null;
    this.exitStatus = null;
    this.stopRequested = false;
    // cwd is the temp folder, so a developer's .env in the repository does not leak into the test.
    const child = spawn(WINDI_BIN, ['serve', '--host', '127.0.0.1', '--port', '0'], {
      cwd: this.workDir,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = track(child);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });

    let onLine;
    const portFound = new Promise((resolve) => {
      onLine = resolve;
    });
    const consume = (stream) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        if (process.env.WINDI_TEST_SERVER_LOG) process.stderr.write(chunk);
        this.log = (this.log + chunk).slice(-LOG_KEEP_CHARS);
        if (this.port) return;
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines) {
          const m = stripAnsi(line).match(LISTENING);
          if (m) onLine(Number(m[1]));
        }
      });
    };
    consume(child.stdout);
    consume(child.stderr);

    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`server did not report its port within ${STARTUP_DEADLINE_MS} ms`)),
        STARTUP_DEADLINE_MS,
      );
    });
    const died = this.exited.then(({ code, signal }) => {
      throw new Error(`server exited before listening (code ${code}, signal ${signal})`);
    });
    const spawnFailed = new Promise((_, reject) => child.once('error', reject));
    try {
      this.port = await Promise.race([portFound, deadline, died, spawnFailed]);
    } catch (err) {
      await this.kill();
      err.message += `\n--- server log (${this.backend.name}) ---\n${this.log}`;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /** Sends `signal` and resolves with {code, signal} when the process is gone, or null after `ms`. */
  async signalAndWait(signal, ms) {
    if (!this.child || this.exitStatus) return this.exitStatus;
    this.stopRequested = true;
    this.child.kill(signal);
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    const status = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return status;
  }

  /** SIGTERM, then SIGKILL after 5 s. Resolves with the exit status. Keeps the database. */
  async kill() {
    if (!this.child || this.exitStatus) {
      this.child = null;
      return this.exitStatus;
    }
    let status = await this.signalAndWait('SIGTERM', STOP_GRACE_MS);
    if (!status) status = await this.signalAndWait('SIGKILL', STOP_GRACE_MS);
    this.child = null;
    return status;
  }

  /** Stops the process on the same database and starts a new one (the port may change). */
  async restart() {
    await this.kill();
    return this.start();
  }

  /** Stops the process and removes the temporary folder (and with it a SQLite database). */
  async stop() {
    const status = await this.kill();
    rmSync(this.workDir, { recursive: true, force: true });
    return status;
  }
}

/** Restarts `server` on the same database and secret key; resolves once the new process listens. */
export function restartServer(server) {
  return server.restart();
}

function stripAnsi(s) {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

// ---------------------------------------------------------------------------------------------------------
// HTTP client

/**
 * A thin fetch wrapper. Redirects are not followed (like curl without -L), so a path "works" only when it
 * answers itself. Resolves with {status, headers, body, text}; body is parsed JSON or null.
 */
export class Api {
  constructor(serverOrGetter) {
    this.getServer = typeof serverOrGetter === 'function' ? serverOrGetter : () => serverOrGetter;
  }

  get baseUrl() {
    const server = this.getServer();
    if (!server?.baseUrl) throw new Error('server is not running');
    return server.baseUrl;
  }

  async request(method, urlPath, { token, json, body, form, headers = {}, rawAuthorization } = {}) {
    const h = { ...headers };
    if (token !== undefined) h.Authorization = `Bearer ${token}`;
    if (rawAuthorization !== undefined) h.Authorization = rawAuthorization;
    let payload = body;
    if (json !== undefined) {
      h['Content-Type'] ??= 'application/json';
      payload = JSON.stringify(json);
    } else if (form !== undefined) {
      h['Content-Type'] ??= 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(form).toString();
    }
    const server = this.getServer();
    let res;
    let text;
    try {
      res = await fetch(this.baseUrl + urlPath, { method, headers: h, body: payload, redirect: 'manual' });
      text = await res.text();
    } catch (err) {
      // If the server died, say so (with its log) instead of a bare "fetch failed".
      await sleep(100);
      if (server?.exitStatus) {
        const { code, signal } = server.exitStatus;
        err.message =
          `${method} ${urlPath}: the server process died (exit code ${code}, signal ${signal})` +
          `\n--- server log (last lines) ---\n${server.log.slice(-3000)}`;
      } else {
        err.message = `${method} ${urlPath}: ${err.message} (${err.cause?.code ?? err.cause?.message ?? 'no cause'})`;
      }
      throw err;
    }
    let parsed = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get(p, opts) {
    return this.request('GET', p, opts);
  }
  post(p, opts) {
    return this.request('POST', p, opts);
  }
  delete(p, opts) {
    return this.request('DELETE', p, opts);
  }

  // --- domain helpers (they assert the happy path, so a test fails at the step that broke) ---

  async register({ username = uniqueName(), email, password = 'password123' } = {}) {
    email ??= `${username.toLowerCase()}@test.com`;
    const res = await this.post('/api/v1/auth/register', { json: { username, email, password } });
    expectStatus(res, 201, `register ${username}`);
    return { ...res.body, password };
  }

  async login(username, password) {
    const res = await this.post('/api/v1/auth/login-json', { json: { username, password } });
    expectStatus(res, 200, `login ${username}`);
    return res.body;
  }

  /** Registers and logs in a new user: {id, username, email, password, token}. */
  async user(prefix = 'u') {
    const registered = await this.register({ username: uniqueName(prefix) });
    const login = await this.login(registered.username, registered.password);
    return { ...registered, token: login.access_token };
  }

  async users(n, prefix = 'u') {
    return Promise.all(Array.from({ length: n }, () => this.user(prefix)));
  }

  async privateChat(me, other) {
    const res = await this.post('/api/v1/chats/private', { token: me.token, json: { recipient_id: other.id } });
    if (res.status !== 201 && res.status !== 200) expectStatus(res, 201, 'create private chat');
    return res.body;
  }

  async groupChat(me, name, members) {
    const res = await this.post('/api/v1/chats/group', {
      token: me.token,
      json: { name, member_ids: members.map((m) => m.id) },
    });
    expectStatus(res, 201, 'create group chat');
    return res.body;
  }

  async send(me, chatId, text, clientMessageId) {
    const json = { chat_id: chatId, text };
    if (clientMessageId !== undefined) json.client_message_id = clientMessageId;
    const res = await this.post('/api/v1/messages', { token: me.token, json });
    expectStatus(res, 201, 'send message');
    return res.body;
  }

  async history(me, chatId, query = {}) {
    const qs = new URLSearchParams(query).toString();
    const res = await this.get(`/api/v1/messages/history/${chatId}${qs ? `?${qs}` : ''}`, { token: me.token });
    expectStatus(res, 200, `history ${chatId}?${qs}`);
    return res.body;
  }

  async chats(me) {
    const res = await this.get('/api/v1/chats', { token: me.token });
    expectStatus(res, 200, 'list chats');
    return res.body;
  }

  async chatFromList(me, chatId) {
    const chat = (await this.chats(me)).find((c) => c.id === chatId);
    if (!chat) throw new Error(`chat ${chatId} is not in the list of user ${me.username}`);
    return chat;
  }
}

export function expectStatus(res, status, what = 'request') {
  if (res.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Names, tokens

/** A username valid for the API (3-32 chars of [A-Za-z0-9_.-]) that is unique across runs. */
export function uniqueName(prefix = 'u') {
  return `${prefix}_${randomBytes(6).toString('hex')}`.slice(0, 32);
}

export function base64url(value) {
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return buf.toString('base64url');
}

export function decodeJwtPart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** Builds an HS256 JWT over `payload` signed with `secret`. */
export function signJwt(payload, secret, header = { alg: 'HS256', typ: 'JWT' }) {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the response, or fails when the server takes longer than `ms` to answer. */
export async function answersWithin(ms, what, request) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([request(), late]);
  } finally {
    clearTimeout(timer);
  }
}
