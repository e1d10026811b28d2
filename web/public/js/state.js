// The app's picture of the server: chats, the messages of each chat, presence, typing and read positions.
//
// Server frames come in through `handleFrame`, one handler per event type (`handlers`). A handler updates the
// state and announces what changed with `emit(topic, ...)`; the views subscribe to the topics they show
// (`on`). Handlers do no I/O: what they need from the rest of the app (reload a chat, mark it read, refresh
// the chat list, flush the outbox) goes through `hooks`, which session.js fills in.
//
// Topics:
//   'me'                      the signed-in user
//   'connection' (st, info)   the socket's state: connecting / online / offline / stopped
//   'chats'                   the chat list: membership, order, previews, unread counts
//   'chat' (chatId)           one chat's own data: name, members, roles
//   'messages' (chatId, opts) one chat's messages: sent, edited, deleted, reactions, reply quotes
//                             ({toBottom, keepAnchor, keepPosition, focusId} for the scroll position)
//   'loading' (chatId)        one chat's history is loading (or stopped loading)
//   'reads' (chatId)          read positions in one chat moved
//   'typing' (chatId)         who is typing in one chat
//   'presence'                who is online, last seen
//   'open' (chatId, {changed}) the chat on screen (null: none)
//   'chat-removed' (chatId)   we are no longer a member
//   'notice' (text)           something worth a toast

export const state = {
  token: null,
  me: null,
  chats: new Map(), // id -> chat summary (as GET /chats/ gives it)
  // chat id -> the loaded window of its history (see history.js): {byId: Map<id, message>, loaded, loading,
  // hasMore (older messages exist), atEnd (the newest message is in), loadingOlder, loadingNewer, gen}
  msgs: new Map(),
  pending: new Map(), // client_message_id -> {client_message_id, chat_id, text, attachments, timestamp, status, error}
  inflight: [], // client_message_ids sent on the current socket, awaiting message_sent or error (in order)
  seen: new Map(), // chat id -> highest seq seen (the old resume cursor)
  changes: new Map(), // chat id -> the resume cursor: every change up to this change_seq is applied
  ahead: new Map(), // chat id -> Set of change_seqs applied above the cursor (one before them is on its way)
  myReactions: new Map(), // message id -> Map<emoji, bool>: my own reactions as my events said
  online: new Set(),
  lastSeen: new Map(), // user id -> ISO time
  typing: new Map(), // chat id -> Map<user id, {username, timer}>
  openChatId: null,
  filter: '',
  synced: false,
};

/** What the handlers ask of the rest of the app; session.js and history.js set these. */
export const hooks = {
  refreshChats() {}, // a chat we do not know showed up
  loadChat() {}, // (chatId) reload the newest history page
  checkGaps() {}, // (chatId) a loaded history may have a hole
  markReadSoon() {}, // (chatId)
  isChatVisible: () => false, // (chatId)
  flushOutbox() {},
  resync() {}, // send `sync` on the open connection
};

// ---------------------------------------------------------------------------------------------------------
// Change notification

const listeners = new Map();

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, []);
  listeners.get(topic).push(fn);
}

export function emit(topic, ...args) {
  for (const fn of listeners.get(topic) || []) fn(...args);
}

// ---------------------------------------------------------------------------------------------------------
// Queries

export function isMine(m) {
  return !!state.me && m.sender_id === state.me.id;
}

export function peerOf(chat) {
  if (chat.type !== 'private') return null;
  return chat.members.find((m) => m.id !== state.me?.id) || chat.members[0] || null;
}

export function chatTitle(chat) {
  if (chat.type === 'group') return chat.name || 'Group';
  return peerOf(chat)?.username || 'Private chat';
}

export function amAdmin(chat) {
  return chat.members.some((m) => m.id === state.me?.id && m.role === 'admin');
}

export function sortedMessages(entry) {
  return [...entry.byId.values()].sort((a, b) => a.seq - b.seq);
}

/** My newest message in a chat that can still be edited (for Up in an empty composer). */
export function lastOwnMessage(chatId) {
  const entry = state.msgs.get(chatId);
  let found = null;
  for (const m of entry?.byId.values() || []) if (isMine(m) && !m.deleted && (!found || m.seq > found.seq)) found = m;
  return found;
}

export function canDelete(chat, m) {
  return !m.deleted && (isMine(m) || (chat.type === 'group' && amAdmin(chat)));
}

/** Whether I reacted with `r.emoji` (`user_ids` lists only the first 10, so my own events fill in). */
export function reactedByMe(messageId, r) {
  if (!state.me) return false;
  if (r.user_ids?.includes(state.me.id)) return true;
  if ((r.user_ids?.length || 0) >= r.count) return false;
  return state.myReactions.get(messageId)?.get(r.emoji) === true;
}

/** A reply quote's text, as the server makes it: the first 100 characters. */
export function quoteText(text) {
  return [...(text || '')].slice(0, 100).join('');
}

export function typingText(chatId, { short = false } = {}) {
  const typers = state.typing.get(chatId);
  if (!typers || typers.size === 0) return '';
  const names = [...typers.values()].map((t) => t.username);
  if (short) return names.length === 1 && state.chats.get(chatId)?.type === 'private' ? 'typing…' : `${names.join(', ')} typing…`;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/** "sent" / "read" / "read by N" for our own confirmed messages. */
export function readStatus(chat, m) {
  const others = chat.members.filter((x) => x.id !== m.sender_id);
  const readers = others.filter((x) => (x.last_read_seq || 0) >= m.seq).length;
  if (readers === 0) return { status: 'sent', label: 'Sent' };
  if (chat.type === 'private') return { status: 'read', label: 'Read' };
  if (readers >= others.length) return { status: 'read', label: others.length > 1 ? 'Read by all' : 'Read', readers };
  return { status: 'read', label: `Read by ${readers}`, readers };
}

// ---------------------------------------------------------------------------------------------------------
// Updates (from server frames and from REST answers)

export function resetState() {
  for (const typers of state.typing.values()) for (const t of typers.values()) clearTimeout(t.timer);
  Object.assign(state, {
    chats: new Map(),
    msgs: new Map(),
    pending: new Map(),
    inflight: [],
    seen: new Map(),
    changes: new Map(),
    ahead: new Map(),
    myReactions: new Map(),
    online: new Set(),
    lastSeen: new Map(),
    typing: new Map(),
    openChatId: null,
    filter: '',
    synced: false,
  });
}

export function noteSeen(chatId, seq) {
  if ((state.seen.get(chatId) || 0) < seq) state.seen.set(chatId, seq);
}

/** Moves a chat's resume cursor; only from changes actually applied (live events, sync answers). */
function noteChange(chatId, changeSeq) {
  if (typeof changeSeq !== 'number') return; // a server without change numbers
  const cursor = state.changes.get(chatId);
  if (cursor === undefined || changeSeq === cursor + 1) return advanceCursor(chatId, changeSeq);
  if (changeSeq <= cursor) return;
  // Events of one chat can overtake each other on their way here. The cursor waits for the missing one, so a
  // resume after a disconnect replays it rather than skipping it.
  if (!state.ahead.has(chatId)) state.ahead.set(chatId, new Set());
  state.ahead.get(chatId).add(changeSeq);
}

/** Every change of the chat up to `upTo` is applied (a sync answer, or the next number in line). */
function advanceCursor(chatId, upTo) {
  let cursor = Math.max(state.changes.get(chatId) ?? -1, upTo);
  const ahead = state.ahead.get(chatId);
  if (ahead) {
    for (const n of ahead) if (n <= cursor) ahead.delete(n);
    while (ahead.delete(cursor + 1)) cursor += 1;
    if (!ahead.size) state.ahead.delete(chatId);
  }
  state.changes.set(chatId, cursor);
}

function forgetCursor(chatId) {
  state.changes.delete(chatId);
  state.ahead.delete(chatId);
}

/**
 * A chat summary's change number can start the cursor when nothing of the chat is cached: its messages
 * will come from REST, current. With messages cached, only applied changes may move it.
 */
function startCursor(chatId, lastChange) {
  if (typeof lastChange === 'number' && (!state.changes.has(chatId) || !state.msgs.has(chatId))) {
    advanceCursor(chatId, lastChange);
  }
}

/** `a` is the same or a later version of a message than `b` (no change numbers: assume so). */
function isNewer(a, b) {
  return typeof a.change_seq !== 'number' || typeof b.change_seq !== 'number' || a.change_seq >= b.change_seq;
}

export function msgEntry(chatId) {
  let entry = state.msgs.get(chatId);
  if (!entry) {
    entry = { byId: new Map(), loaded: false, loading: false, hasMore: true, atEnd: true, loadingOlder: false, loadingNewer: false, gen: 0 };
    state.msgs.set(chatId, entry);
  }
  return entry;
}

/** The chat list from GET /chats/: what the server says wins, unless the socket already brought something newer. */
export function mergeChatList(list) {
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
    startCursor(c.id, c.last_change);
  }
  const gone = [...state.chats.keys()].filter((id) => !fresh.has(id));
  state.chats = fresh;
  emit('chats');
  for (const id of gone) emit('chat-removed', id);
  if (state.openChatId) emit('chat', state.openChatId);
}

/** A chat we just opened or created (POST /chats/private, /chats/group). */
export function addChat(chat) {
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
  startCursor(chat.id, chat.last_change);
  emit('chats');
  return merged;
}

/** Fresh chat data (GET /chats/{id}, member changes): members and name. */
export function updateChat(fresh) {
  const chat = state.chats.get(fresh.id);
  if (!chat) return;
  if (fresh.members) chat.members = fresh.members;
  if (fresh.name !== undefined) chat.name = fresh.name;
  emit('chat', chat.id);
  emit('chats');
}

export function removeChat(chatId) {
  if (!state.chats.has(chatId)) return;
  state.chats.delete(chatId);
  state.msgs.delete(chatId);
  state.seen.delete(chatId);
  forgetCursor(chatId);
  emit('chats');
  emit('chat-removed', chatId);
}

/** A page of history (ascending) into a chat's loaded messages; a later version already here stays. */
export function putMessages(chatId, page) {
  const entry = msgEntry(chatId);
  for (const m of page) {
    const old = entry.byId.get(m.id);
    if (!old || isNewer(m, old)) entry.byId.set(m.id, m);
  }
}

/** A message from a REST answer (edit, delete, reaction): applied like its event, the cursor untouched. */
export function applyMessage(m) {
  if (!absorb(m)) return;
  emit('chats');
  emit('messages', m.chat_id);
}

/**
 * A live message (or a newer version of one) into a loaded history: only inside the loaded window, or past
 * its end when that is the newest message (a window still loading keeps it; its loader trims what is past).
 */
function storeMessage(entry, m) {
  const old = entry.byId.get(m.id);
  if (old) {
    if (!isNewer(m, old)) return false;
    entry.byId.set(m.id, m);
    return true;
  }
  if (entry.byId.size > 0) {
    let oldest = Infinity;
    let newest = 0;
    for (const x of entry.byId.values()) {
      oldest = Math.min(oldest, x.seq);
      newest = Math.max(newest, x.seq);
    }
    if (entry.hasMore && m.seq < oldest) return false; // older than what is loaded: it comes with its page
    // Newer than a window that stops short of the newest message: it comes with a newer page.
    if (entry.loaded && !entry.atEnd && !entry.loadingNewer && m.seq > newest) return false;
  }
  entry.byId.set(m.id, m);
  return true;
}

/** Reply quotes follow the original: its edits, its deletion. */
function refreshQuotes(chatId, m) {
  const quote = (q) => (q && q.id === m.id ? { ...q, text: m.deleted ? null : quoteText(m.text), deleted: !!m.deleted } : q);
  for (const x of state.msgs.get(chatId)?.byId.values() || []) if (x.reply_to?.id === m.id) x.reply_to = quote(x.reply_to);
  for (const p of state.pending.values()) if (p.reply_to?.id === m.id) p.reply_to = quote(p.reply_to);
}

/**
 * One message from anywhere (live event, acknowledgement, sync replay, REST answer), new or a later version
 * (edited, deleted, reactions). Deduplicated by id, older versions ignored; replaces the optimistic copy with
 * the same client_message_id. `live`: a broadcast event, whose change number moves the resume cursor;
 * `arrived`: a new message just sent by someone. Returns false when the chat is unknown.
 */
function absorb(m, { live = false, arrived = false } = {}) {
  if (m.client_message_id && isMine(m) && state.pending.has(m.client_message_id)) {
    state.pending.delete(m.client_message_id);
    state.inflight = state.inflight.filter((id) => id !== m.client_message_id);
  }
  const chat = state.chats.get(m.chat_id);
  if (!chat) {
    // A chat we did not know: someone started it with us, or added us to a group.
    noteSeen(m.chat_id, 0);
    hooks.refreshChats();
    return false;
  }
  if (live) noteChange(m.chat_id, m.change_seq);
  const isNew = m.seq > (chat.last_seq || 0);
  noteSeen(m.chat_id, m.seq);
  const last = chat.last_message;
  if (isNew || !last || last.seq < m.seq || (last.id === m.id && isNewer(m, last))) {
    chat.last_seq = Math.max(chat.last_seq || 0, m.seq);
    chat.last_message = m;
    if (!chat.last_activity_at || m.timestamp > chat.last_activity_at) chat.last_activity_at = m.timestamp;
  }
  const entry = state.msgs.get(m.chat_id);
  if (entry && (entry.loaded || entry.loading)) {
    if (storeMessage(entry, m) && entry.loaded) hooks.checkGaps(m.chat_id);
  }
  if (!isNew) refreshQuotes(m.chat_id, m);
  const fromOther = !isMine(m);
  if (arrived && fromOther) clearTyping(m.chat_id, m.sender_id);
  if (isNew && fromOther && m.seq > (chat.last_read_seq || 0)) {
    if (hooks.isChatVisible(m.chat_id)) hooks.markReadSoon(m.chat_id);
    else chat.unread_count = (chat.unread_count || 0) + 1;
  }
  if (isNew && !fromOther) {
    // Our own message (from this or another device) means we have read everything before it.
    chat.last_read_seq = Math.max(chat.last_read_seq || 0, m.seq);
    chat.unread_count = 0;
    const mine = chat.members.find((x) => x.id === state.me.id);
    if (mine) mine.last_read_seq = Math.max(mine.last_read_seq || 0, m.seq);
  }
  return true;
}

function clearTyping(chatId, userId) {
  const typers = state.typing.get(chatId);
  const t = typers && typers.get(userId);
  if (!t) return;
  clearTimeout(t.timer);
  typers.delete(userId);
  emit('typing', chatId);
}

// ---------------------------------------------------------------------------------------------------------
// Server events: one handler per frame type

export const handlers = {
  new_message(m) {
    if (!absorb(m, { live: true, arrived: true })) return;
    emit('chats');
    emit('messages', m.chat_id);
  },

  /** The whole message, as edited. */
  message_edited(m) {
    if (!absorb(m, { live: true })) return;
    emit('chats');
    emit('messages', m.chat_id);
  },

  /** The tombstone: text null, deleted true. */
  message_deleted(m) {
    if (!absorb(m, { live: true })) return;
    emit('chats');
    emit('messages', m.chat_id);
  },

  reaction_changed({ chat_id, message_id, change_seq, user_id, emoji, added, reactions }) {
    const chat = state.chats.get(chat_id);
    if (!chat) return;
    noteChange(chat_id, change_seq);
    if (state.me && user_id === state.me.id) {
      if (!state.myReactions.has(message_id)) state.myReactions.set(message_id, new Map());
      state.myReactions.get(message_id).set(emoji, !!added);
    }
    const next = (m) =>
      m?.id === message_id && !(typeof m.change_seq === 'number' && m.change_seq > change_seq) ? { ...m, reactions, change_seq } : null;
    const entry = state.msgs.get(chat_id);
    const updated = next(entry?.byId.get(message_id));
    if (updated) entry.byId.set(message_id, updated);
    const last = next(chat.last_message);
    if (last) chat.last_message = last;
    emit('messages', chat_id);
  },

  /** A new group with me in it, or a new private chat with me on one side. */
  chat_created({ chat }) {
    if (!chat) return;
    addChat(chat);
  },

  member_added({ chat_id, change_seq, user_id, chat }) {
    if (!state.chats.has(chat_id)) {
      if (chat && state.me && user_id === state.me.id) {
        // I was added: the chat appears now; the list refresh brings its preview and unread count.
        addChat(chat);
        noteChange(chat_id, change_seq);
      }
      hooks.refreshChats();
      return;
    }
    noteChange(chat_id, change_seq);
    if (chat) updateChat(chat);
  },

  member_removed({ chat_id, change_seq, user_id, by, chat: fresh }) {
    const chat = state.chats.get(chat_id);
    if (!chat) return;
    if (state.me && user_id === state.me.id) {
      if (by !== user_id) emit('notice', `You were removed from "${chatTitle(chat)}"`);
      removeChat(chat_id);
      return;
    }
    noteChange(chat_id, change_seq);
    // The chat as it is now: when the last admin left, another member became admin.
    chat.members = fresh?.members ?? chat.members.filter((x) => x.id !== user_id);
    clearTyping(chat_id, user_id);
    emit('chat', chat_id);
    emit('chats');
  },

  /** Renamed. */
  chat_updated({ chat_id, change_seq, chat }) {
    if (!state.chats.has(chat_id)) return;
    noteChange(chat_id, change_seq);
    if (chat) updateChat(chat);
  },

  /** The acknowledgement of our own send on this connection. */
  message_sent(m) {
    state.inflight = state.inflight.filter((id) => id !== m.client_message_id);
    if (!absorb(m)) return;
    emit('chats');
    emit('messages', m.chat_id);
  },

  message_read({ chat_id, user_id, last_read_seq }) {
    const chat = state.chats.get(chat_id);
    if (!chat) return;
    const member = chat.members.find((x) => x.id === user_id);
    if (member) member.last_read_seq = Math.max(member.last_read_seq || 0, last_read_seq);
    if (state.me && user_id === state.me.id) {
      chat.last_read_seq = Math.max(chat.last_read_seq || 0, last_read_seq);
      if (chat.last_read_seq >= chat.last_seq) chat.unread_count = 0;
      emit('chats');
    }
    emit('reads', chat_id);
  },

  typing_indicator({ chat_id, user_id, username, is_typing, expires_in_ms }) {
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
    emit('typing', chat_id);
  },

  user_status({ user_id, status, last_seen }) {
    if (status === 'online') state.online.add(user_id);
    else state.online.delete(user_id);
    if (last_seen) state.lastSeen.set(user_id, last_seen);
    if (status === 'offline') for (const chatId of state.typing.keys()) clearTyping(chatId, user_id);
    emit('presence');
  },

  /** The answer to our `sync`: what we missed while away, per chat. */
  sync({ chats, online_user_ids }) {
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
      if (entry.name !== undefined) chat.name = entry.name;
      if (entry.resync_required) {
        // Too much was missed to replay: reload this chat's history from REST.
        state.msgs.delete(entry.chat_id);
        forgetCursor(entry.chat_id);
        chat.last_seq = entry.last_seq;
        noteSeen(entry.chat_id, entry.last_seq);
        unknown = true; // refresh the preview too
        if (state.openChatId === entry.chat_id) hooks.loadChat(entry.chat_id);
      } else {
        // Current versions, new or changed, in change order: upserts by id.
        for (const m of entry.messages || []) absorb(m);
      }
      if (typeof entry.last_change === 'number') advanceCursor(entry.chat_id, entry.last_change);
      chat.last_seq = Math.max(chat.last_seq || 0, entry.last_seq);
      chat.last_read_seq = entry.last_read_seq;
      chat.unread_count = entry.unread_count;
      if (hooks.isChatVisible(entry.chat_id)) hooks.markReadSoon(entry.chat_id);
    }
    // Chats we are no longer a member of.
    const gone = [...state.chats.keys()].filter((id) => !present.has(id));
    for (const id of gone) {
      state.chats.delete(id);
      state.msgs.delete(id);
      state.seen.delete(id);
      forgetCursor(id);
    }
    state.synced = true;
    if (unknown) hooks.refreshChats();
    // Whatever was written while offline (or sent but never acknowledged) goes out now; the server
    // deduplicates by client_message_id, so a resend never doubles a message.
    // (A sync asked for on a live connection leaves the sends still on their way on it alone.)
    for (const p of state.pending.values()) {
      if (p.status === 'sending' && !state.inflight.includes(p.client_message_id)) p.status = 'queued';
    }
    hooks.flushOutbox();
    emit('chats');
    emit('presence');
    for (const id of gone) emit('chat-removed', id);
    const open = state.openChatId;
    if (open && state.chats.has(open)) {
      emit('chat', open);
      if (!state.msgs.get(open)?.loaded) hooks.loadChat(open);
      emit('messages', open);
    }
  },

  /** Live events may have been lost on their way to this connection: resume from our cursors. */
  sync_required() {
    hooks.resync();
  },

  error(data) {
    if (data.action === 'send_message') {
      // Frames are handled in order on one connection: the oldest unanswered send is the one that failed.
      const id = state.inflight.shift();
      const p = id && state.pending.get(id);
      if (p) {
        p.status = 'failed';
        p.error = data.detail || 'Not sent';
        if (data.field === 'reply_to' && p.reply_to) {
          // The original went away meanwhile: a retry sends the text without the quote.
          p.reply_to = null;
          p.error = 'The message you replied to was deleted';
        }
        emit('messages', p.chat_id);
      }
    } else if (data.action === 'sync') {
      hooks.refreshChats();
    } else if (['edit_message', 'delete_message', 'react', 'unreact'].includes(data.action)) {
      emit('notice', data.detail || 'That did not work');
    }
  },
};

export function handleFrame({ type, data }) {
  const handler = Object.hasOwn(handlers, type) ? handlers[type] : null;
  if (handler) handler(data || {});
}
