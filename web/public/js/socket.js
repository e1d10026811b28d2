// The chat socket: connects with the token as a subprotocol, reconnects by itself with backoff (and at once
// when the browser says the network is back), and notices a dead connection by its silence.

const PATH = '/api/v1/ws/chat';
const BACKOFF_FIRST_MS = 400;
const BACKOFF_MAX_MS = 5000;
const PING_EVERY_MS = 20000;
const SILENCE_LIMIT_MS = 45000;

export class ChatSocket {
  /**
   * getToken(): the JWT. preflight(): resolves 'ok', 'unauthorized' (stop for good) or 'unreachable' (retry).
   * onFrame(frame): every server frame. onState(state, info): 'connecting' | 'online' | 'offline' | 'stopped'.
   * onReady(): after the server's `connected` frame, when the app should send `sync`.
   */
  constructor({ getToken, preflight, onFrame, onState, onReady, onUnauthorized }) {
    Object.assign(this, { getToken, preflight, onFrame, onState, onReady, onUnauthorized });
    this.ws = null;
    this.ready = false;
    this.stopped = true;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastFrameAt = 0;
    this.retryAt = 0;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.drop('offline');
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.closeSocket();
    this.setState('stopped');
  }

  get isReady() {
    return this.ready && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a frame when the socket is up; returns false (and sends nothing) otherwise. */
  send(action, data = {}) {
    if (!this.isReady) return false;
    try {
      this.ws.send(JSON.stringify({ action, data }));
      return true;
    } catch {
      return false;
    }
  }

  reconnectNow() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  setState(state, info = {}) {
    this.state = state;
    this.onState?.(state, info);
  }

  async connect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.setState('connecting');
    if (!navigator.onLine) return this.scheduleRetry();
    let verdict = 'ok';
    try {
      verdict = await this.preflight();
    } catch {
      verdict = 'unreachable';
    }
    if (this.stopped) return;
    if (verdict === 'unauthorized') {
      this.stop();
      this.onUnauthorized?.();
      return;
    }
    if (verdict !== 'ok') return this.scheduleRetry();

    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}${PATH}`, ['bearer', this.getToken()]);
    } catch {
      return this.scheduleRetry();
    }
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === 'connected') {
        this.ready = true;
        this.attempt = 0;
        this.setState('online');
        this.startHeartbeat();
        this.onReady?.(frame.data);
      }
      this.onFrame?.(frame);
    };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.ready = false;
      clearInterval(this.pingTimer);
      if (!this.stopped) this.scheduleRetry();
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry.
    };
  }

  scheduleRetry() {
    if (this.stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState('offline', { retryAt: this.retryAt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  startHeartbeat() {
    clearInterval(this.pingTimer);
    this.lastFrameAt = Date.now();
    this.pingTimer = setInterval(() => {
      if (!this.isReady) return;
      if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
        this.drop('silent');
        return;
      }
      this.send('ping');
    }, PING_EVERY_MS);
  }

  /** Closes the current socket and lets the retry logic take over. */
  drop() {
    if (this.stopped) return;
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    clearInterval(this.pingTimer);
    if (ws) {
      try {
        ws.close();
      } catch {
        // already closing
      }
    }
    this.scheduleRetry();
  }

  closeSocket() {
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) {
      try {
        ws.close(1000, 'bye');
      } catch {
        // already closing
      }
    }
  }
}
