// WinDI Messenger web app: state, the socket's events, and rendering. No framework; every user-supplied
// string reaches the page through textContent (see dom.js).

import { Api, ApiError } from './api.js';
import { ChatSocket } from './socket.js';
import {
  $,
  avatar,
  clear,
  dayKey,
  formatDay,
  formatLastSeen,
  formatListTime,
  formatTime,
  h,
  setText,
} from './dom.js';

const TOKEN_KEY = 'windi.token';
const ME_KEY = 'windi.me';
const PAGE_SIZE = 30;
const MAX_MESSAGE_CHARS = 4096;
const TYPING_RESEND_MS = 3000; // the server's indicator lasts 6 s; refresh it well before
const TYPING_IDLE_MS = 4000; // stop "typing" after this long without a keystroke

// ---------------------------------------------------------------------------------------------------------
// State

const state = {
  token: localStorage.getItem(TOKEN_KEY),
  me: readJson(localStorage.getItem(ME_KEY)),
  chats: new Map(), // id -> chat summary (as GET /chats/ gives it)
  msgs: new Map(), // chat id -> {byId: Map<id, message>, loaded, loading, hasMore, loadingOlder}
  pending: new Map(), // client_message_id -> {client_message_id, chat_id, text, timestamp, status, error}
  inflight: [], // client_message_ids sent on the current socket, awaiting message_sent or error (in order)
  seen: new Map(), // chat id -> highest seq seen (for sync)
  online: new Set(),
  lastSeen: new Map(), // user id -> ISO time
  typing: new Map(), // chat id -> Map<user id, {username, timer}>
  openChatId: null,
  filter: '',
  synced: false,
};

const api = new Api({ getToken: () => state.token, onUnauthorized: () => logout('Your session has expired. Sign in again.') });

const socket = new ChatSocket({
  getToken: () => state.token,
  preflight: async () => {
    try {
      const me = await api.me();
      setMe(me);
      return 'ok';
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return 'unauthorized';
      return 'unreachable';
    }
  },
  onState: renderConnection,
  onReady: () => sendSync(),
  onFrame: (frame) => handleFrame(frame),
  onUnauthorized: () => logout('Your session has expired. Sign in again.'),
});

function readJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function setMe(me) {
  state.me = me;
  localStorage.setItem(ME_KEY, JSON.stringify(me));
  renderMe();
}

// ---------------------------------------------------------------------------------------------------------
// Auth

function showAuth(message) {
  $('#app-screen').hidden = true;
  $('#auth-screen').hidden = false;
  showAuthTab('login');
  const error = $('[data-testid="auth-error"]');
  error.hidden = !message;
  error.textContent = message || '';
  setTimeout(() => $('[data-testid="login-username"]').focus(), 0);
}

function showAuthTab(which) {
  $('#login-form').hidden = which !== 'login';
  $('#register-form').hidden = which !== 'register';
  $('#tab-login').classList.toggle('active', which === 'login');
  $('#tab-register').classList.toggle('active', which === 'register');
  $('#tab-login').setAttribute('aria-selected', String(which === 'login'));
  $('#tab-register').setAttribute('aria-selected', String(which === 'register'));
}

function setFormError(el, message) {
  el.hidden = !message;
  el.textContent = message || '';
}

async function withBusy(button, fn) {
  button.disabled = true;
  button.classList.add('busy');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
  }
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $('[data-testid="auth-error"]', form);
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) return setFormError(error, 'Enter your username and password.');
  setFormError(error, '');
  await withBusy($('[type=submit]', form), async () => {
    try {
      const res = await api.login(username, password);
      form.reset();
      signedIn(res.access_token, res.user);
    } catch (err) {
      setFormError(error, err.status === 401 ? 'Wrong username or password.' : err.message);
    }
  });
}

async function onRegister(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $('[data-testid="register-error"]', form);
  const username = form.username.value.trim();
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(username))
    return setFormError(error, "Username: 3 to 32 letters, digits, '_', '.' or '-'.");
  if (!email.includes('@')) return setFormError(error, 'Enter a valid email address.');
  if ([...password].length < 6) return setFormError(error, 'Password must be at least 6 characters long.');
  setFormError(error, '');
  await withBusy($('[type=submit]', form), async () => {
    try {
      await api.register(username, email, password);
      const res = await api.login(username, password);
      form.reset();
      signedIn(res.access_token, res.user);
    } catch (err) {
      setFormError(error, err.message);
    }
  });
}

function signedIn(token, me) {
  state.token = token;
  localStorage.setItem(TOKEN_KEY, token);
  setMe(me);
  startApp();
}

function resetState() {
  for (const typers of state.typing.values()) for (const t of typers.values()) clearTimeout(t.timer);
  Object.assign(state, {
    chats: new Map(),
    msgs: new Map(),
    pending: new Map(),
    inflight: [],
    seen: new Map(),
    online: new Set(),
    lastSeen: new Map(),
    typing: new Map(),
    openChatId: null,
    filter: '',
    synced: false,
  });
  stopTyping();
}

function logout(message) {
  socket.stop();
  state.token = null;
  state.me = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
  resetState();
  if (location.hash) history.replaceState(null, '', location.pathname);
  clear($('#chat-list'));
  showAuth(message);
}

// ---------------------------------------------------------------------------------------------------------
// Start-up

async function startApp() {
  $('#auth-screen').hidden = true;
  $('#app-screen').hidden = false;
  renderMe();
  renderConnection('connecting');
  await refreshChats();
  if (!state.token) return; // the token was refused: back on the sign-in screen
  route();
  socket.start();
}

/** GET /chats/ and merge: what the server says wins, unless the socket already brought something newer. */
async function refreshChats() {
  let list;
  try {
    list = await api.chats();
  } catch (err) {
    if (err.status !== 401) toast(err.message);
    return false;
  }
  const fresh = new Map();
  for (const c of list) {
    const old = state.chats.get(c.id);
    if (old && old.last_seq > c.last_seq) {
      Object.assign(c, {
        last_seq: old.last_seq,
        last_message: old.last_message,
        last_activity_at: old.last_activity_at,
        unread_count: old.unread_count,
      });
    }
    fresh.set(c.id, c);
    noteSeen(c.id, c.last_seq);
  }
  state.chats = fresh;
  if (state.openChatId && !fresh.has(state.openChatId)) navigate(null);
  renderChatList();
  renderChatHeader();
  return true;
}

function noteSeen(chatId, seq) {
  if ((state.seen.get(chatId) || 0) < seq) state.seen.set(chatId, seq);
}

// ---------------------------------------------------------------------------------------------------------
// Socket events

function sendSync() {
  state.inflight = [];
  const chats = {};
  for (const [id, seq] of state.seen) chats[String(id)] = seq;
  socket.send('sync', { chats });
}

function handleFrame({ type, data }) {
  switch (type) {
    case 'new_message':
      ingestMessage(data, { live: true });
      break;
    case 'message_sent':
      onMessageSent(data);
      break;
    case 'message_read':
      onMessageRead(data);
      break;
    case 'typing_indicator':
      onTyping(data);
      break;
    case 'user_status':
      onUserStatus(data);
      break;
    case 'sync':
      onSync(data);
      break;
    case 'error':
      onSocketError(data);
      break;
    default:
      break;
  }
}

function msgEntry(chatId) {
  let entry = state.msgs.get(chatId);
  if (!entry) {
    entry = { byId: new Map(), loaded: false, loading: false, hasMore: true, loadingOlder: false };
    state.msgs.set(chatId, entry);
  }
  return entry;
}

/**
 * One message from anywhere (live event, sync replay, history page). Deduplicated by id; replaces the
 * optimistic copy with the same client_message_id.
 */
function ingestMessage(m, { live = false, render = true } = {}) {
  if (m.client_message_id && state.me && m.sender_id === state.me.id && state.pending.has(m.client_message_id)) {
    state.pending.delete(m.client_message_id);
    state.inflight = state.inflight.filter((id) => id !== m.client_message_id);
  }
  const chat = state.chats.get(m.chat_id);
  if (!chat) {
    // A chat we did not know: someone started it with us, or added us to a group.
    noteSeen(m.chat_id, 0);
    scheduleChatRefresh();
    return;
  }
  const isNew = m.seq > (chat.last_seq || 0);
  noteSeen(m.chat_id, m.seq);
  if (isNew || !chat.last_message || chat.last_message.seq <= m.seq) {
    chat.last_seq = Math.max(chat.last_seq || 0, m.seq);
    chat.last_message = m;
    if (!chat.last_activity_at || m.timestamp > chat.last_activity_at) chat.last_activity_at = m.timestamp;
  }
  const entry = state.msgs.get(m.chat_id);
  if (entry && (entry.loaded || entry.loading)) {
    entry.byId.set(m.id, m);
    if (entry.loaded) fillGaps(m.chat_id);
  }
  const fromOther = !state.me || m.sender_id !== state.me.id;
  if (live && fromOther) clearTyping(m.chat_id, m.sender_id);
  if (isNew && fromOther && m.seq > (chat.last_read_seq || 0)) {
    if (isChatVisible(m.chat_id)) scheduleMarkRead(m.chat_id);
    else chat.unread_count = (chat.unread_count || 0) + 1;
  }
  if (isNew && !fromOther) {
    // Our own message (from this or another device) means we have read everything before it.
    chat.last_read_seq = Math.max(chat.last_read_seq || 0, m.seq);
    chat.unread_count = 0;
    const mine = chat.members.find((x) => x.id === state.me.id);
    if (mine) mine.last_read_seq = Math.max(mine.last_read_seq || 0, m.seq);
  }
  if (render) {
    renderChatList();
    if (state.openChatId === m.chat_id) renderMessages();
  }
}

function onMessageSent(m) {
  state.inflight = state.inflight.filter((id) => id !== m.client_message_id);
  ingestMessage(m, { live: false });
}

function onSocketError(data) {
  if (data.action === 'send_message') {
    // Frames are handled in order on one connection: the oldest unanswered send is the one that failed.
    const id = state.inflight.shift();
    const p = id && state.pending.get(id);
    if (p) {
      p.status = 'failed';
      p.error = data.detail || 'Not sent';
      if (state.openChatId === p.chat_id) renderMessages();
    }
  } else if (data.action === 'sync') {
    scheduleChatRefresh();
  }
}

function onMessageRead({ chat_id, user_id, last_read_seq }) {
  const chat = state.chats.get(chat_id);
  if (!chat) return;
  const member = chat.members.find((x) => x.id === user_id);
  if (member) member.last_read_seq = Math.max(member.last_read_seq || 0, last_read_seq);
  if (state.me && user_id === state.me.id) {
    chat.last_read_seq = Math.max(chat.last_read_seq || 0, last_read_seq);
    if (chat.last_read_seq >= chat.last_seq) chat.unread_count = 0;
    renderChatList();
  }
  if (state.openChatId === chat_id) renderMessages();
  else renderChatList();
}

function onTyping({ chat_id, user_id, username, is_typing, expires_in_ms }) {
  if (state.me && user_id === state.me.id) return;
  if (!is_typing) return clearTyping(chat_id, user_id);
  let typers = state.typing.get(chat_id);
  if (!typers) state.typing.set(chat_id, (typers = new Map()));
  const old = typers.get(user_id);
  if (old) clearTimeout(old.timer);
  typers.set(user_id, {
    username,
    timer: setTimeout(() => clearTyping(chat_id, user_id), Math.max(1000, expires_in_ms || 6000)),
  });
  renderTyping();
  renderChatList();
}

function clearTyping(chatId, userId) {
  const typers = state.typing.get(chatId);
  const t = typers && typers.get(userId);
  if (!t) return;
  clearTimeout(t.timer);
  typers.delete(userId);
  renderTyping();
  renderChatList();
}

function onUserStatus({ user_id, status, last_seen }) {
  if (status === 'online') state.online.add(user_id);
  else state.online.delete(user_id);
  if (last_seen) state.lastSeen.set(user_id, last_seen);
  if (status === 'offline') for (const chatId of state.typing.keys()) clearTyping(chatId, user_id);
  renderChatList();
  renderChatHeader();
}

function onSync({ chats, online_user_ids }) {
  state.online = new Set(online_user_ids || []);
  let unknown = false;
  const present = new Set();
  for (const entry of chats || []) {
    present.add(entry.chat_id);
    const chat = state.chats.get(entry.chat_id);
    if (!chat) {
      unknown = true;
      continue;
    }
    chat.members = entry.members || chat.members;
    if (entry.resync_required) {
      // Too much was missed to replay: reload this chat's history from REST.
      state.msgs.delete(entry.chat_id);
      chat.last_seq = entry.last_seq;
      noteSeen(entry.chat_id, entry.last_seq);
      unknown = true; // refresh the preview too
      if (state.openChatId === entry.chat_id) loadLatest(entry.chat_id);
    } else {
      for (const m of entry.messages || []) ingestMessage(m, { live: false, render: false });
    }
    chat.last_seq = Math.max(chat.last_seq || 0, entry.last_seq);
    chat.last_read_seq = entry.last_read_seq;
    chat.unread_count = entry.unread_count;
    if (isChatVisible(entry.chat_id)) scheduleMarkRead(entry.chat_id);
  }
  // Chats we are no longer a member of.
  for (const id of [...state.chats.keys()]) {
    if (!present.has(id)) {
      state.chats.delete(id);
      state.msgs.delete(id);
      if (state.openChatId === id) navigate(null);
    }
  }
  state.synced = true;
  if (unknown) scheduleChatRefresh();
  // Whatever was written while offline (or sent but never acknowledged) goes out now; the server
  // deduplicates by client_message_id, so a resend never doubles a message.
  for (const p of state.pending.values()) if (p.status === 'sending') p.status = 'queued';
  flushPending();
  renderChatList();
  renderChatHeader();
  if (state.openChatId) {
    if (!state.msgs.get(state.openChatId)?.loaded) loadLatest(state.openChatId);
    renderMessages();
  }
}

let refreshTimer = null;
function scheduleChatRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refreshChats(), 150);
}

// ---------------------------------------------------------------------------------------------------------
// History

async function loadLatest(chatId) {
  const entry = msgEntry(chatId);
  if (entry.loading) return;
  entry.loading = true;
  entry.byId = new Map();
  entry.loaded = false;
  renderHistoryEdge();
  try {
    const page = await api.history(chatId, { limit: PAGE_SIZE });
    for (const m of page) entry.byId.set(m.id, m);
    entry.hasMore = page.length === PAGE_SIZE && page[0].seq > 1;
    entry.loaded = true;
    for (const m of page) noteSeen(chatId, m.seq);
    fillGaps(chatId);
  } catch (err) {
    if (err.status === 404) {
      state.chats.delete(chatId);
      navigate(null);
      renderChatList();
      return;
    }
    toast(`Could not load messages: ${err.message}`);
  } finally {
    entry.loading = false;
  }
  if (state.openChatId === chatId) {
    renderMessages({ toBottom: true });
    scheduleMarkRead(chatId);
    fillViewport(chatId);
  }
}

async function loadOlder(chatId) {
  const entry = state.msgs.get(chatId);
  if (!entry || !entry.loaded || !entry.hasMore || entry.loadingOlder) return;
  const oldest = sortedMessages(entry)[0];
  if (!oldest) return;
  entry.loadingOlder = true;
  renderHistoryEdge();
  try {
    const page = await api.history(chatId, { limit: PAGE_SIZE, before_seq: oldest.seq });
    for (const m of page) entry.byId.set(m.id, m);
    entry.hasMore = page.length === PAGE_SIZE && page[0].seq > 1;
  } catch (err) {
    toast(`Could not load older messages: ${err.message}`);
  } finally {
    entry.loadingOlder = false;
  }
  if (state.openChatId === chatId) {
    renderMessages({ keepAnchor: true });
    fillViewport(chatId);
  }
}

/** Loads older pages until the list can scroll (or there is nothing older). */
function fillViewport(chatId) {
  const scroller = $('#message-scroller');
  const entry = state.msgs.get(chatId);
  if (state.openChatId !== chatId || !entry?.hasMore) return;
  if (scroller.scrollHeight <= scroller.clientHeight + 40) loadOlder(chatId);
}

const gapFills = new Set();
/** When a loaded history has a hole (a message arrived past a missing seq), fetch what is missing. */
async function fillGaps(chatId) {
  const entry = state.msgs.get(chatId);
  if (!entry?.loaded || gapFills.has(chatId)) return;
  const list = sortedMessages(entry);
  let after = null;
  for (let i = 1; i < list.length; i++) {
    if (list[i].seq !== list[i - 1].seq + 1) {
      after = list[i - 1].seq;
      break;
    }
  }
  if (after === null) return;
  gapFills.add(chatId);
  try {
    const page = await api.history(chatId, { limit: 100, after_seq: after });
    for (const m of page) entry.byId.set(m.id, m);
  } catch {
    // the next message or sync tries again
  } finally {
    gapFills.delete(chatId);
  }
  if (state.openChatId === chatId) renderMessages();
  fillGaps(chatId);
}

function sortedMessages(entry) {
  return [...entry.byId.values()].sort((a, b) => a.seq - b.seq);
}

// ---------------------------------------------------------------------------------------------------------
// Sending, typing, reading

function sendMessage(text) {
  const chatId = state.openChatId;
  if (!chatId || !state.me) return;
  const p = {
    client_message_id: crypto.randomUUID(),
    chat_id: chatId,
    text,
    timestamp: new Date().toISOString(),
    status: 'queued',
    error: null,
  };
  state.pending.set(p.client_message_id, p);
  stopTyping();
  flushPending();
  renderMessages({ toBottom: true });
}

function flushPending() {
  if (!socket.isReady || !state.synced) return;
  for (const p of state.pending.values()) {
    if (p.status !== 'queued') continue;
    if (!state.chats.has(p.chat_id)) continue;
    const ok = socket.send('send_message', { chat_id: p.chat_id, text: p.text, client_message_id: p.client_message_id });
    if (!ok) break;
    p.status = 'sending';
    state.inflight.push(p.client_message_id);
  }
}

function retryPending(id) {
  const p = state.pending.get(id);
  if (!p) return;
  p.status = 'queued';
  p.error = null;
  flushPending();
  renderMessages();
}

function discardPending(id) {
  state.pending.delete(id);
  renderMessages();
}

const typingState = { chatId: null, lastSentAt: 0, idleTimer: null };

function onComposerInput() {
  const input = $('#composer-input');
  autosize(input);
  $('#send-button').disabled = input.value.trim().length === 0;
  const chatId = state.openChatId;
  if (!chatId) return;
  if (input.value.trim().length === 0) return stopTyping();
  const now = Date.now();
  if (typingState.chatId !== chatId || now - typingState.lastSentAt > TYPING_RESEND_MS) {
    if (typingState.chatId && typingState.chatId !== chatId) stopTyping();
    if (socket.send('typing', { chat_id: chatId, is_typing: true })) {
      typingState.chatId = chatId;
      typingState.lastSentAt = now;
    }
  }
  clearTimeout(typingState.idleTimer);
  typingState.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(typingState.idleTimer);
  if (typingState.chatId) socket.send('typing', { chat_id: typingState.chatId, is_typing: false });
  typingState.chatId = null;
  typingState.lastSentAt = 0;
}

function isChatVisible(chatId) {
  return state.openChatId === chatId && document.visibilityState === 'visible' && !$('#chat-view').hidden;
}

const markReadTimers = new Map();
function scheduleMarkRead(chatId) {
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
    const list = sortedMessages(entry);
    const last = list[list.length - 1];
    if (last && (!newest || last.seq > newest.seq)) newest = last;
  }
  if (!newest) return;
  const hadUnread = chat.unread_count > 0;
  chat.unread_count = 0;
  if (newest.seq <= (chat.last_read_seq || 0)) {
    if (hadUnread) renderChatList();
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
  renderChatList();
}

// ---------------------------------------------------------------------------------------------------------
// Navigation

function navigate(chatId) {
  const target = chatId ? `#/chat/${chatId}` : '#/';
  if (location.hash !== target) location.hash = target;
  else route();
}

function route() {
  const m = /^#\/chat\/(\d+)$/.exec(location.hash);
  const id = m ? Number(m[1]) : null;
  openChat(id && state.chats.has(id) ? id : null);
}

function openChat(chatId) {
  if (state.openChatId !== chatId) {
    stopTyping();
    const input = $('#composer-input');
    input.value = '';
    onComposerInput();
  }
  const changed = state.openChatId !== chatId;
  state.openChatId = chatId;
  document.body.classList.toggle('chat-open', !!chatId);
  $('#chat-placeholder').hidden = !!chatId;
  $('#chat-view').hidden = !chatId;
  renderChatList();
  if (!chatId) return;
  $('#chat-view').dataset.chatId = String(chatId);
  renderChatHeader();
  renderTyping();
  const entry = msgEntry(chatId);
  if (changed) clear($('#message-list'));
  if (!entry.loaded) loadLatest(chatId);
  else {
    renderMessages({ toBottom: changed });
    scheduleMarkRead(chatId);
  }
  if (changed && window.matchMedia('(min-width: 761px)').matches) $('#composer-input').focus();
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

function chatTitle(chat) {
  if (chat.type === 'group') return chat.name || 'Group';
  return peerOf(chat)?.username || 'Private chat';
}

function peerOf(chat) {
  if (chat.type !== 'private') return null;
  return chat.members.find((m) => m.id !== state.me?.id) || chat.members[0] || null;
}

function renderMe() {
  if (!state.me) return;
  setText($('#me-name'), state.me.username);
  const slot = $('#me-avatar');
  clear(slot);
  slot.appendChild(avatar(state.me.username));
}

function renderConnection(connState, info = {}) {
  const el = $('#connection-status');
  if (!el) return;
  el.dataset.state = connState;
  clearInterval(renderConnection.timer);
  if (connState === 'online') el.textContent = 'Online';
  else if (connState === 'connecting') el.textContent = 'Connecting…';
  else if (connState === 'offline') {
    const tick = () => {
      const s = Math.max(0, Math.ceil((info.retryAt - Date.now()) / 1000));
      el.textContent = navigator.onLine ? (s > 0 ? `Offline · retrying in ${s}s` : 'Reconnecting…') : 'No network';
    };
    tick();
    renderConnection.timer = setInterval(tick, 1000);
  } else el.textContent = '';
  document.body.classList.toggle('disconnected', connState !== 'online');
}

function typingText(chatId, { short = false } = {}) {
  const typers = state.typing.get(chatId);
  if (!typers || typers.size === 0) return '';
  const names = [...typers.values()].map((t) => t.username);
  if (short) return names.length === 1 && state.chats.get(chatId)?.type === 'private' ? 'typing…' : `${names.join(', ')} typing…`;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

function renderChatList() {
  const ul = $('#chat-list');
  if (!ul || $('#app-screen').hidden) return;
  const chats = [...state.chats.values()].sort((a, b) => {
    const x = a.last_activity_at || a.created_at || '';
    const y = b.last_activity_at || b.created_at || '';
    return x < y ? 1 : x > y ? -1 : b.id - a.id;
  });
  const filter = state.filter.trim().toLowerCase();
  const shown = filter ? chats.filter((c) => chatTitle(c).toLowerCase().includes(filter)) : chats;
  const items = shown.map((chat) => chatItem(chat));
  clear(ul);
  for (const li of items) ul.appendChild(li);
  $('#chat-list-empty').hidden = state.chats.size > 0;
}

function chatItem(chat) {
  const title = chatTitle(chat);
  const peer = peerOf(chat);
  const online = peer ? state.online.has(peer.id) : null;
  const typing = typingText(chat.id, { short: true });
  const last = chat.last_message;
  let preview = 'No messages yet';
  if (last) {
    const who = last.sender_id === state.me?.id ? 'You: ' : chat.type === 'group' ? `${last.sender_username}: ` : '';
    preview = who + last.text.replace(/\s+/g, ' ');
  }
  const unread = chat.unread_count || 0;
  const li = h(
    'li.chat-item',
    {
      testid: 'chat-item',
      dataset: { chatId: String(chat.id), chatName: title, chatType: chat.type },
      className: `chat-item${state.openChatId === chat.id ? ' active' : ''}${unread ? ' has-unread' : ''}`,
    },
    h(
      'button.chat-item-btn',
      { type: 'button', onclick: () => navigate(chat.id), 'aria-label': `Open chat ${title}` },
      avatar(title, { online: peer ? online : null, testid: 'chat-item-online' }),
      h(
        'span.chat-item-main',
        {},
        h(
          'span.chat-item-top',
          {},
          h('span.chat-item-name', { testid: 'chat-item-name' }, title),
          h('span.chat-item-time', {}, last ? formatListTime(last.timestamp) : ''),
        ),
        h(
          'span.chat-item-bottom',
          {},
          typing
            ? h('span.chat-item-preview.typing-text', { testid: 'chat-item-preview' }, typing)
            : h('span.chat-item-preview', { testid: 'chat-item-preview' }, preview),
          unread ? h('span.badge', { testid: 'chat-item-unread', 'aria-label': `${unread} unread` }, String(unread)) : null,
        ),
      ),
    ),
  );
  if (peer) li.dataset.online = String(online);
  return li;
}

function renderChatHeader() {
  const chat = state.openChatId && state.chats.get(state.openChatId);
  if (!chat) return;
  const title = chatTitle(chat);
  setText($('#chat-title'), title);
  const slot = $('#chat-avatar');
  clear(slot);
  const peer = peerOf(chat);
  slot.appendChild(avatar(title, { online: peer ? state.online.has(peer.id) : null }));
  const sub = $('#chat-subtitle');
  if (peer) {
    const online = state.online.has(peer.id);
    const seen = state.lastSeen.get(peer.id);
    sub.textContent = online ? 'online' : seen ? formatLastSeen(seen) : 'offline';
    sub.dataset.presence = online ? 'online' : 'offline';
    sub.classList.toggle('is-online', online);
  } else {
    const n = chat.members.length;
    const on = chat.members.filter((m) => m.id !== state.me?.id && state.online.has(m.id)).length;
    sub.textContent = `${n} member${n === 1 ? '' : 's'}${on ? `, ${on} online` : ''}`;
    sub.dataset.presence = '';
    sub.classList.remove('is-online');
  }
  $('#members-button').hidden = chat.type !== 'group';
  if ($('#members-dialog').open) renderMembers();
}

// Refresh "last seen 3 min ago" now and then.
setInterval(() => {
  if (state.openChatId) renderChatHeader();
}, 30000);

function renderTyping() {
  const el = $('#typing-indicator');
  const text = state.openChatId ? typingText(state.openChatId) : '';
  el.hidden = !text;
  clear(el);
  if (text) el.append(h('span.dots', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', { testid: 'typing-text' }, text));
}

/** "sent" / "read" / "read by N" for our own confirmed messages. */
function readStatus(chat, m) {
  const others = chat.members.filter((x) => x.id !== m.sender_id);
  const readers = others.filter((x) => (x.last_read_seq || 0) >= m.seq).length;
  if (readers === 0) return { status: 'sent', label: 'Sent' };
  if (chat.type === 'private') return { status: 'read', label: 'Read' };
  if (readers >= others.length) return { status: 'read', label: others.length > 1 ? 'Read by all' : 'Read', readers };
  return { status: 'read', label: `Read by ${readers}`, readers };
}

const TICKS = { read: '✓✓', sent: '✓', failed: '!', sending: '◷' };
function tick(status) {
  return h(`span.ticks.ticks-${status}`, { 'aria-hidden': 'true' }, TICKS[status] || '');
}

function renderHistoryEdge() {
  const el = $('#history-edge');
  const entry = state.openChatId && state.msgs.get(state.openChatId);
  if (!entry) return setText(el, '');
  let text = '';
  let mode = '';
  if (entry.loading || entry.loadingOlder) {
    text = 'Loading…';
    mode = 'loading';
  } else if (entry.loaded && !entry.hasMore) {
    text = entry.byId.size ? 'Beginning of the conversation' : 'No messages yet. Say hello!';
    mode = 'start';
  }
  setText(el, text);
  el.dataset.state = mode;
}

/**
 * Renders the open chat's messages, reusing elements by key. Keeps the scroll anchored when older
 * messages are prepended, and follows the bottom when the reader was there.
 */
function renderMessages({ toBottom = false, keepAnchor = false } = {}) {
  const chatId = state.openChatId;
  const chat = chatId && state.chats.get(chatId);
  if (!chat) return;
  const entry = state.msgs.get(chatId);
  const scroller = $('#message-scroller');
  const ul = $('#message-list');
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
  const oldHeight = scroller.scrollHeight;
  const oldTop = scroller.scrollTop;
  renderHistoryEdge();

  const confirmed = entry?.loaded || entry?.byId.size ? sortedMessages(entry) : [];
  const pending = [...state.pending.values()].filter((p) => p.chat_id === chatId);
  const rows = [];
  let prevDay = null;
  let prevSender = null;
  for (const m of confirmed) {
    const day = dayKey(m.timestamp);
    if (day !== prevDay) {
      rows.push({ key: `d:${day}`, kind: 'day', iso: m.timestamp });
      prevDay = day;
      prevSender = null;
    }
    rows.push({ key: `m:${m.id}`, kind: 'msg', m, first: prevSender !== m.sender_id });
    prevSender = m.sender_id;
  }
  for (const p of pending) {
    rows.push({ key: `p:${p.client_message_id}`, kind: 'pending', p, first: prevSender !== state.me?.id });
    prevSender = state.me?.id;
  }

  const existing = new Map();
  for (const li of ul.children) existing.set(li.dataset.key, li);
  const keep = new Set(rows.map((r) => r.key));
  for (const [key, li] of existing) if (!keep.has(key)) li.remove();

  let cursor = ul.firstElementChild;
  for (const row of rows) {
    let li = existing.get(row.key);
    if (!li) {
      li = createRow(row, chat);
      li.dataset.key = row.key;
    }
    updateRow(li, row, chat);
    if (li !== cursor) ul.insertBefore(li, cursor);
    else cursor = cursor.nextElementSibling;
  }

  if (toBottom || (atBottom && !keepAnchor)) {
    scroller.scrollTop = scroller.scrollHeight;
    stickToBottom = true;
  } else if (keepAnchor) scroller.scrollTop = oldTop + (scroller.scrollHeight - oldHeight);
}

function createRow(row, chat) {
  if (row.kind === 'day') return h('li.day-divider', { testid: 'day-divider' }, h('span', {}, formatDay(row.iso)));
  const own = row.kind === 'pending' || row.m.sender_id === state.me?.id;
  const m = row.kind === 'pending' ? row.p : row.m;
  const li = h(
    `li.message${own ? '.own' : '.theirs'}`,
    { testid: 'message', dataset: { own: String(own), clientId: m.client_message_id || '' } },
    chat.type === 'group' && !own ? h('span.message-sender', { testid: 'message-sender' }, row.m.sender_username) : null,
    h('div.bubble', {}, h('span.message-text', { testid: 'message-text' }, m.text), h('span.meta', {}, h('time.message-time', { datetime: m.timestamp }, formatTime(m.timestamp)))),
  );
  return li;
}

function updateRow(li, row, chat) {
  if (row.kind === 'day') return;
  li.classList.toggle('first-of-group', !!row.first);
  const meta = $('.meta', li);
  if (row.kind === 'msg') {
    li.dataset.messageId = String(row.m.id);
    li.dataset.seq = String(row.m.seq);
    if (row.m.sender_id !== state.me?.id) return;
    const { status, label } = readStatus(chat, row.m);
    setStatus(li, meta, status, label);
  } else {
    const p = row.p;
    li.dataset.pending = 'true';
    const status = p.status === 'failed' ? 'failed' : 'sending';
    setStatus(li, meta, status, status === 'failed' ? 'Not sent' : 'Sending…');
    let actions = $('.failed-actions', li);
    if (status === 'failed' && !actions) {
      actions = h(
        'div.failed-actions',
        {},
        h('span.failed-reason', { testid: 'failed-reason' }, p.error || 'Not sent'),
        h('button.link-btn', { type: 'button', testid: 'retry-send', onclick: () => retryPending(p.client_message_id) }, 'Retry'),
        h('button.link-btn', { type: 'button', testid: 'discard-send', onclick: () => discardPending(p.client_message_id) }, 'Delete'),
      );
      li.appendChild(actions);
    } else if (status !== 'failed' && actions) actions.remove();
  }
}

function setStatus(li, meta, status, label) {
  let el = $('[data-testid="message-status"]', meta);
  if (el && el.dataset.status === status && el.title === label) return;
  if (el) el.remove();
  el = h('span.status', { testid: 'message-status', dataset: { status }, title: label }, tick(status), h('span.status-label', {}, label));
  meta.appendChild(el);
  li.dataset.status = status;
}

// ---------------------------------------------------------------------------------------------------------
// Dialogs: new chat, new group, members

function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

function userRow(user, { testid, action, label, online }) {
  return h(
    'li.user-row',
    { testid, dataset: { userId: String(user.id), username: user.username } },
    h(
      'button.user-row-btn',
      { type: 'button', onclick: action },
      avatar(user.username, { online: online ?? null }),
      h('span.user-row-name', {}, user.username),
      label ? h('span.user-row-label', {}, label) : null,
    ),
  );
}

async function searchInto(input, ul, { testid, exclude = () => false, onPick, errorEl }) {
  const q = input.value.trim();
  let users;
  try {
    users = await api.searchUsers(q, 20);
  } catch (err) {
    setFormError(errorEl, err.message);
    return;
  }
  if (input.value.trim() !== q) return; // a newer search is on its way
  setFormError(errorEl, '');
  clear(ul);
  const shown = users.filter((u) => !exclude(u));
  if (shown.length === 0) {
    ul.appendChild(h('li.user-empty.muted', {}, q ? `Nobody named "${q}…"` : 'Nobody to add'));
    return;
  }
  for (const u of shown) ul.appendChild(userRow(u, { testid, online: state.online.has(u.id), action: () => onPick(u) }));
}

function openNewChat() {
  const dialog = $('#new-chat-dialog');
  const input = $('#user-search-input');
  input.value = '';
  setFormError($('#new-chat-error'), '');
  dialog.showModal();
  input.focus();
  runNewChatSearch();
}

const runNewChatSearch = () =>
  searchInto($('#user-search-input'), $('#user-search-results'), {
    testid: 'user-search-result',
    errorEl: $('#new-chat-error'),
    onPick: async (u) => {
      try {
        const chat = await api.openPrivate(u.id);
        addChat(chat);
        $('#new-chat-dialog').close();
        navigate(chat.id);
      } catch (err) {
        setFormError($('#new-chat-error'), err.message);
      }
    },
  });

function addChat(chat) {
  const old = state.chats.get(chat.id);
  const merged = {
    last_message: null,
    unread_count: 0,
    last_read_seq: 0,
    last_activity_at: chat.created_at,
    ...old,
    ...chat,
  };
  if (old) {
    merged.last_message = old.last_message;
    merged.unread_count = old.unread_count;
    merged.last_read_seq = old.last_read_seq;
  }
  state.chats.set(chat.id, merged);
  noteSeen(chat.id, chat.last_seq || 0);
  renderChatList();
  return merged;
}

const group = { selected: new Map() };

function openNewGroup() {
  group.selected = new Map();
  $('#group-name-input').value = '';
  $('#group-search-input').value = '';
  setFormError($('#new-group-error'), '');
  renderGroupChips();
  $('#new-group-dialog').showModal();
  $('#group-name-input').focus();
  runGroupSearch();
}

const runGroupSearch = () =>
  searchInto($('#group-search-input'), $('#group-search-results'), {
    testid: 'group-search-result',
    errorEl: $('#new-group-error'),
    exclude: (u) => group.selected.has(u.id),
    onPick: (u) => {
      group.selected.set(u.id, u);
      renderGroupChips();
      runGroupSearch();
    },
  });

function renderGroupChips() {
  const box = $('#group-chips');
  clear(box);
  for (const u of group.selected.values()) {
    box.appendChild(
      h(
        'span.chip',
        { testid: 'group-chip', dataset: { username: u.username } },
        u.username,
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Remove ${u.username}`,
            onclick: () => {
              group.selected.delete(u.id);
              renderGroupChips();
              runGroupSearch();
            },
          },
          '×',
        ),
      ),
    );
  }
}

async function onCreateGroup(event) {
  event.preventDefault();
  const name = $('#group-name-input').value.trim();
  const error = $('#new-group-error');
  if (!name) return setFormError(error, 'Give the group a name.');
  await withBusy($('[data-testid="group-create-submit"]'), async () => {
    try {
      const chat = await api.createGroup(name, [...group.selected.keys()]);
      addChat(chat);
      $('#new-group-dialog').close();
      navigate(chat.id);
    } catch (err) {
      setFormError(error, err.message);
    }
  });
}

function openMembers() {
  const chat = state.chats.get(state.openChatId);
  if (!chat || chat.type !== 'group') return;
  $('#add-member-input').value = '';
  clear($('#add-member-results'));
  setFormError($('#members-error'), '');
  renderMembers();
  $('#members-dialog').showModal();
  // Fresh roles and read positions.
  api
    .chat(chat.id)
    .then((fresh) => {
      const c = state.chats.get(fresh.id);
      if (!c) return;
      c.members = fresh.members;
      c.name = fresh.name;
      renderMembers();
      renderChatHeader();
    })
    .catch(() => {});
}

function amAdmin(chat) {
  return chat.members.some((m) => m.id === state.me?.id && m.role === 'admin');
}

function renderMembers() {
  const chat = state.chats.get(state.openChatId);
  const ul = $('#member-list');
  clear(ul);
  if (!chat) return;
  setText($('#members-title'), `${chat.name || 'Group'} · ${chat.members.length} member${chat.members.length === 1 ? '' : 's'}`);
  const admin = amAdmin(chat);
  const members = [...chat.members].sort((a, b) => (a.role === b.role ? a.username.localeCompare(b.username) : a.role === 'admin' ? -1 : 1));
  for (const m of members) {
    const me = m.id === state.me?.id;
    ul.appendChild(
      h(
        'li.member-row',
        { testid: 'member-item', dataset: { userId: String(m.id), username: m.username } },
        avatar(m.username, { online: me ? true : state.online.has(m.id) }),
        h('span.member-name', {}, me ? `${m.username} (you)` : m.username),
        m.role === 'admin' ? h('span.role', {}, 'admin') : null,
        admin && !me
          ? h('button.link-btn.danger', { type: 'button', testid: 'member-remove', onclick: () => removeMember(chat.id, m) }, 'Remove')
          : null,
      ),
    );
  }
  $('#add-member-box').hidden = !admin;
}

async function removeMember(chatId, member) {
  try {
    const updated = await api.removeMember(chatId, member.id);
    const c = state.chats.get(chatId);
    if (c) c.members = updated.members;
    renderMembers();
    renderChatHeader();
    renderMessages();
  } catch (err) {
    setFormError($('#members-error'), err.message);
  }
}

const runAddMemberSearch = () => {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  searchInto($('#add-member-input'), $('#add-member-results'), {
    testid: 'add-member-result',
    errorEl: $('#members-error'),
    exclude: (u) => chat.members.some((m) => m.id === u.id),
    onPick: async (u) => {
      try {
        const updated = await api.addMember(chat.id, u.id);
        const c = state.chats.get(chat.id);
        if (c) c.members = updated.members;
        $('#add-member-input').value = '';
        clear($('#add-member-results'));
        renderMembers();
        renderChatHeader();
        renderMessages();
      } catch (err) {
        setFormError($('#members-error'), err.message);
      }
    },
  });
};

async function leaveGroup() {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  if (!confirm(`Leave "${chat.name}"?`)) return;
  try {
    await api.leave(chat.id);
    $('#members-dialog').close();
    state.chats.delete(chat.id);
    state.msgs.delete(chat.id);
    state.seen.delete(chat.id);
    navigate(null);
    renderChatList();
  } catch (err) {
    setFormError($('#members-error'), err.message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Small things

function toast(text) {
  const el = h('div.toast', { testid: 'toast', role: 'status' }, text);
  document.body.appendChild(el);
  setTimeout(() => el.classList.add('leaving'), 3500);
  setTimeout(() => el.remove(), 4000);
}

function autosize(textarea) {
  textarea.style.height = '';
  if (!textarea.value || textarea.offsetParent === null) return; // empty or hidden: the stylesheet's height
  textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 160)}px`;
}

// ---------------------------------------------------------------------------------------------------------
// Wiring

let stickToBottom = true;

function wire() {
  $('#login-form').addEventListener('submit', onLogin);
  $('#register-form').addEventListener('submit', onRegister);
  $('#tab-login').addEventListener('click', () => showAuthTab('login'));
  $('#tab-register').addEventListener('click', () => showAuthTab('register'));
  $('#logout-button').addEventListener('click', () => logout());
  $('#new-chat-button').addEventListener('click', openNewChat);
  $('#new-group-button').addEventListener('click', openNewGroup);
  $('#members-button').addEventListener('click', openMembers);
  $('#back-button').addEventListener('click', () => navigate(null));
  $('#leave-group').addEventListener('click', leaveGroup);
  $('#new-group-form').addEventListener('submit', onCreateGroup);
  $('#user-search-input').addEventListener('input', debounce(runNewChatSearch, 200));
  $('#group-search-input').addEventListener('input', debounce(runGroupSearch, 200));
  $('#add-member-input').addEventListener('input', debounce(runAddMemberSearch, 200));
  $('#group-search-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') e.preventDefault();
  });
  for (const btn of document.querySelectorAll('dialog [data-close]')) {
    btn.addEventListener('click', () => btn.closest('dialog').close());
  }
  $('#chat-filter').addEventListener('input', (e) => {
    state.filter = e.target.value;
    renderChatList();
  });

  const input = $('#composer-input');
  input.addEventListener('input', onComposerInput);
  input.addEventListener('blur', stopTyping);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('#composer').requestSubmit();
    }
  });
  $('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if ([...text].length > MAX_MESSAGE_CHARS) return toast(`A message can be at most ${MAX_MESSAGE_CHARS} characters long.`);
    input.value = '';
    onComposerInput();
    sendMessage(text);
    input.focus();
  });

  const scroller = $('#message-scroller');
  scroller.addEventListener('scroll', () => {
    stickToBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
    if (state.openChatId && scroller.scrollTop < 120) loadOlder(state.openChatId);
  });
  // When the pane changes size (typing line, composer growing, keyboard on phones), a reader at the
  // bottom stays at the bottom.
  new ResizeObserver(() => {
    if (stickToBottom) scroller.scrollTop = scroller.scrollHeight;
  }).observe(scroller);

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.openChatId) scheduleMarkRead(state.openChatId);
    if (document.visibilityState === 'hidden') stopTyping();
  });
  window.addEventListener('focus', () => state.openChatId && scheduleMarkRead(state.openChatId));
  window.addEventListener('hashchange', route);
  window.addEventListener('storage', (e) => {
    // Logged out (or in as someone else) in another tab.
    if (e.key === TOKEN_KEY && e.newValue !== state.token) location.reload();
  });
}

function boot() {
  wire();
  if (state.token) startApp();
  else showAuth();
}

boot();
