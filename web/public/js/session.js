// The signed-in session: the token, the REST client, the socket (its frames go to state.js's handlers), the
// resume request, the chat list refresh, and what we tell the server about ourselves (read positions, typing).

import { Api, ApiError } from './api.js';
import { ChatSocket } from './socket.js';
import { emit, handleFrame, hooks, mergeChatList, resetState, state } from './state.js';

const TOKEN_KEY = 'windi.token';
const ME_KEY = 'windi.me';
const EXPIRED = 'Your session has expired. Sign in again.';

state.token = localStorage.getItem(TOKEN_KEY);
state.me = readJson(localStorage.getItem(ME_KEY));

export const api = new Api({ getToken: () => state.token, onUnauthorized: () => signOut(EXPIRED) });

export const socket = new ChatSocket({
  getToken: () => state.token,
  preflight: async () => {
    try {
      setMe(await api.me());
      return 'ok';
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return 'unauthorized';
      return 'unreachable';
    }
  },
  onState: (connState, info) => emit('connection', connState, info),
  onReady: () => sendSync(),
  onFrame: handleFrame,
  onUnauthorized: () => signOut(EXPIRED),
});

function readJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export function isSignedIn() {
  return !!state.token;
}

export function setMe(me) {
  state.me = me;
  localStorage.setItem(ME_KEY, JSON.stringify(me));
  emit('me');
}

export function signIn(token, me) {
  state.token = token;
  localStorage.setItem(TOKEN_KEY, token);
  setMe(me);
  emit('signed-in');
}

/** `message`: why the session ended by itself (expired, revoked); none when the user signed out, which also
 * revokes the token on the server so that a copy of it is worth nothing. */
export function signOut(message) {
  if (!message && state.token) api.revoke(state.token);
  socket.stop();
  state.token = null;
  state.me = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
  resetState();
  emit('signed-out', message);
}

/** Signed out (or in as someone else) in another tab. */
export function tokenChangedElsewhere(key, value) {
  return key === TOKEN_KEY && value !== state.token;
}

/** GET /chats/ and merge it into the state. False when it failed. */
export async function refreshChats() {
  let list;
  try {
    list = await api.chats();
  } catch (err) {
    if (err.status !== 401) emit('notice', err.message);
    return false;
  }
  mergeChatList(list);
  return true;
}

let refreshTimer = null;
function scheduleChatRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refreshChats(), 150);
}

/** Resume: per chat, the last change number applied (and, for servers without them, the last seq seen). */
function resync() {
  const chats = {};
  for (const [id, seq] of state.seen) chats[String(id)] = seq;
  const changes = {};
  for (const [id, n] of state.changes) changes[String(id)] = n;
  socket.send('sync', { chats, changes });
}

/** On a new connection: nothing was sent on it yet. */
function sendSync() {
  state.inflight = [];
  resync();
}

// ---------------------------------------------------------------------------------------------------------
// Read positions

/** The chat is on screen with its newest messages loaded (a window further back shows none of them). */
export function isChatVisible(chatId) {
  return state.openChatId === chatId && document.visibilityState === 'visible' && state.msgs.get(chatId)?.atEnd !== false;
}

const markReadTimers = new Map();
export function scheduleMarkRead(chatId) {
  if (markReadTimers.has(chatId)) return;
  markReadTimers.set(
    chatId,
    setTimeout(() => {
      markReadTimers.delete(chatId);
      markRead(chatId);
    }, 120),
  );
}

/** Moves our read position to the newest message of the chat, when the chat is open and visible. */
function markRead(chatId) {
  if (!isChatVisible(chatId)) return;
  const chat = state.chats.get(chatId);
  if (!chat) return;
  const entry = state.msgs.get(chatId);
  let newest = chat.last_message;
  if (entry?.loaded) {
    for (const m of entry.byId.values()) if (!newest || m.seq > newest.seq) newest = m;
  }
  if (!newest) return;
  const hadUnread = chat.unread_count > 0;
  chat.unread_count = 0;
  if (newest.seq <= (chat.last_read_seq || 0)) {
    if (hadUnread) emit('chats');
    return;
  }
  chat.last_read_seq = newest.seq;
  const mine = chat.members.find((x) => x.id === state.me?.id);
  if (mine) mine.last_read_seq = Math.max(mine.last_read_seq || 0, newest.seq);
  if (!socket.send('mark_read', { chat_id: chatId, message_id: newest.id })) {
    api.markRead(chatId, newest.id).catch(() => {
      // the position is sent again with the next sync or message
    });
  }
  emit('chats');
}

// ---------------------------------------------------------------------------------------------------------
// Typing

export function sendTyping(chatId, isTyping) {
  return socket.send('typing', { chat_id: chatId, is_typing: isTyping });
}

Object.assign(hooks, {
  resync,
  refreshChats: scheduleChatRefresh,
  markReadSoon: scheduleMarkRead,
  isChatVisible,
});
