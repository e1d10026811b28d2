// What we send. Messages go out over the socket with a client_message_id, shown at once as "sending", kept
// while offline and sent again after a reconnect (the server deduplicates by that id). Edits, deletions and
// reactions go over the socket when it is up (their events come back to every member, us included), else
// over REST (whose answer is applied like the event).

import { api, socket } from './session.js';
import { applyMessage, emit, hooks, quoteText, reactedByMe, state } from './state.js';

export const MAX_MESSAGE_CHARS = 4096;

/**
 * `replyTo`: the message answered, or null. `attachments`: files already uploaded (as POST /files answered
 * them), shown with the pending message until the stored one replaces it; the text may then be empty.
 */
export function sendMessage(chatId, text, replyTo = null, attachments = []) {
  if (!chatId || !state.me) return;
  const p = {
    client_message_id: crypto.randomUUID(),
    chat_id: chatId,
    text,
    attachments,
    timestamp: new Date().toISOString(),
    status: 'queued',
    error: null,
    reply_to: replyTo
      ? { id: replyTo.id, sender_id: replyTo.sender_id, sender_username: replyTo.sender_username, text: quoteText(replyTo.text), deleted: false }
      : null,
  };
  state.pending.set(p.client_message_id, p);
  flushPending();
  emit('messages', chatId, { toBottom: true });
}

export function flushPending() {
  if (!socket.isReady || !state.synced) return;
  for (const p of state.pending.values()) {
    if (p.status !== 'queued') continue;
    if (!state.chats.has(p.chat_id)) continue;
    const data = { chat_id: p.chat_id, text: p.text, client_message_id: p.client_message_id };
    if (p.reply_to) data.reply_to = p.reply_to.id;
    if (p.attachments?.length) data.attachments = p.attachments.map((a) => a.id);
    if (!socket.send('send_message', data)) break;
    p.status = 'sending';
    state.inflight.push(p.client_message_id);
  }
}

export function retryPending(id) {
  const p = state.pending.get(id);
  if (!p) return;
  p.status = 'queued';
  p.error = null;
  flushPending();
  emit('messages', p.chat_id);
}

export function discardPending(id) {
  const p = state.pending.get(id);
  if (!p) return;
  state.pending.delete(id);
  emit('messages', p.chat_id);
}

/** One change to a message: the socket action if connected, else the REST call (its answer applied). */
async function change(action, data, viaRest) {
  if (socket.isReady && state.synced && socket.send(action, data)) return;
  try {
    applyMessage(await viaRest());
  } catch (err) {
    emit('notice', err.message);
  }
}

export function editMessage(m, text) {
  if (text === m.text) return;
  change('edit_message', { message_id: m.id, text }, () => api.editMessage(m.id, text));
}

export function deleteMessage(m) {
  change('delete_message', { message_id: m.id }, () => api.deleteMessage(m.id));
}

/** Adds my reaction, or takes it back when I already reacted with that emoji. */
export function toggleReaction(m, emoji) {
  const r = (m.reactions || []).find((x) => x.emoji === emoji);
  if (r && reactedByMe(m.id, r)) change('unreact', { message_id: m.id, emoji }, () => api.unreact(m.id, emoji));
  else change('react', { message_id: m.id, emoji }, () => api.react(m.id, emoji));
}

hooks.flushOutbox = flushPending;
