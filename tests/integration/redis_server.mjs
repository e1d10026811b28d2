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
    this.port = 20000 + Math.floor(Math.random() * 20000);
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start() {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      if (await ping(this.port)) return;
      await sleep(50);
    }
    throw new Error('redis-server did not start');
  }
  async stop() {
    if (!this.child) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
    this.child = null;
  }
}
