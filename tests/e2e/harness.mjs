// E2E harness: a real `windi serve` (serving web/public) on a fresh SQLite database loaded with the demo data,
// and Debian's Chromium driven by playwright-core.
//
//   WINDI_BIN               server binary (default: build/dev/windi, relative to the repository root)
//   WINDI_E2E_CHROMIUM      browser binary (default: /usr/bin/chromium)
//   WINDI_E2E_SCREENSHOTS   where screenshots go (default: tests/e2e/screenshots)
//   WINDI_E2E_HEADED=1      show the browser
//   WINDI_TEST_SERVER_LOG=1 copy the server's log to stderr

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { track } from '../support/children.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const WINDI_BIN = path.resolve(REPO_ROOT, process.env.WINDI_BIN || 'build/dev/windi');
export const SCREENSHOTS = path.resolve(process.env.WINDI_E2E_SCREENSHOTS || path.join(HERE, 'screenshots'));
const CHROMIUM = process.env.WINDI_E2E_CHROMIUM || '/usr/bin/chromium';
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const STARTUP_DEADLINE_MS = 30_000;

export const DEMO_PASSWORD = 'password123';

/** One windi server process on its own temporary SQLite database; restartable on the same port. */
export class Server {
  constructor() {
    if (!existsSync(WINDI_BIN)) {
      throw new Error(`server binary ${WINDI_BIN} not found: build it (cmake --build build/dev) or set WINDI_BIN`);
    }
    this.workDir = mkdtempSync(path.join(tmpdir(), 'windi-e2e-'));
    this.secret = randomBytes(36).toString('base64url'); // 48 characters
    this.port = 0;
    this.child = null;
    this.exited = null;
    this.log = '';
  }

  env() {
    const env = { ...process.env };
    for (const key of ['HOST', 'PORT', 'REDIS_URL', 'DATABASE_URL', 'ALLOWED_ORIGINS', 'THREADS', 'WEB_DIR']) delete env[key];
    return {
      ...env,
      DEBUG: 'true',
      SECRET_KEY: this.secret,
      PASSWORD_MEMLIMIT_KIB: '19456',
      // Every user of these tests registers and logs in from 127.0.0.1.
      REGISTRATIONS_PER_HOUR: '1000000',
      REGISTRATION_BURST: '1000000',
      LOGIN_FREE_FAILURES: '1000',
      LOGIN_ADDRESS_FREE_FAILURES: '100000',
      SEND_RATE_PER_SECOND: '1000000',
      SEND_BURST: '1000000',
      READS_PER_SECOND: '1000000',
      TYPING_MIN_INTERVAL_MS: '0',
      DATABASE_URL: `sqlite:///${path.join(this.workDir, 'windi.db')}`,
      DATA_DIR: path.join(this.workDir, 'data'),
      WEB_DIR: path.join(REPO_ROOT, 'web'),
    };
  }

  /** Loads the demo users (alice, bob, charlie, diana, eve) and their three chats. */
  seed() {
    const r = spawnSync(WINDI_BIN, ['create-test-data'], { cwd: this.workDir, env: this.env(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`windi create-test-data failed (${r.status}): ${r.stdout}\n${r.stderr}`);
  }

  /** Starts `windi serve`; the first start picks a free port, later ones reuse it (the browser's origin). */
  async start() {
    this.log = '';
    const child = spawn(WINDI_BIN, ['serve', '--host', '127.0.0.1', '--port', String(this.port)], {
      cwd: this.workDir,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = track(child);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        resolve({ code, signal });
      });
      child.on('error', (err) => {
        resolve({ code: null, signal: null, error: err.message });
      });
    });
    let found;
    const portFound = new Promise((resolve) => (found = resolve));
    let pending = '';
    const consume = (chunk) => {
      if (process.env.WINDI_TEST_SERVER_LOG) process.stderr.write(chunk);
      this.log = (this.log + chunk).slice(-64 * 1024);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const m = line.replace(/\x1b\[[0-9;]*m/g, '').match(LISTENING);
        if (m) found(Number(m[1]));
      }
    };
    child.stdout.setEncoding('utf8').on('data', consume);
    child.stderr.setEncoding('utf8').on('data', consume);
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the server did not report its port in time')), STARTUP_DEADLINE_MS);
    });
    const died = this.exited.then(({ code, signal, error }) => {
      throw new Error(error ? `cannot start ${WINDI_BIN}: ${error}` : `the server exited before listening (code ${code}, signal ${signal})`);
    });
    try {
      this.port = await Promise.race([portFound, deadline, died]);
    } catch (err) {
      err.message += `\n--- server log ---\n${this.log}`;
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /** SIGTERM (SIGKILL after 5 s); keeps the database. */
  async stop() {
    const child = this.child;
    if (!child) return null;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return this.exited;
    child.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 5000));
    let status = await Promise.race([this.exited, timeout]);
    if (!status) {
      child.kill('SIGKILL');
      status = await this.exited;
    }
    return status;
  }

  /** Starts again on the same port and database; retries while the port is still being released. */
  async restart() {
    await this.stop();
    let lastError;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        return await this.start();
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    throw lastError;
  }

  async dispose() {
    await this.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** A direct API call (for set-up and for checking what the server stored). */
  async api(method, urlPath, { token, json } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.baseUrl + urlPath, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${urlPath}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return body;
  }

  async token(username, password = DEMO_PASSWORD) {
    const res = await this.api('POST', '/api/v1/auth/login-json', { json: { username, password } });
    return res.access_token;
  }
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set WINDI_E2E_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: !process.env.WINDI_E2E_HEADED,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new browser context (its own storage: one "device") with one page, errors collected. */
export async function openPage(browser, server, { viewport = { width: 1280, height: 800 }, isMobile = false } = {}) {
  const context = await browser.newContext({ viewport, isMobile, hasTouch: isMobile, baseURL: server.baseUrl });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(err.message));
  page.on('dialog', (dialog) => dialog.accept());
  return page;
}

export async function login(page, username, password = DEMO_PASSWORD) {
  await page.goto('/');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-screen').waitFor({ state: 'visible' });
  await waitOnline(page);
}

export async function waitOnline(page, timeout = 20_000) {
  await page.locator('[data-testid="connection-status"][data-state="online"]').waitFor({ timeout });
}

export function chatItem(page, name) {
  return page.locator(`[data-testid="chat-item"][data-chat-name="${name}"]`);
}

export async function openChat(page, name) {
  await chatItem(page, name).locator('button').click();
  await page.locator('[data-testid="chat-view"]').waitFor({ state: 'visible' });
  await page.getByTestId('chat-title').filter({ hasText: name }).waitFor();
}

export async function send(page, text) {
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  await input.press('Enter');
}

/** The open chat's message texts, in order. */
export function messageTexts(page) {
  return page.$$eval('[data-testid="message-list"] [data-testid="message-text"]', (els) => els.map((e) => e.textContent));
}

/** The message element of the open chat whose text is exactly `text`. */
export function messageByText(page, text) {
  return page.locator('[data-testid="message"]').filter({
    has: page.locator('[data-testid="message-text"]').getByText(text, { exact: true }),
  });
}

/**
 * Scrolls the open chat to the top again and again (each time loading an older page) until the message whose
 * text is `firstText` is shown, then waits for the "Beginning of the conversation" marker.
 */
export async function scrollToBeginning(page, firstText, { timeout = 15_000 } = {}) {
  await eventually(
    async () => {
      await page.getByTestId('message-scroller').evaluate((el) => {
        el.scrollTop = 0;
      });
      return (await messageByText(page, firstText).count()) === 1;
    },
    { timeout, interval: 300, message: `"${firstText}" after scrolling up` },
  );
  await page.getByTestId('history-edge').filter({ hasText: 'Beginning of the conversation' }).waitFor();
}

/** Polls `check` (which throws or returns false until it holds) until it holds or `timeout` ms pass. */
export async function eventually(check, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const ok = await check();
      if (ok !== false) return ok;
      last = new Error(`${message}: not yet`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      last.message = `timed out after ${timeout} ms waiting for ${message}: ${last.message}`;
      throw last;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}
