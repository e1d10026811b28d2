// A WebSocket client on a bare TCP socket, for what a browser's WebSocket cannot do: stop reading (a slow
// consumer) and never answer pings (a dead peer). It speaks just enough RFC 6455 for that.

import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { waitOn } from './ws_client.mjs';

export class RawSocket {
  static open(baseUrl, token) {
    const url = new URL(baseUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    const raw = new RawSocket(socket);
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET /api/v1/ws/chat?token=${token} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    return new Promise((resolve, reject) => {
      raw.onUpgrade = (status) => (status === 101 ? resolve(raw) : reject(new Error(`upgrade answered ${status}`)));
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.upgraded = false;
    this.messages = []; // parsed JSON text frames
    this.pings = 0;
    this.closeCode = null; // from a close frame
    this.ended = false; // the TCP connection is gone
    this.waiters = [];
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(this.buffer.subarray(0, end).toString().split(' ')[1]);
      this.buffer = this.buffer.subarray(end + 4);
      this.upgraded = true;
      this.onUpgrade?.(status);
    }
    this.parseFrames();
    this.wake();
  }

  parseFrames() {
    for (;;) {
      if (this.buffer.length < 2) return;
      const fin = (this.buffer[0] & 0x80) !== 0;
      const opcode = this.buffer[0] & 0x0f;
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const payload = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      this.fragments = opcode === 0 ? [...(this.fragments ?? []), payload] : [payload];
      if (opcode === 1 || opcode === 0) {
        if (fin) this.messages.push(JSON.parse(Buffer.concat(this.fragments).toString()));
      } else if (opcode === 8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      } else if (opcode === 9) {
        this.pings += 1; // deliberately unanswered
      }
    }
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves when `condition()` holds; rejects after timeoutMs. */
  until(condition, what, timeoutMs = 10_000) {
    const check = () => (condition() ? true : undefined);
    return waitOn(this, check, () => new Error(`${what}: not seen in ${timeoutMs} ms`), timeoutMs);
  }

  pause() {
    this.socket.pause();
  }

  resume() {
    this.socket.resume();
  }

  destroy() {
    this.socket.destroy();
  }
}
