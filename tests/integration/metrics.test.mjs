// GET /metrics on its own listener (METRICS_ADDR), checked by promtool, and the access log: one line per
// HTTP request and per WebSocket close, without tokens or query strings, JSON with LOG_FORMAT=json.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { it } from 'node:test';
import { Api, forEachBackend, sleep, startServer, uniqueName } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import { METRICS_LINE, metricsUrl, parseSamples, total } from './metrics_page.mjs';

async function scrape(server) {
  const res = await fetch(metricsUrl(server));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** Scrapes until `holds(samples)`: the server counts a close once its side of the socket is done. */
async function scrapeUntil(server, holds, what) {
  let samples;
  for (let i = 0; i < 100; i++) {
    samples = parseSamples(await scrape(server));
    if (holds(samples)) return samples;
    await sleep(50);
  }
  assert.fail(`${what}: not in the metrics`);
}

function promtool(page) {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
  if (run.error?.code === 'ENOENT') {
    assert.fail('promtool is not installed (Debian: apt-get install prometheus; scripts/setup installs it)');
  }
  return run;
}

/** Sends raw bytes and resolves with the status of the answer. */
function rawRequest(port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(answer.split(' ')[1])));
  });
}

function accessLines(server) {
  return server.log
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
    .filter((l) => l.log === 'access');
}

forEachBackend(
  'metrics and access log',
  (ctx) => {
    it('counts the load on /metrics (valid for promtool), never on the public port, and logs each request as JSON', async () => {
      const server = await startServer(ctx.backend, {
        env: {
          METRICS_ADDR: '127.0.0.1:0',
          LOG_FORMAT: 'json',
          LOGIN_FREE_FAILURES: '2',
          SEND_BURST: '5',
          SEND_RATE_PER_SECOND: '1',
          WS_MAX_FRAME_BYTES: '1024',
        },
      });
      try {
        const api = new Api(server);
        const [alice, bob] = await api.users(2, 'metrics');
        const chat = await api.privateChat(alice, bob);

        // a 401 three times, with a token in the header that must never reach the log
        const forged = 'forged.token.value';
        for (let i = 0; i < 3; i++) {
          const me = await api.get('/api/v1/users/me', { token: forged });
          assert.equal(me.status, 401);
        }
        // failed logins until the throttle answers 429
        const victim = uniqueName('victim');
        const statuses = [];
        for (let i = 0; i < 4; i++) {
          const r = await api.post('/api/v1/auth/login-json', { json: { username: victim, password: 'wrong-password' } });
          statuses.push(r.status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 429]);

        // WebSocket: alice sends within her burst; bob floods past his and gets 429 error frames
        const a = await Client.open(server.baseUrl, { token: alice.token });
        await connectedAs(a);
        for (let i = 0; i < 5; i++) a.send('send_message', { chat_id: chat.id, text: `m${i}`, client_message_id: `a${i}` });
        await a.waitFor((e) => a.of('message_sent').length === 5, 'five acks');
        const b = await Client.open(server.baseUrl, { token: bob.token });
        await connectedAs(b);
        for (let i = 0; i < 10; i++) b.send('send_message', { chat_id: chat.id, text: `f${i}`, client_message_id: `b${i}` });
        await b.waitFor(
          () => b.of('message_sent').length + b.of('error').length === 10,
          'ten answers to the flood',
        );
        assert.ok(b.of('error').some((e) => e.data.status === 429), JSON.stringify(b.of('error')));
        const stored = a.of('message_sent').length + b.of('message_sent').length;

        // history, with a query string that must not reach the log
        const page = await api.history(alice, chat.id, { limit: 7 });
        assert.ok(page.length >= 5);

        // a normal close (1000), a frame over the limit (1009), a refused upgrade (401), bad framing (400)
        a.ws.close(1000);
        await a.waitClosed();
        b.send('x'.repeat(4096));
        const bigClose = await b.waitClosed();
        assert.equal(bigClose.code, 1009);
        await assert.rejects(Client.open(server.baseUrl, { token: forged }));
        const framing = await rawRequest(
          server.port,
          'POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc',
        );
        assert.equal(framing, 400);

        // /metrics is not on the public port
        const publicPage = await api.get('/metrics');
        assert.equal(publicPage.status, 404);

        const samples = await scrapeUntil(
          server,
          (s) =>
            total(s, 'windi_websocket_connections_closed_total', { code: '1000' }) >= 1 &&
            total(s, 'windi_websocket_connections_closed_total', { code: '1009' }) >= 1,
          'closes with 1000 and 1009',
        );
        const text = await scrape(server);
        const checked = promtool(text);
        assert.equal(checked.status, 0, `promtool: ${checked.stdout}${checked.stderr}`);
        assert.equal(`${checked.stdout}${checked.stderr}`, '', 'promtool lint output');

        assert.ok(total(samples, 'windi_messages_stored_total') >= stored, `stored >= ${stored}`);
        assert.ok(total(samples, 'windi_group_commit_batch_size_count') >= 1);
        assert.ok(total(samples, 'windi_group_commit_duration_seconds_count') >= 1);
        assert.ok(total(samples, 'windi_history_duration_seconds_count') >= 1);
        assert.ok(total(samples, 'windi_websocket_connections_opened_total') >= 2);
        assert.ok(total(samples, 'windi_websocket_frames_received_total') >= 15);
        assert.ok(total(samples, 'windi_websocket_frames_sent_total') >= stored);
        assert.ok(total(samples, 'windi_deliveries_total') >= stored);
        assert.ok(total(samples, 'windi_bus_published_total') >= stored);
        assert.ok(total(samples, 'windi_presence_updates_total') >= 1);
        assert.ok(total(samples, 'windi_logins_total', { result: 'ok' }) >= 2);
        assert.ok(total(samples, 'windi_logins_total', { result: 'failed' }) >= 3);
        assert.ok(total(samples, 'windi_logins_total', { result: 'throttled' }) >= 1);
        assert.ok(total(samples, 'windi_rate_limited_total', { limit: 'login' }) >= 1);
        assert.ok(total(samples, 'windi_rate_limited_total', { limit: 'send' }) >= 1);
        assert.equal(total(samples, 'windi_http_requests_total', { route: '/api/v1/users/me', code: '401' }), 3);
        assert.ok(total(samples, 'windi_http_requests_total', { route: '/api/v1/ws/chat', code: '401' }) >= 1);
        assert.ok(total(samples, 'windi_http_requests_total', { route: '/api/v1/messages/history/{chat_id}', code: '200' }) >= 1);
        assert.ok(total(samples, 'windi_http_refused_total', { reason: 'framing' }) >= 1);
        assert.ok(total(samples, 'windi_http_request_duration_seconds_count', { route: '/api/v1/auth/login-json' }) >= 4);
        assert.ok(total(samples, 'process_cpu_seconds_total') > 0);
        assert.ok(total(samples, 'process_resident_memory_bytes') > 0);
        assert.ok(total(samples, 'process_open_fds') > 0);
        assert.ok(total(samples, 'process_start_time_seconds') > 0);
        // The connection pool's counts exist where there is a pool (PostgreSQL), and not otherwise.
        const poolCounted = [...samples.keys()].some((k) => k.startsWith('windi_store_pool_waits_total'));
        assert.equal(poolCounted, ctx.backend.kind === 'postgresql');
        assert.equal(
          [...samples.keys()].some((k) => k.startsWith('windi_store_connect_failures_total')),
          ctx.backend.kind === 'postgresql',
        );

        // the log: every line JSON; one access line per request, with route templates, no token, no query
        const lines = accessLines(server);
        const forbidden = [forged, alice.token, bob.token, 'limit=7', '?token', `/history/${chat.id}`];
        for (const bad of forbidden) assert.ok(!server.log.includes(bad), `the log contains ${bad}`);
        const http = lines.filter((l) => l.event === 'http');
        assert.equal(http.filter((l) => l.route === '/api/v1/users/me' && l.status === 401).length, 3);
        assert.equal(http.filter((l) => l.route === '/api/v1/auth/login-json' && l.status === 429).length, 1);
        assert.equal(http.filter((l) => l.route === '/api/v1/messages/history/{chat_id}').length, 1);
        const history = http.find((l) => l.route === '/api/v1/messages/history/{chat_id}');
        assert.equal(history.method, 'GET');
        assert.equal(history.status, 200);
        assert.ok(history.bytes_out > 0 && typeof history.duration_ms === 'number');
        assert.ok(http.some((l) => l.route === '/api/v1/ws/chat' && l.status === 401));
        assert.ok(lines.some((l) => l.event === 'http_refused' && l.reason === 'framing' && l.status === 400));
        const closes = lines.filter((l) => l.event === 'ws_close');
        const normal = closes.find((l) => l.code === 1000);
        assert.ok(normal, JSON.stringify(closes));
        assert.equal(normal.user_id, alice.id);
        assert.ok(normal.frames_in >= 5 && normal.frames_out >= 5 && normal.bytes_in > 0);
        assert.ok(closes.some((l) => l.code === 1009 && l.user_id === bob.id));
      } finally {
        await server.stop();
      }
    });

    it('logs text lines by default and serves no metrics when METRICS_ADDR is empty', async () => {
      const server = await startServer(ctx.backend, { env: { METRICS_ADDR: '' } });
      try {
        const api = new Api(server);
        const user = await api.user('textlog');
        await api.get('/api/v1/chats?secret=1', { token: user.token });
        assert.ok(!METRICS_LINE.test(server.log), server.log);
        let line;
        for (let i = 0; i < 100 && !line; i++) {
          line = server.log.split('\n').find((l) => l.includes('[access]') && l.includes('route=/api/v1/chats '));
          if (!line) await sleep(20);
        }
        assert.ok(line, server.log);
        assert.match(line, /http method=GET route=\/api\/v1\/chats status=200 duration_ms=[\d.]+ bytes_in=\d+ bytes_out=\d+/);
        assert.ok(!server.log.includes(user.token));
        assert.ok(!server.log.includes('secret=1'));
      } finally {
        await server.stop();
      }
    });
  },
  { start: false },
);
