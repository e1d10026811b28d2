// A real PostgreSQL restart under load: the test runs its own cluster (the shared one on port 55432 serves other
// test files in parallel, so it must not be restarted), points a server at it, and restarts the cluster twice —
// `pg_ctl stop -m fast` (backends told to quit, clean shutdown) and `-m immediate` (everything killed, crash
// recovery on start) — while three users keep sending, one over REST and two over WebSockets. Meanwhile the
// server stays up, answers 503 quickly instead of hanging, keeps its sockets open, and loses nothing it
// acknowledged; afterwards its pool reconnects by itself and resends by client_message_id are stored once.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Api, answersWithin, sleep, startServer } from './harness.mjs';
import { fullHistory } from './chat_events.mjs';
import { Client, connectedAs, waitOn } from './ws_client.mjs';

const ANSWER_MS = 15_000; // every request, during the outage too, is answered within this
const RECOVERY_MS = 30_000; // from `pg_ctl start` returning to /health answering 200
const SEND_INTERVAL_MS = 50;
const UNAVAILABLE = { detail: 'Service temporarily unavailable' };

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin), or null. */
function findPgBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')) && existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b));
  return majors.length ? path.join(root, majors[majors.length - 1], 'bin') : null;
}

const PGBIN = findPgBin();
const skip =
  PGBIN || process.env.CI === 'true' ? false : 'PostgreSQL server binaries not found (apt-get install postgresql)';

/** Runs a command to its exit; rejects with its output when it fails. */
function run(cmd, args, { timeoutMs = 90_000 } = {}) {
  // initdb and postgres refuse to run as root: as root (in CI), the cluster belongs to the postgres user,
  // like scripts/services does it.
  if (process.getuid?.() === 0) [cmd, args] = ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'exit', not 'close': a daemon started by pg_ctl must not keep this waiting on an inherited pipe.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${cmd} ${args.join(' ')}: exit code ${code}, signal ${signal}\n${output}`));
    });
  });
}

async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A PostgreSQL cluster of this test's own, in a temporary folder, always on the same port. */
class Cluster {
  async init() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'windi-pg-restart-'));
    this.data = path.join(this.dir, 'data');
    this.port = await freePort();
    if (process.getuid?.() === 0) {
      await new Promise((resolve, reject) =>
        spawn('chown', ['-R', 'postgres:postgres', this.dir], { stdio: 'inherit' })
          .on('error', reject)
          .on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chown exit code ${code}`)))),
      );
    }
    await run(path.join(PGBIN, 'initdb'), ['-D', this.data, '-A', 'trust', '-U', 'postgres']);
    await this.start();
    await run(path.join(PGBIN, 'psql'), [
      '-q', '-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1',
      '-c', 'CREATE DATABASE windi_restart',
    ]);
    this.url = `postgresql://postgres@127.0.0.1:${this.port}/windi_restart`;
  }
  start() {
    const options = `-c listen_addresses=127.0.0.1 -p ${this.port} -c unix_socket_directories=${this.dir} -c fsync=off`;
    return run(path.join(PGBIN, 'pg_ctl'), ['-D', this.data, '-l', path.join(this.dir, 'log'), '-w', '-t', '60', 'start', '-o', options]);
  }
  stop(mode) {
    return run(path.join(PGBIN, 'pg_ctl'), ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }
  async destroy() {
    if (!this.dir) return;
    if (existsSync(path.join(this.data, 'postmaster.pid'))) await this.stop('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}


/**
 * Sends one message every SEND_INTERVAL_MS, one at a time, each with a new client_message_id, and records every
 * outcome: {cmid, text, ok, status, detail, id, at}. A send not answered within ANSWER_MS (or a dead server)
 * ends the loop with `error`, which `stop()` rethrows and `until()` reports at once.
 */
class Sender {
  constructor(name, prefix, sendOne) {
    this.name = name;
    this.prefix = prefix;
    this.sendOne = sendOne;
    this.outcomes = [];
    this.error = null;
  }
  start() {
    this.running = true;
    this.loop = (async () => {
      for (let n = 0; this.running; n++) {
        const cmid = `${this.prefix}-${this.name}-${n}`;
        const at = Date.now();
        try {
          const outcome = await this.sendOne(cmid, `${this.name} #${n}`);
          this.outcomes.push({ cmid, text: `${this.name} #${n}`, at, ...outcome });
        } catch (err) {
          this.error = err;
          return;
        }
        await sleep(SEND_INTERVAL_MS);
      }
    })();
  }
  async stop() {
    this.running = false;
    await this.loop;
    if (this.error) throw this.error;
  }
  failedSince(t) {
    return this.outcomes.filter((o) => !o.ok && o.at >= t).length;
  }
  succeededSince(t) {
    return this.outcomes.filter((o) => o.ok && o.at >= t).length;
  }
}

/** A send over REST: {ok, status, detail, id}. */
async function restSend(api, user, chatId, cmid, text) {
  const res = await answersWithin(ANSWER_MS, `POST /messages (${cmid})`, () =>
    api.post('/api/v1/messages', { token: user.token, json: { chat_id: chatId, text, client_message_id: cmid } }),
  );
  const ok = res.status === 200 || res.status === 201;
  return { ok, status: res.status, body: res.body, detail: res.body?.detail, id: ok ? res.body.id : null, raw: res.text };
}

/**
 * A send over a socket: the answer is its `message_sent` or an `error` for send_message. Sends go one at a time,
 * so the first such frame after this send is its answer (an error frame names no client_message_id).
 */
async function socketSend(client, chatId, cmid, text) {
  const from = client.events.length;
  client.send('send_message', { chat_id: chatId, text, client_message_id: cmid });
  const reply = await waitOn(
    client,
    () => {
      for (let i = from; i < client.events.length; i++) {
        const e = client.events[i];
        if (e.type === 'message_sent' && e.data.client_message_id === cmid) return e;
        if (e.type === 'error' && e.data.action === 'send_message') return e;
      }
      if (client.closed) throw new Error(`send ${cmid}: socket closed ${JSON.stringify(client.closed)}`);
      return undefined;
    },
    () => new Error(`socket send ${cmid}: no answer within ${ANSWER_MS} ms`),
    ANSWER_MS,
  );
  if (reply.type === 'message_sent') return { ok: true, status: 'message_sent', id: reply.data.id };
  return { ok: false, status: reply.data.status, detail: reply.data.detail, raw: JSON.stringify(reply) };
}

/** Polls `check` (which may throw to fail at once) until it returns true; fails after `ms`. */
async function until(ms, what, check, senders = []) {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const s of senders) if (s.error) throw s.error;
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}


describe('a PostgreSQL restart under load [postgresql]', { skip }, () => {
  const cluster = new Cluster();
  let server;
  const api = new Api(() => server);
  const sockets = [];

  before(async () => {
    if (!PGBIN) throw new Error('CI=true requires the PostgreSQL server binaries (/usr/lib/postgresql/*/bin)');
    await cluster.init();
    server = await startServer({ name: 'postgresql', kind: 'postgresql', fresh: false, url: cluster.url });
  });
  after(async () => {
    for (const c of sockets) c.close();
    await server?.stop();
    await cluster.destroy();
  });

  const serverUp = (when) =>
    assert.equal(server.exitStatus, null, `the server process died ${when}:\n${server.log.slice(-4000)}`);

  for (const mode of ['fast', 'immediate']) {
    it(`survives pg_ctl stop -m ${mode} and start: 503 meanwhile, nothing lost or doubled`, async (t) => {
      const [alice, bob, carol] = await api.users(3, `pgr${mode[0]}`);
      const chat = await api.groupChat(alice, `restart ${mode}`, [bob, carol]);
      const onAlice = await Client.open(server.baseUrl, { token: alice.token });
      const onBob = await Client.open(server.baseUrl, { token: bob.token });
      const onCarol = await Client.open(server.baseUrl, { token: carol.token });
      sockets.push(onAlice, onBob, onCarol);
      await Promise.all([onAlice, onBob, onCarol].map(connectedAs));

      const prefix = `${mode}-${Date.now().toString(36)}`;
      const senders = [
        new Sender('alice-rest', prefix, (cmid, text) => restSend(api, alice, chat.id, cmid, text)),
        new Sender('bob-ws', prefix, (cmid, text) => socketSend(onBob, chat.id, cmid, text)),
        new Sender('carol-ws', prefix, (cmid, text) => socketSend(onCarol, chat.id, cmid, text)),
      ];
      for (const s of senders) s.start();
      const startedAt = Date.now();
      await until(10_000, 'sends succeed before the restart', () => senders.every((s) => s.succeededSince(startedAt) >= 10), senders);

      // --- the outage ---
      const downAt = Date.now();
      await cluster.stop(mode);
      await until(10_000, '/health answers 503 while PostgreSQL is down', async () => {
        const health = await answersWithin(ANSWER_MS, '/health', () => api.get('/health'));
        return health.status === 503;
      }, senders);
      // Every sender meets the outage, and keeps meeting it for a while (sends keep failing, quickly).
      await until(ANSWER_MS, 'every sender has a send refused during the outage', () => senders.every((s) => s.failedSince(downAt) >= 3), senders);
      await sleep(Math.max(0, 2_000 - (Date.now() - downAt)));
      const stillDown = await answersWithin(ANSWER_MS, '/health', () => api.get('/health'));
      assert.equal(stillDown.status, 503, `/health while PostgreSQL is still down: ${stillDown.text}`);
      serverUp('during the outage');
      for (const c of [onAlice, onBob, onCarol]) assert.equal(c.closed, null, 'the sockets stay open during the outage');

      // --- recovery ---
      await cluster.start();
      const upAt = Date.now();
      await until(RECOVERY_MS, '/health answers 200 again after PostgreSQL is back', async () => {
        const health = await answersWithin(ANSWER_MS, '/health', () => api.get('/health'));
        return health.status === 200;
      }, senders);
      const healthyAt = Date.now();
      await until(10_000, 'every sender succeeds again', () => senders.every((s) => s.succeededSince(healthyAt) >= 10), senders);
      await Promise.all(senders.map((s) => s.stop()));
      serverUp('after PostgreSQL came back');
      for (const c of [onAlice, onBob, onCarol]) {
        assert.equal(c.closed, null, 'the sockets are still open after the restart');
        const from = c.events.length;
        c.send('ping', {});
        await waitOn(c, () => c.events.slice(from).find((e) => e.type === 'pong'), () => new Error('no pong after the restart'), 5_000);
      }

      // Every failure was the clear, quick one.
      for (const s of senders) {
        for (const o of s.outcomes.filter((x) => !x.ok)) {
          assert.equal(o.status, 503, `${s.name} ${o.cmid}: ${o.raw}`);
          if (s.name.endsWith('rest')) assert.deepEqual(o.body, UNAVAILABLE, `${s.name} ${o.cmid}: ${o.raw}`);
          else assert.equal(o.detail, UNAVAILABLE.detail, `${s.name} ${o.cmid}: ${o.raw}`);
        }
      }

      // --- resends, with the same client_message_id, over the same way ---
      const retried = new Map(); // cmid -> id of the stored message
      for (const s of senders) {
        for (const o of s.outcomes.filter((x) => !x.ok)) {
          const again = await s.sendOne(o.cmid, o.text);
          assert.ok(again.ok, `resend of ${o.cmid} after recovery: ${again.status} ${again.raw}`);
          retried.set(o.cmid, again.id);
        }
      }

      // --- the history: every acknowledged send and every resend exactly once, nothing else ---
      const history = await fullHistory(api, alice, chat.id);
      const byCmid = new Map();
      for (const m of history) byCmid.set(m.client_message_id, [...(byCmid.get(m.client_message_id) ?? []), m]);
      const acknowledged = senders.flatMap((s) => s.outcomes.filter((o) => o.ok));
      const lost = acknowledged.filter((o) => (byCmid.get(o.cmid) ?? []).length === 0);
      const lostRetried = [...retried.keys()].filter((cmid) => (byCmid.get(cmid) ?? []).length === 0);
      const duplicated = [...byCmid].filter(([, copies]) => copies.length > 1);
      const expected = new Set([...acknowledged.map((o) => o.cmid), ...retried.keys()]);
      const unexpected = history.filter((m) => !expected.has(m.client_message_id));
      const perSender = senders
        .map((s) => `${s.name}: ${s.outcomes.filter((o) => o.ok).length} acknowledged, ${s.outcomes.filter((o) => !o.ok).length} failed`)
        .join('; ');
      const summary =
        `pg_ctl stop -m ${mode}: acknowledged=${acknowledged.length} failed-then-retried=${retried.size} ` +
        `lost=${lost.length + lostRetried.length} duplicated=${duplicated.length} ` +
        `(outage ${upAt - downAt} ms, healthy ${healthyAt - upAt} ms after start; ${perSender})`;
      t.diagnostic(summary);

      assert.deepEqual(lost.map((o) => o.cmid), [], 'acknowledged sends missing from the history');
      assert.deepEqual(lostRetried, [], 'resent messages missing from the history');
      assert.deepEqual(duplicated.map(([cmid, copies]) => `${cmid} x${copies.length}`), [], 'messages stored twice');
      assert.deepEqual(unexpected.map((m) => m.client_message_id), [], 'messages nobody sent');
      for (const o of acknowledged) {
        assert.equal(byCmid.get(o.cmid)[0].id, o.id, `${o.cmid}: the stored message is the acknowledged one`);
        assert.equal(byCmid.get(o.cmid)[0].text, o.text);
      }
      for (const [cmid, id] of retried) assert.equal(byCmid.get(cmid)[0].id, id, `${cmid}: the resend answered with the stored message`);
      assert.ok(retried.size >= senders.length * 3, 'the outage refused sends (it was tested at all)');
      assert.equal(history.length, expected.size);
      serverUp('at the end');
    });
  }
});
