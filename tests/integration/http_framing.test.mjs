// Strict HTTP/1.1 framing (RFC 9112 6.3, 5.2), over raw TCP against a real server process: a request whose
// length a proxy in front could read differently (Transfer-Encoding other than a final chunked, with or without
// a Content-Length; duplicated or odd Content-Length; obs-fold; bare LF) gets 400 with {"detail": ...}, the
// connection is closed, and a second request smuggled into the same bytes is never answered. Ordinary
// requests (Content-Length and chunked bodies, keep-alive, pipelining, the WebSocket upgrade) still work.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Api, startServer } from './harness.mjs';
import { RawSocket } from './raw_socket.mjs';
import { connectedAs, Client } from './ws_client.mjs';

const SMUGGLED = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';

/** Parses as many complete HTTP responses as `buf` holds: [{status, headers, body}], and the bytes left. */
function parseResponses(buf) {
  const responses = [];
  let rest = buf;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) break;
    const body = rest.subarray(end + 4, end + 4 + length).toString('utf8');
    responses.push({ status, headers, body });
    rest = rest.subarray(end + 4 + length);
  }
  return { responses, rest };
}

/** A raw TCP connection that records what the server sends and when it closes its side. */
class Conn {
  static open(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Conn(socket)));
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.data = Buffer.alloc(0);
    this.ended = false; // the server sent FIN
    this.waiters = [];
    socket.on('data', (chunk) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  write(bytes) {
    this.socket.write(bytes);
  }

  get responses() {
    return parseResponses(this.data).responses;
  }

  /** Resolves true once `condition()` holds, false after `ms`. */
  until(condition, ms = 5_000) {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(value);
      };
      const check = () => condition() && done(true);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.push(check);
    });
  }

  destroy() {
    this.socket.destroy();
  }
}

/** Sends `bytes` on a new connection; resolves with the responses once the server has closed (or after 5 s). */
async function exchange(port, bytes) {
  const conn = await Conn.open(port);
  conn.write(bytes);
  const closed = await conn.until(() => conn.ended);
  // Anything the server would still send (an answer to the smuggled request) has had its chance.
  await new Promise((r) => setTimeout(r, 100));
  const { responses, rest } = parseResponses(conn.data);
  conn.destroy();
  return { closed, responses, rest };
}

const post = (fields, body = '') =>
  `POST /api/v1/auth/login-json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${fields}\r\n${body}`;

const chunked = (text) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

// Each: the bytes of one connection, a malformed request with a second one smuggled behind it.
const MALFORMED = {
  'Transfer-Encoding: xchunked beside Content-Length': post(
    'Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n',
    `hello${SMUGGLED}`,
  ),
  'Content-Length then Transfer-Encoding: chunked': post(
    'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
    `0\r\n\r\n${SMUGGLED}`,
  ),
  'Transfer-Encoding: chunked then Content-Length': post(
    'Transfer-Encoding: chunked\r\nContent-Length: 40\r\n',
    `0\r\n\r\n${SMUGGLED}`,
  ),
  'Transfer-Encoding: gzip beside Content-Length': post(
    'Transfer-Encoding: gzip\r\nContent-Length: 5\r\n',
    `hello${SMUGGLED}`,
  ),
  'a folded (obs-fold) Transfer-Encoding': post('Transfer-Encoding:\r\n chunked\r\n', `0\r\n\r\n${SMUGGLED}`),
  'a folded Transfer-Encoding beside Content-Length': post(
    'Content-Length: 5\r\nTransfer-Encoding:\r\n\tchunked\r\n',
    `hello${SMUGGLED}`,
  ),
  'an obs-fold in an ordinary field': post('X-Note: one\r\n two\r\nContent-Length: 2\r\n', `{}${SMUGGLED}`),
  'Transfer-Encoding with chunked not last': post('Transfer-Encoding: chunked, gzip\r\n', `0\r\n\r\n${SMUGGLED}`),
  'Transfer-Encoding with an unknown coding before chunked': post(
    'Transfer-Encoding: gzip, chunked\r\n',
    `0\r\n\r\n${SMUGGLED}`,
  ),
  'Transfer-Encoding: chunked, chunked': post('Transfer-Encoding: chunked, chunked\r\n', `0\r\n\r\n${SMUGGLED}`),
  'Transfer-Encoding given twice': post(
    'Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n',
    `0\r\n\r\n${SMUGGLED}`,
  ),
  'Transfer-Encoding: xchunked alone': post('Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${SMUGGLED}`),
  'Transfer-Encoding in HTTP/1.0': `POST /api/v1/auth/login-json HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  'Content-Length given twice with the same value': post(
    'Content-Length: 2\r\nContent-Length: 2\r\n',
    `{}${SMUGGLED}`,
  ),
  'Content-Length as a list of the same value': post('Content-Length: 2, 2\r\n', `{}${SMUGGLED}`),
  'two different Content-Length values': post('Content-Length: 2\r\nContent-Length: 40\r\n', `{}${SMUGGLED}`),
  'a Content-Length with a sign': post('Content-Length: +2\r\n', `{}${SMUGGLED}`),
  'a hexadecimal Content-Length': post('Content-Length: 0x2\r\n', `{}${SMUGGLED}`),
  'bare LF line endings': `GET /health HTTP/1.1\nHost: x\n\n${SMUGGLED}`,
  'one bare LF among CRLFs': `GET /health HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n${SMUGGLED}`,
  'a bare LF ending the head': `GET /health HTTP/1.1\r\nHost: x\r\n\n${SMUGGLED}`,
  'a bare CR': `GET /health HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n${SMUGGLED}`,
  'an HTTP version other than 1.0 and 1.1': `GET /health HTTP/2.0\r\nHost: x\r\n\r\n${SMUGGLED}`,
  'a chunk size that is not hexadecimal': post('Transfer-Encoding: chunked\r\n', `zz\r\n{}\r\n0\r\n\r\n${SMUGGLED}`),
};

describe('HTTP framing', () => {
  let server;
  let port;
  let user;

  before(async () => {
    server = await startServer({ name: 'sqlite', kind: 'sqlite', fresh: true });
    port = server.port;
    user = await new Api(server).user('fr');
  });
  after(async () => {
    await server?.stop();
  });

  const login = () => JSON.stringify({ username: user.username, password: user.password });

  for (const [name, bytes] of Object.entries(MALFORMED)) {
    it(`refuses ${name} with 400, closes, and never answers the smuggled request`, async () => {
      const { closed, responses, rest } = await exchange(port, bytes);
      assert.equal(responses.length, 1, `exactly one response, got ${JSON.stringify(responses)}`);
      const [res] = responses;
      assert.equal(res.status, 400, res.body);
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.equal(typeof JSON.parse(res.body).detail, 'string');
      assert.ok(JSON.parse(res.body).detail.length > 0);
      assert.equal(res.headers.connection?.toLowerCase(), 'close');
      assert.equal(rest.length, 0, `nothing after the 400: ${rest.toString()}`);
      assert.ok(closed, 'the server closes the connection');
    });
  }

  it('names the problem in the detail', async () => {
    const detail = async (bytes) => JSON.parse((await exchange(port, bytes)).responses[0].body).detail;
    assert.match(await detail(MALFORMED['Transfer-Encoding: xchunked beside Content-Length']), /Content-Length/);
    assert.match(await detail(MALFORMED['a folded (obs-fold) Transfer-Encoding']), /obs-fold/);
    assert.match(await detail(MALFORMED['bare LF line endings']), /LF/);
  });

  it('refuses a bare-LF head as soon as it arrives, without waiting for the end of the head', async () => {
    const conn = await Conn.open(port);
    conn.write('GET /health HTTP/1.1\nHost: x\n'); // never finished
    assert.ok(await conn.until(() => conn.ended, 3_000), 'closed without a blank line');
    assert.equal(conn.responses[0]?.status, 400);
    conn.destroy();
  });

  it('reads a Content-Length body', async () => {
    const body = login();
    const conn = await Conn.open(port);
    conn.write(post(`Content-Length: ${Buffer.byteLength(body)}\r\n`, body));
    assert.ok(await conn.until(() => conn.responses.length === 1));
    assert.equal(conn.responses[0].status, 200, conn.responses[0].body);
    assert.ok(JSON.parse(conn.responses[0].body).access_token);
    conn.destroy();
  });

  it('reads a chunked body, split over several chunks and writes', async () => {
    const body = login();
    const conn = await Conn.open(port);
    conn.write(post('Transfer-Encoding: chunked\r\n'));
    const half = Math.floor(body.length / 2);
    for (const part of [body.slice(0, half), body.slice(half)]) {
      await new Promise((r) => setTimeout(r, 20));
      conn.write(`${Buffer.byteLength(part).toString(16)};ext=1\r\n${part}\r\n`);
    }
    conn.write('0\r\n\r\n');
    assert.ok(await conn.until(() => conn.responses.length === 1));
    assert.equal(conn.responses[0].status, 200, conn.responses[0].body);
    assert.ok(JSON.parse(conn.responses[0].body).access_token);
    conn.destroy();
  });

  it('keeps a connection alive over several requests, pipelined and one by one', async () => {
    const body = login();
    const conn = await Conn.open(port);
    // Four requests in one write: each is answered, in order.
    conn.write(
      SMUGGLED +
        post(`Content-Length: ${Buffer.byteLength(body)}\r\n`, body) +
        post('Transfer-Encoding: chunked\r\n', chunked(body)) +
        'GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n',
    );
    assert.ok(await conn.until(() => conn.responses.length === 4), `got ${conn.responses.length} responses`);
    assert.deepEqual(
      conn.responses.map((r) => r.status),
      [200, 200, 200, 401],
    );
    assert.equal(JSON.parse(conn.responses[0].body).status, 'ok');
    assert.ok(!conn.ended, 'still open');
    // And then one more on the same connection.
    conn.write(SMUGGLED);
    assert.ok(await conn.until(() => conn.responses.length === 5));
    assert.equal(conn.responses[4].status, 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!conn.ended, 'still open after the fifth');
    conn.destroy();
  });

  it('answers 413 to a body over MAX_BODY_BYTES, by Content-Length or chunked', async () => {
    const big = await exchange(port, post('Content-Length: 2000000\r\n', 'x'.repeat(1000)));
    assert.equal(big.responses.length, 1);
    assert.equal(big.responses[0].status, 413);
    assert.ok(big.closed);

    const conn = await Conn.open(port);
    conn.write(post('Transfer-Encoding: chunked\r\n'));
    const chunk = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 20 && !conn.ended; i++) {
      conn.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(await conn.until(() => conn.responses.length === 1));
    assert.equal(conn.responses[0].status, 413);
    assert.ok(await conn.until(() => conn.ended), 'closed after the 413');
    conn.destroy();
  });

  it('answers 431 to a head over the header limit, and closes', async () => {
    const big = await exchange(port, `GET /health HTTP/1.1\r\nX-Big: ${'z'.repeat(20 * 1024)}\r\n\r\n${SMUGGLED}`);
    assert.equal(big.responses.length, 1);
    assert.equal(big.responses[0].status, 431);
    assert.equal(typeof JSON.parse(big.responses[0].body).detail, 'string');
    assert.ok(big.closed);
  });

  it('still upgrades to a WebSocket, raw and from a WebSocket client', async () => {
    const raw = await RawSocket.open(server.baseUrl, user.token);
    await raw.until(() => raw.messages.some((m) => m.type === 'connected'), 'connected');
    raw.destroy();

    const client = await Client.open(server.baseUrl, { token: user.token });
    await connectedAs(client);
    client.send('ping', {});
    await client.waitFor((e) => e.type === 'pong', 'pong');
    client.close();
  });
});
