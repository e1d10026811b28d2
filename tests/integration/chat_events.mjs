// Helpers for the chat-events tests (message edits, deletes, replies, reactions, membership events, change
// numbers, resume by change number): the new routes as small functions over the harness's Api, assertions on
// the message JSON, and a client-side model that applies live events and sync answers the way an app would.

import assert from 'node:assert/strict';
import { expectStatus } from './harness.mjs';

export const ABSENT_ID = 2_000_000_000;
export const MESSAGE_NOT_FOUND = { detail: 'Message not found' };
export const MESSAGE_DELETED = { detail: 'Message was deleted' };
export const CHAT_NOT_FOUND = { detail: 'Chat not found' };

// ---------------------------------------------------------------------------------------------------------
// Routes

export const messagePath = (id) => `/api/v1/messages/${id}`;
/** The reaction route with the emoji URL-encoded (UTF-8, percent-encoded), as a client builds it. */
export const reactionPath = (id, emoji) => `/api/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`;

export const editMessage = (api, user, id, text) =>
  api.request('PATCH', messagePath(id), { token: user.token, json: { text } });
export const deleteMessage = (api, user, id) => api.request('DELETE', messagePath(id), { token: user.token });
export const react = (api, user, id, emoji) => api.request('PUT', reactionPath(id, emoji), { token: user.token });
export const unreact = (api, user, id, emoji) => api.request('DELETE', reactionPath(id, emoji), { token: user.token });
export const renameChat = (api, user, chatId, name) =>
  api.request('PATCH', `/api/v1/chats/${chatId}`, { token: user.token, json: { name } });
export const postMessage = (api, user, json) => api.post('/api/v1/messages', { token: user.token, json });

/** The happy paths, asserting the status, resolving with the body. */
export async function edited(api, user, id, text) {
  const res = await editMessage(api, user, id, text);
  expectStatus(res, 200, `edit message ${id}`);
  return res.body;
}
export async function deleted(api, user, id) {
  const res = await deleteMessage(api, user, id);
  expectStatus(res, 200, `delete message ${id}`);
  return res.body;
}
export async function reacted(api, user, id, emoji) {
  const res = await react(api, user, id, emoji);
  expectStatus(res, 200, `react ${emoji} to message ${id}`);
  return res.body;
}
export async function unreacted(api, user, id, emoji) {
  const res = await unreact(api, user, id, emoji);
  expectStatus(res, 200, `unreact ${emoji} on message ${id}`);
  return res.body;
}
export async function renamed(api, user, chatId, name) {
  const res = await renameChat(api, user, chatId, name);
  expectStatus(res, 200, `rename chat ${chatId}`);
  return res.body;
}
export async function reply(api, user, chatId, text, replyTo, clientMessageId) {
  const json = { chat_id: chatId, text, reply_to: replyTo };
  if (clientMessageId !== undefined) json.client_message_id = clientMessageId;
  const res = await postMessage(api, user, json);
  expectStatus(res, 201, `reply to ${replyTo}`);
  return res.body;
}
export async function getChat(api, user, chatId) {
  const res = await api.get(`/api/v1/chats/${chatId}`, { token: user.token });
  expectStatus(res, 200, `GET chat ${chatId}`);
  return res.body;
}
export async function addMember(api, admin, chatId, user) {
  const res = await api.post(`/api/v1/chats/${chatId}/members`, { token: admin.token, json: { user_id: user.id } });
  expectStatus(res, 200, `add ${user.username} to ${chatId}`);
  return res.body;
}
export async function removeMember(api, admin, chatId, user) {
  const res = await api.delete(`/api/v1/chats/${chatId}/members/${user.id}`, { token: admin.token });
  expectStatus(res, 200, `remove ${user.username} from ${chatId}`);
  return res.body;
}

/** Every message of a chat, oldest first (walks forward by seq). */
export async function fullHistory(api, user, chatId) {
  const out = [];
  let after = 0;
  for (let rounds = 0; rounds < 1000; rounds++) {
    const page = await api.history(user, chatId, { limit: 100, after_seq: after });
    out.push(...page);
    if (page.length < 100) return out;
    after = page[page.length - 1].seq;
  }
  throw new Error('history walk did not end');
}

// ---------------------------------------------------------------------------------------------------------
// Assertions

export function assertValidation(res, location, field, what = '') {
  assert.equal(res.status, 422, `${what}: ${res.text}`);
  assert.ok(Array.isArray(res.body?.detail), `${what}: 422 detail is a list: ${res.text}`);
  for (const item of res.body.detail) {
    assert.equal(typeof item.msg, 'string', res.text);
    assert.equal(typeof item.type, 'string', res.text);
    assert.ok(Array.isArray(item.loc), res.text);
  }
  if (location) {
    assert.ok(
      res.body.detail.some((d) => d.loc[0] === location && (field === undefined || d.loc.includes(field))),
      `${what}: a detail with loc [${location}, ${field}]: ${res.text}`,
    );
  }
}

export function assertStatus(res, status, body, what = '') {
  assert.equal(res.status, status, `${what}: ${res.text}`);
  if (body !== undefined) assert.deepEqual(res.body, body, what);
  else assert.equal(typeof res.body?.detail, 'string', `${what}: a detail: ${res.text}`);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The message JSON of the contract: every field present with its type. */
export function assertMessageShape(m, what = 'message') {
  const text = JSON.stringify(m);
  for (const key of ['id', 'chat_id', 'seq', 'sender_id', 'change_seq']) {
    assert.ok(Number.isInteger(m?.[key]), `${what}: ${key} is an integer: ${text}`);
  }
  assert.ok(m.change_seq >= 1, `${what}: change_seq >= 1: ${text}`);
  assert.equal(typeof m.sender_username, 'string', `${what}: sender_username: ${text}`);
  assert.match(m.timestamp, ISO, `${what}: timestamp`);
  assert.equal(typeof m.deleted, 'boolean', `${what}: deleted is a boolean: ${text}`);
  assert.ok('edited_at' in m, `${what}: has edited_at: ${text}`);
  if (m.edited_at !== null) assert.match(m.edited_at, ISO, `${what}: edited_at`);
  assert.ok('reply_to' in m, `${what}: has reply_to: ${text}`);
  assert.ok(Array.isArray(m.reactions), `${what}: reactions is a list: ${text}`);
  assert.ok('client_message_id' in m, `${what}: has client_message_id: ${text}`);
  if (m.deleted) {
    assert.equal(m.text, null, `${what}: a tombstone has no text`);
    assert.deepEqual(m.reactions, [], `${what}: a tombstone has no reactions`);
    assert.equal(m.reply_to, null, `${what}: a tombstone replies to nothing`);
  } else {
    assert.equal(typeof m.text, 'string', `${what}: text: ${text}`);
  }
}

/** The parts of a message every viewer sees alike at any time (read state moves on without a change number). */
export function stable(m) {
  if (!m) return m;
  const { is_read, read_by, ...rest } = m;
  return rest;
}

/** A map id -> stable message, for comparing states. */
export function byId(messages) {
  return new Map([...messages].map((m) => [m.id, stable(m)]).sort((a, b) => a[0] - b[0]));
}

export function assertSameState(actual, expected, what) {
  const a = [...actual.values()].map(stable).sort((x, y) => x.id - y.id);
  const e = [...expected.values()].map(stable).sort((x, y) => x.id - y.id);
  assert.deepEqual(a, e, what);
}

// ---------------------------------------------------------------------------------------------------------
// Events

const MESSAGE_EVENTS = new Set(['new_message', 'message_edited', 'message_deleted']);

/** The chat an event belongs to, or undefined. */
export function chatOf(ev) {
  const d = ev?.data;
  if (!d || typeof d !== 'object') return undefined;
  if (Number.isInteger(d.chat_id)) return d.chat_id;
  if (d.chat && Number.isInteger(d.chat.id)) return d.chat.id;
  return undefined;
}

export const eventsOf = (client, chatId, from = 0) => client.events.slice(from).filter((e) => chatOf(e) === chatId);

/** The change numbers a client saw for a chat, in arrival order (events that carry one). */
export function changeSeqsSeen(client, chatId) {
  const out = [];
  for (const e of eventsOf(client, chatId)) {
    if (e.type === 'message_sent') continue; // the ack repeats the new_message this connection also gets
    if (MESSAGE_EVENTS.has(e.type)) out.push(e.data.change_seq);
    else if (Number.isInteger(e.data.change_seq)) out.push(e.data.change_seq);
  }
  return out;
}

/** Applies one message (from an event or a sync answer) as an upsert by id, keeping the newer change. */
export function upsert(state, message) {
  const old = state.get(message.id);
  if (!old || message.change_seq >= old.change_seq) state.set(message.id, stable(message));
}

/** Applies a live event of `chatId` to a client-side state (a Map id -> message). */
export function applyEvent(state, ev, chatId) {
  if (chatOf(ev) !== chatId) return;
  if (MESSAGE_EVENTS.has(ev.type)) upsert(state, ev.data);
  else if (ev.type === 'reaction_changed') {
    const old = state.get(ev.data.message_id);
    if (old && ev.data.change_seq >= old.change_seq) {
      state.set(old.id, { ...old, reactions: ev.data.reactions, change_seq: ev.data.change_seq });
    }
  }
}

/** The state a connection built from its live events of `chatId` (from event index `from`). */
export function stateFromEvents(client, chatId, from = 0, state = new Map()) {
  for (const ev of client.events.slice(from)) applyEvent(state, ev, chatId);
  return state;
}

/** The highest change number a connection saw for a chat (events and sync answers), or `start`. */
export function lastChangeSeen(client, chatId, start = 0) {
  let last = start;
  for (const e of client.events) {
    if (e.type === 'sync') {
      const entry = e.data.chats?.find((c) => c.chat_id === chatId);
      if (entry && Number.isInteger(entry.last_change)) last = Math.max(last, entry.last_change);
    } else if (chatOf(e) === chatId) {
      if (Number.isInteger(e.data.change_seq)) last = Math.max(last, e.data.change_seq);
      if (e.type === 'chat_created' && Number.isInteger(e.data.chat?.last_change)) {
        last = Math.max(last, e.data.chat.last_change);
      }
    }
  }
  return last;
}

/**
 * A barrier instead of a sleep: sends a message to `chatId` over REST and waits until every client got it.
 * Events published before it (on the same server process) have been delivered by then.
 */
export async function barrier(api, sender, chatId, clients, text = `barrier ${Math.random()}`) {
  const m = await api.send(sender, chatId, text);
  await Promise.all(
    clients.map((c) => c.waitFor((e) => e.type === 'new_message' && e.data.id === m.id, `barrier message ${m.id}`)),
  );
  return m;
}

/** Waits for the next event of `type` about `messageId` (e.g. message_edited), from index `from`. */
export function waitMessageEvent(client, type, messageId, what, { from = 0, match = () => true, timeoutMs } = {}) {
  const idOf = (e) => (type === 'reaction_changed' ? e.data.message_id : e.data.id);
  return client.waitFor(
    (e) => client.events.indexOf(e) >= from && e.type === type && idOf(e) === messageId && match(e),
    what ?? `${type} for message ${messageId}`,
    timeoutMs,
  );
}

/** Waits for the error frame answering `action` (from event index `from`). */
export function waitError(client, action, from = 0, what = `error for ${action}`) {
  return client.waitFor(
    (e) => client.events.indexOf(e) >= from && e.type === 'error' && e.data.action === action,
    what,
  );
}

/** Sends a sync frame and resolves with the next sync answer on this connection. */
export async function syncOnce(client, data, what = 'sync') {
  const from = client.events.length;
  client.send('sync', data);
  return client.waitFor((e) => client.events.indexOf(e) >= from && e.type === 'sync', what, 10_000);
}

export const entryOf = (sync, chatId) => sync.data.chats.find((c) => c.chat_id === chatId);
