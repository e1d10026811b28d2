// `windi test-client` against a real server with the demo data: logs in as alice, sends one message over the
// WebSocket, and must exit 0 after seeing its message_sent ack and its own new_message echo; it must exit
// non-zero with a clear message for a wrong password and for a server that is not there.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { before, it } from 'node:test';
import { forEachBackend, WINDI_BIN } from './harness.mjs';

/** Runs the binary; resolves with {code, stdout, stderr} whatever the exit code. */
function run(args, options = {}) {
  return new Promise((resolve) => {
    execFile(WINDI_BIN, args, { timeout: 30_000, ...options }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A loopback port nobody listens on: bound once, then released. */
async function closedPort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

forEachBackend('windi test-client', (ctx) => {
  before(async () => {
    // The demo users and chats, in the server's own database (create-test-data is safe to run again).
    const seeded = await run(['create-test-data'], { cwd: ctx.server.workDir, env: ctx.server.env() });
    assert.equal(seeded.code, 0, `create-test-data failed:\n${seeded.stdout}\n${seeded.stderr}`);
  });

  it('sends into alice\'s first chat and sees its ack and echo', async () => {
    const text = `hello from the test ${Date.now()}`;
    const res = await run(['test-client', '--url', ctx.server.baseUrl, '--text', text]);
    assert.equal(res.code, 0, `exit ${res.code}\n${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, /logged in as alice/);
    assert.match(res.stdout, /<- message_sent /);
    assert.match(res.stdout, /<- new_message /);
    assert.ok(res.stdout.includes(text), 'the echo carries the text');
    assert.match(res.stdout, /^ok: /m);
  });

  it('sends into a chat given by --chat-id as bob', async () => {
    const login = await ctx.api.login('bob', 'password123');
    const chats = await ctx.api.chats({ token: login.access_token });
    assert.ok(chats.length > 0);
    const chatId = String(chats[0].id);
    const res = await run(['test-client', '--url', ctx.server.baseUrl, '--username', 'bob', '--chat-id', chatId]);
    assert.equal(res.code, 0, `exit ${res.code}\n${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, new RegExp(`-> send_message chat ${chats[0].id} `));
  });

  it('fails with a clear message for a wrong password', async () => {
    const res = await run(['test-client', '--url', ctx.server.baseUrl, '--password', 'not-the-password']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /login alice: HTTP 401/);
  });

  it('fails for a chat the user is not in', async () => {
    const res = await run(['test-client', '--url', ctx.server.baseUrl, '--chat-id', '999999999']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /refused the message/);
  });

  it('fails with a clear message when no server listens', async () => {
    const port = await closedPort();
    const res = await run(['test-client', '--url', `http://127.0.0.1:${port}`, '--timeout', '3']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /cannot talk to the server at http:\/\/127\.0\.0\.1:\d+: Connection refused/);
  });
});
