// Starts one `windi serve` process for the fuzzer (same configuration as tests/integration/harness.mjs, with
// every throttle lifted and the sanitizers' options set) and keeps its whole output for the sanitizer scan.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const STARTUP_DEADLINE_MS = 60_000;
const LOG_KEEP_CHARS = 4 * 1024 * 1024;
export const SANITIZER = /ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ERROR: UndefinedBehaviorSanitizer|SUMMARY: (Address|Undefined)/;

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

export class Server {
  constructor(bin) {
    this.bin = path.resolve(bin);
    this.workDir = mkdtempSync(path.join(tmpdir(), 'windi-bb-'));
    this.log = '';
    this.logDropped = 0;
    this.exitStatus = null;
    this.stopRequested = false;
    this.sanitizerLines = [];
  }

  env() {
    const env = { ...process.env };
    for (const key of ['HOST', 'PORT', 'REDIS_URL', 'DATABASE_URL', 'WEB_DIR', 'ALLOWED_ORIGINS', 'THREADS', 'TRUSTED_PROXIES', 'METRICS_ADDR', 'LOG_FORMAT', 'DATA_DIR']) {
      delete env[key];
    }
    return {
      ...env,
      DEBUG: 'true',
      SECRET_KEY: randomBytes(36).toString('base64url'),
      PASSWORD_MEMLIMIT_KIB: '19456',
      DATABASE_URL: `sqlite:///${path.join(this.workDir, 'windi.db')}`,
      DATA_DIR: path.join(this.workDir, 'data'),
      METRICS_ADDR: '',
      REGISTRATIONS_PER_HOUR: '1000000',
      REGISTRATION_BURST: '1000000',
      LOGIN_FREE_FAILURES: '1000000',
      LOGIN_ADDRESS_FREE_FAILURES: '1000000',
      SEND_RATE_PER_SECOND: '1000000',
      SEND_BURST: '1000000',
      READS_PER_SECOND: '1000000',
      TYPING_MIN_INTERVAL_MS: '0',
      WS_MAX_CONNECTIONS_PER_USER: '100000',
      WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
      ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0',
      UBSAN_OPTIONS: 'print_stacktrace=1',
    };
  }

  async start() {
    if (!existsSync(this.bin)) throw new Error(`server binary ${this.bin} not found`);
    const child = spawn(this.bin, ['serve', '--host', '127.0.0.1', '--port', '0'], {
      cwd: this.workDir,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    process.on('exit', () => {
      if (!this.exitStatus) try { child.kill('SIGKILL'); } catch { /* gone */ }
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    let found;
    const portFound = new Promise((resolve) => (found = resolve));
    const consume = (stream) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        if (process.env.WINDI_BLACKBOX_SERVER_LOG) process.stderr.write(chunk);
        this.log += chunk;
        if (this.log.length > LOG_KEEP_CHARS) {
          this.logDropped += this.log.length - LOG_KEEP_CHARS;
          this.log = this.log.slice(-LOG_KEEP_CHARS);
        }
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const raw of lines) {
          const line = stripAnsi(raw);
          if (SANITIZER.test(line)) this.sanitizerLines.push(line);
          const m = line.match(LISTENING);
          if (m) found(Number(m[1]));
        }
      });
    };
    consume(child.stdout);
    consume(child.stderr);
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`server did not report its port within ${STARTUP_DEADLINE_MS} ms`)), STARTUP_DEADLINE_MS);
    });
    const died = this.exited.then((s) => {
      throw new Error(`server exited before listening (${JSON.stringify(s)})\n${this.log.slice(-4000)}`);
    });
    const spawnFailed = new Promise((_, reject) => child.once('error', reject));
    try {
      this.port = await Promise.race([portFound, deadline, died, spawnFailed]);
    } finally {
      clearTimeout(timer);
    }
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    return this;
  }

  get alive() {
    return !this.exitStatus;
  }

  /** SIGTERM, then SIGKILL after `ms`; resolves with {code, signal, killed}. */
  async stop(ms = 10_000) {
    if (this.exitStatus) return { ...this.exitStatus, killed: false };
    this.stopRequested = true;
    this.child.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(null), ms)));
    const status = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (status) return { ...status, killed: false };
    this.child.kill('SIGKILL');
    return { ...(await this.exited), killed: true };
  }

  /** Sanitizer report lines and a tail of the log around the first one. */
  sanitizerReport() {
    if (!this.sanitizerLines.length) return null;
    const clean = stripAnsi(this.log);
    const at = clean.search(SANITIZER);
    const excerpt = at >= 0 ? clean.slice(Math.max(0, at - 500), at + 6000) : '';
    return { lines: this.sanitizerLines.slice(0, 20), excerpt };
  }

  cleanup() {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
