// A WebSocket client for tests (Node's built-in WebSocket: run node with --experimental-websocket on Node 20).

export class Client {
  static open(baseUrl, { token, protocols, query = true } = {}) {
    const url = baseUrl.replace(/^http/, 'ws') + '/api/v1/ws/chat' + (token && query ? `?token=${token}` : '');
    const ws = new WebSocket(url, protocols);
    const client = new Client(ws);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(client);
      ws.onerror = () => reject(new Error('websocket refused'));
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.events = [];
    this.closed = null;
    this.waiters = [];
    ws.onmessage = (e) => {
      this.events.push(JSON.parse(e.data));
      this.wake();
    };
    ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    };
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  send(action, data) {
    this.ws.send(typeof action === 'string' && data === undefined ? action : JSON.stringify({ action, data }));
  }

  /** Resolves with the first event (from the start of the connection) that matches. */
  waitFor(match, what, timeoutMs = 5000) {
    const check = () => {
      const found = this.events.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`${what}: connection closed ${JSON.stringify(this.closed)}`);
      return undefined;
    };
    const timeout = () =>
      new Error(`${what}: not seen in ${timeoutMs} ms; got ${JSON.stringify(this.events).slice(0, 800)}`);
    return waitOn(this, check, timeout, timeoutMs);
  }

  waitClosed(timeoutMs = 5000) {
    return this.waitFor(() => false, 'close', timeoutMs).catch(() => this.closed);
  }

  of(type) {
    return this.events.filter((e) => e.type === type);
  }

  close() {
    this.ws.close();
  }
}

/**
 * Resolves with what `check()` returns once it is not undefined, or rejects with what it throws; `check` runs
 * now and on every `owner.wake()` (through `owner.waiters`). Rejects with `timeoutError()` after timeoutMs.
 */
export function waitOn(owner, check, timeoutError, timeoutMs) {
  return new Promise((resolve, reject) => {
    const probe = () => {
      let result;
      try {
        result = check();
      } catch (err) {
        done();
        reject(err);
        return;
      }
      if (result !== undefined) {
        done();
        resolve(result);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(timeoutError());
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      owner.waiters = owner.waiters.filter((w) => w !== probe);
    };
    owner.waiters.push(probe);
    probe();
  });
}

export const connectedAs = (c) => c.waitFor((e) => e.type === 'connected', 'connected');
