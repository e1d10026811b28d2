// A redis-server of a test's own on loopback, so that the test can stop and start it, and so that its server
// processes hear no other test's events.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { sleep } from './harness.mjs';

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });
}

export class RedisServer {
  constructor() {
    this.port = RedisServer.randomPort();
  }
  static randomPort() {
    return 20000 + Math.floor(Math.random() * 12000); // below Linux's ephemeral ports (32768 and up)
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start() {
    // A port another process took makes our redis-server exit at once, while the PING may reach theirs: a port
    // counts only when our child answers on it and is still running.
    for (let attempt = 0; attempt < 5; attempt++) {
      const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      this.child = child;
      this.exited = new Promise((r) => child.once('exit', r));
      for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) {
        if (await ping(this.port)) {
          await sleep(50);
          if (child.exitCode === null && child.signalCode === null) return;
          break;
        }
        await sleep(50);
      }
      await this.stop();
      this.port = RedisServer.randomPort();
    }
    throw new Error('redis-server did not start');
  }
  /** One inline command (e.g. `CLIENT KILL TYPE normal`); resolves with Redis's first answer line. */
  command(line) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.port, '127.0.0.1', () => socket.write(`${line}\r\n`));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().trim());
      });
      socket.on('error', reject);
    });
  }
  async stop() {
    if (!this.child) return;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }
}
