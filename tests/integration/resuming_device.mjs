// A simulated client device for the tests that kill part of the back end under traffic (lost_process.test.mjs:
// a server process; cluster_failover.test.mjs: a Redis Cluster master). It does what a client must do to lose
// nothing and show nothing twice: one WebSocket connection at a time; every send carries its own
// client_message_id and stays pending until a message_sent acknowledges it; on a new connection it resumes by
// sync from a gapless cursor per chat (the highest change number up to which it saw every change), then sends
// again, with the same client_message_id, whatever was never acknowledged.
//
// On the way it records what the tests assert on: each message it has and how it got it (live or by sync),
// every acknowledgement, and, in `problems`, whatever a correct server never does to it (a message live twice,
// a sync answer carrying a change at or below the cursor it was asked with, resync_required, an error frame the
// test does not expect, its connection closed under it). The checks at the end, against the REST history of
// each chat, are the functions after the class.

import assert from 'node:assert/strict';
import { sleep } from './harness.mjs';
import { Client, waitOn } from './ws_client.mjs';

const WAIT_MS = 20_000; // generous: the machine is small and busy
const SEND_EVERY_MS = 300; // runTraffic: per device, on average
const WINDOW = 4; // runTraffic: unacknowledged sends a device lets pile up before it waits
const RETRY_MS = 4000; // runRetries: a send unacknowledged this long is sent again, with the same client_message_id

const sorted = (ids) => [...ids].sort((x, y) => x - y);

/**
 * One user's device: one WebSocket connection at a time, the messages it has (from live events and sync
 * answers), per chat the change numbers it saw, and its sends with their acknowledgements.
 *
 * Options: `sends`, a map (client_message_id -> send) shared by every device of a test, so that a problem can
 * say how a message was sent whoever sent it; `tolerate`, the actions ('send_message', 'sync') whose error
 * frames the test expects: they are not problems (a refused send stays pending, a refused sync rejects sync()).
 */
export class ResumingDevice {
  constructor(name, user, { sends = new Map(), tolerate = [] } = {}) {
    this.name = name;
    this.user = user;
    this.allSends = sends;
    this.tolerate = new Set(tolerate);
    this.conn = null; // {server, client, cursorsSent: [], syncs: []}
    this.connections = [];
    this.online = false; // connected and resumed: sends go out
    this.reconnecting = false; // leaving its connection on purpose (reconnect)
    this.have = new Map(); // chat -> Map(id -> {change, cmid, sender, how, at})
    this.byCmid = new Map(); // cmid -> the same entry
    this.seen = new Map(); // chat -> Set of change numbers seen
    this.base = new Map(); // chat -> its last_change when the device first saw it
    this.sent = new Map(); // cmid -> {cmid, chat_id, text, via: [process names], firstSentAt, lastSentAt}
    this.pending = new Map(); // cmid -> the send, until acknowledged
    this.acks = new Map(); // cmid -> [message_sent data, with `at`]
    this.onAck = null; // called with the data of each message_sent
    this.retried = new Set(); // cmids sent again after a resume
    this.resends = 0; // sends transmitted again by runRetries
    this.sendErrors = []; // tolerated error frames for send_message (the send is retried)
    this.problems = [];
    this.overlaps = 0; // sync messages the device had already: above its cursor, so asked for
    this.resumes = []; // {from, to, replayed}
    this.count = 0;
    this.waiters = [];
    this.finished = false;
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  get where() {
    return this.conn?.server.name;
  }

  /** Opens a connection on `server` and resumes on it: sync with the device's cursors. */
  async connect(server) {
    const client = await Client.open(server.baseUrl, { token: this.user.token });
    const conn = { server, client, cursorsSent: [], syncs: [] };
    const onmessage = client.ws.onmessage;
    client.ws.onmessage = (e) => {
      onmessage(e);
      this.receive(conn, client.events.at(-1));
      this.wake();
    };
    const onclose = client.ws.onclose;
    client.ws.onclose = (e) => {
      onclose(e);
      // An old connection, or one the device is leaving or done with, takes nothing with it.
      if (conn === this.conn && !this.reconnecting && !this.finished) {
        this.online = false;
        this.lost(conn, e);
      }
      this.wake();
    };
    await client.waitFor((e) => e.type === 'connected', `${this.name}: connected on ${server.name}`, WAIT_MS);
    this.conn = conn;
    this.connections.push(conn);
    return this.sync();
  }

  /** The current connection closed under the device. A test that expects it resumes instead. */
  lost(conn, e) {
    this.problems.push(`${this.name}: connection to ${conn.server.name} closed (${e.code} ${e.reason})`);
  }

  /** The highest change number of `chat` up to which the device saw every change. */
  cursor(chat) {
    const seen = this.seen.get(chat);
    let c = this.base.get(chat);
    while (seen.has(c + 1)) c++;
    return c;
  }

  /** Sends sync with the device's cursors; resolves with the answer (applied as it arrived). */
  sync() {
    const conn = this.conn;
    const cursors = {};
    for (const chat of this.seen.keys()) cursors[chat] = this.cursor(chat);
    const before = conn.syncs.length;
    conn.cursorsSent.push(cursors);
    conn.client.send('sync', { changes: cursors });
    return waitOn(
      this,
      () => {
        if (conn.syncs.length > before) {
          const answer = conn.syncs[before];
          if (answer.type === 'error') throw new Error(`${this.name}: sync refused: ${JSON.stringify(answer.data)}`);
          return answer;
        }
        if (conn.client.closed) throw new Error(`${this.name}: closed while syncing`);
        return undefined;
      },
      () => new Error(`${this.name}: no sync answer on ${conn.server.name} within ${WAIT_MS} ms`),
      WAIT_MS,
    );
  }

  chat(chat) {
    if (!this.have.has(chat)) {
      this.have.set(chat, new Map());
      this.seen.set(chat, new Set());
      this.base.set(chat, 0);
    }
    return this.have.get(chat);
  }

  keep(m, how) {
    const entry = { change: m.change_seq, cmid: m.client_message_id, sender: m.sender_id, how, at: Date.now() };
    this.chat(m.chat_id).set(m.id, entry);
    this.byCmid.set(m.client_message_id, entry);
    this.seen.get(m.chat_id).add(m.change_seq);
  }

  receive(conn, ev) {
    const where = `${this.name} on ${conn.server.name}`;
    switch (ev.type) {
      case 'new_message': {
        const m = ev.data;
        const had = this.chat(m.chat_id).get(m.id);
        if (had) {
          const s = this.allSends.get(m.client_message_id);
          const last = conn.syncs.at(-1);
          const entry = last?.data.chats?.find((c) => c.chat_id === m.chat_id);
          this.problems.push(
            `${where}: message ${m.id} (change ${m.change_seq} of chat ${m.chat_id}, ${m.client_message_id}, sent through ` +
              `${s?.via}) arrived live again (had it from ${had.how}, ${Date.now() - had.at} ms before; the last sync ` +
              `answer on this connection came ${last ? Date.now() - last.at : '-'} ms before with last_change ` +
              `${entry?.last_change} for the chat)`,
          );
        } else {
          this.keep(m, `live on ${conn.server.name}`);
        }
        break;
      }
      case 'message_sent': {
        const cmid = ev.data.client_message_id;
        if (!this.sent.has(cmid)) this.problems.push(`${where}: an acknowledgement of an unknown send ${cmid}`);
        if (!this.acks.has(cmid)) this.acks.set(cmid, []);
        this.acks.get(cmid).push({ ...ev.data, at: Date.now() });
        this.pending.delete(cmid);
        this.onAck?.(ev.data);
        break;
      }
      case 'sync':
        ev.at = Date.now();
        this.applySync(conn, ev);
        conn.syncs.push(ev);
        break;
      case 'error': {
        const action = ev.data.action;
        if (action === 'sync') {
          // The answer to the oldest sync in flight: sync() rejects with it.
          ev.at = Date.now();
          conn.cursorsSent.shift();
          conn.syncs.push(ev);
        }
        if (!this.tolerate.has(action)) {
          this.problems.push(`${where}: error frame ${JSON.stringify(ev.data)}`);
        } else if (action === 'send_message') {
          this.sendErrors.push({ at: Date.now(), on: conn.server.name, data: ev.data });
        }
        break;
      }
      default:
        break;
    }
  }

  applySync(conn, ev) {
    const where = `${this.name} on ${conn.server.name}`;
    const cursors = conn.cursorsSent.shift() ?? {};
    for (const entry of ev.data.chats) {
      const chat = entry.chat_id;
      const known = chat in cursors;
      if (entry.resync_required) this.problems.push(`${where}: resync_required for chat ${chat}`);
      const have = this.chat(chat);
      for (const m of entry.messages) {
        if (known && m.change_seq <= cursors[chat]) {
          this.problems.push(`${where}: sync of chat ${chat} from ${cursors[chat]} carried change ${m.change_seq}`);
        }
        if (have.has(m.id)) this.overlaps++;
        else this.keep(m, `sync on ${conn.server.name}`);
      }
      // The first answer for a chat: every change up to its last_change is what the device starts from.
      if (!known) this.base.set(chat, entry.last_change);
    }
  }

  /** A new send to `chatId` (transmitted now if the device is online); returns its client_message_id. */
  sendNew(chatId, label = '') {
    const n = ++this.count;
    const s = { cmid: `${this.user.username}:${n}`, chat_id: chatId, text: `${this.name} ${label}#${n}`, via: [] };
    this.sent.set(s.cmid, s);
    this.allSends.set(s.cmid, s);
    this.pending.set(s.cmid, s);
    if (this.online) this.transmit(s);
    return s.cmid;
  }

  transmit(s) {
    const now = Date.now();
    s.via.push(this.conn.server.name);
    s.firstSentAt ??= now;
    s.lastSentAt = now;
    this.conn.client.send('send_message', { chat_id: s.chat_id, text: s.text, client_message_id: s.cmid });
  }

  /** Sends again, with the same client_message_id, what stayed unacknowledged for RETRY_MS. */
  runRetries() {
    this.retries = (async () => {
      while (!this.finished) {
        await sleep(500);
        if (!this.online) continue;
        const now = Date.now();
        for (const s of [...this.pending.values()]) {
          if (now - (s.lastSentAt ?? 0) < RETRY_MS) continue;
          this.resends++;
          this.transmit(s);
        }
      }
    })();
  }

  /** Sends now and then while `traffic.on` (and until closed), at most WINDOW unacknowledged, only while online. */
  runTraffic(chats, traffic) {
    this.traffic = (async () => {
      while (traffic.on && !this.finished) {
        if (this.online && this.pending.size < WINDOW) this.sendNew(chats[Math.floor(Math.random() * chats.length)]);
        await sleep(SEND_EVERY_MS * (0.5 + Math.random()));
      }
    })();
  }

  /**
   * Resumes on `place()` (asked again at each of up to five attempts): opens a connection there, syncs from
   * the device's cursors, sends again what was never acknowledged (resendPending), and goes online.
   */
  async resume(place) {
    const from = this.where;
    let answer;
    for (let attempt = 1; ; attempt++) {
      try {
        answer = await this.connect(place());
        break;
      } catch (err) {
        if (attempt >= 5 || this.finished) throw err;
        await sleep(200 * attempt);
      }
    }
    const replayed = answer.data.chats.reduce((n, c) => n + c.messages.length, 0);
    this.resumes.push({ from, to: this.where, replayed });
    this.resendPending();
    this.online = true;
  }

  /** After a resume: every send never acknowledged, again, with the same client_message_id. */
  resendPending() {
    for (const s of [...this.pending.values()]) {
      this.retried.add(s.cmid);
      this.transmit(s);
    }
  }

  /** Leaves its process and resumes on `server`: closes the connection, then resume(). */
  async reconnect(server) {
    this.online = false;
    this.reconnecting = true;
    const old = this.conn;
    old.client.close();
    await old.client.waitClosed(WAIT_MS);
    await this.resume(() => server);
    this.reconnecting = false;
  }

  /** The messages of `history` (one chat) the device does not have. */
  missing(chat, history) {
    const have = this.have.get(chat) ?? new Map();
    return history.filter((m) => !have.has(m.id));
  }

  /** Where the device's stream of events is now, for statusEvents(). */
  mark() {
    return { connection: this.connections.length - 1, event: this.conn.client.events.length };
  }

  /** user_status events about `userId` on every connection of the device, or only those after `since` (a mark()). */
  statusEvents(userId, status, since = { connection: 0, event: 0 }) {
    const out = [];
    this.connections.forEach((c, i) => {
      if (i < since.connection) return;
      const events = i === since.connection ? c.client.events.slice(since.event) : c.client.events;
      for (const e of events) {
        if (e.type === 'user_status' && e.data.user_id === userId && e.data.status === status) out.push(e);
      }
    });
    return out;
  }

  close() {
    this.finished = true;
    for (const c of this.connections) if (!c.client.closed) c.client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The checks at the end, once every send is acknowledged

/** Chat -> the devices that have it, for every chat of `devices` but those in `except`. */
export function membersByChat(devices, except = []) {
  const out = new Map();
  for (const d of devices) {
    for (const chat of d.have.keys()) {
      if (except.includes(chat)) continue;
      if (!out.has(chat)) out.set(chat, []);
      out.get(chat).push(d);
    }
  }
  return out;
}

/** Chat -> Map(cmid -> the send, with its `device`): what the history of each chat must hold. */
export function sendsByChat(devices) {
  const out = new Map();
  for (const d of devices) {
    for (const s of d.sent.values()) {
      if (!out.has(s.chat_id)) out.set(s.chat_id, new Map());
      out.get(s.chat_id).set(s.cmid, { ...s, device: d });
    }
  }
  return out;
}

/**
 * The REST history of `chat` (as `reader`, a device name, read it) against the sends to it (sendsByChat):
 * no message twice, no client_message_id stored twice, every message one of the sends (its sender, its text),
 * and every send stored.
 */
export function assertHistory(chat, history, sends = new Map(), reader = '') {
  const ids = history.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, `chat ${chat}: no message twice in ${reader ? `${reader}'s` : 'the'} history`);
  const cmids = history.map((m) => m.client_message_id);
  assert.equal(new Set(cmids).size, cmids.length, `chat ${chat}: no client_message_id stored twice`);
  for (const m of history) {
    const s = sends.get(m.client_message_id);
    assert.ok(s, `chat ${chat}: message ${m.id} (${m.client_message_id}) is one the test sent`);
    assert.equal(m.sender_id, s.device.user.id, `message ${m.id}: its sender`);
    assert.equal(m.text, s.text, `message ${m.id}: its text`);
  }
  assert.equal(history.length, sends.size, `chat ${chat}: every send stored, once${reader ? ` (${reader})` : ''}`);
}

/**
 * Every send of `devices` is stored (`histories`: chat -> REST history), and each of its acknowledgements
 * names the message it is stored under, in its chat. `expectAcks(d, s, acks)` first asserts which
 * acknowledgements the test expects of the send. Returns {stored: cmid -> message, acknowledged: sends}.
 */
export function assertAcknowledged(devices, histories, expectAcks) {
  const stored = new Map([...histories.values()].flat().map((m) => [m.client_message_id, m]));
  let acknowledged = 0;
  for (const d of devices) {
    for (const s of d.sent.values()) {
      const acks = d.acks.get(s.cmid) ?? [];
      expectAcks(d, s, acks);
      const m = stored.get(s.cmid);
      assert.ok(m, `${d.name}: acknowledged ${s.cmid} is stored`);
      for (const ack of acks) {
        assert.equal(ack.id, m.id, `${d.name}: ${s.cmid} acknowledged with the id it is stored under`);
        assert.equal(ack.chat_id, s.chat_id);
      }
      acknowledged++;
    }
  }
  return { stored, acknowledged };
}

/** Every device has exactly the messages of the history of each of its chats (`chats`: from membersByChat). */
export function assertHaveHistories(chats, histories) {
  for (const [chat, members] of chats) {
    const ids = sorted(histories.get(chat).map((m) => m.id));
    for (const d of members) {
      assert.deepEqual(sorted(d.have.get(chat).keys()), ids, `${d.name} has exactly the history of chat ${chat}`);
    }
  }
}
