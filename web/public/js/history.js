// Message history over REST. What a chat has loaded is a window: a contiguous run of its messages that grows
// both ways. It starts as the newest page when a chat opens (or must be reloaded), or as a page around one
// message (a search result); older pages load as the reader scrolls up, newer ones as they scroll down until
// the newest message is in (`atEnd`). Live messages join the window only once it reaches the newest. Holes a
// live message reveals are filled.
//
// Each new window has a generation number: answers to requests made for an earlier window are dropped.

import { api, scheduleMarkRead } from './session.js';
import { emit, hooks, msgEntry, noteSeen, putMessages, removeChat, sortedMessages, state } from './state.js';

export const PAGE_SIZE = 30;
/** The page loaded around a message: it sits in the middle. */
export const AROUND_SIZE = 50;

/** Forgets the loaded window and starts another; `kind` is 'latest' or 'around'. */
function startWindow(entry, kind) {
  entry.gen = (entry.gen || 0) + 1;
  entry.byId = new Map();
  entry.loaded = false;
  entry.loading = true;
  entry.loadingKind = kind;
  entry.atEnd = kind === 'latest';
  entry.hasMore = true;
  entry.loadingOlder = false;
  entry.loadingNewer = false;
  entry.olderRequest = null;
  entry.newerRequest = null;
  return entry.gen;
}

/** Whether an answer for window `gen` of `entry` still matters (the chat may even have been dropped). */
function current(chatId, entry, gen) {
  return state.msgs.get(chatId) === entry && entry.gen === gen;
}

/** A window that does not reach the newest message keeps nothing past `seq` (live messages that came meanwhile). */
function trimAfter(entry, seq) {
  for (const [id, m] of entry.byId) if (m.seq > seq) entry.byId.delete(id);
}

async function loadWindow(chatId, kind, query, { focusId } = {}) {
  const entry = msgEntry(chatId);
  const gen = startWindow(entry, kind);
  emit('loading', chatId);
  let page;
  try {
    page = await api.history(chatId, query);
  } catch (err) {
    if (!current(chatId, entry, gen)) return;
    entry.loading = false;
    if (err.status === 404) {
      removeChat(chatId);
      return;
    }
    emit('notice', `Could not load messages: ${err.message}`);
    emit('messages', chatId);
    return;
  }
  if (!current(chatId, entry, gen)) return;
  if (kind === 'around' && !page.length) return loadWindow(chatId, 'latest', { limit: PAGE_SIZE }); // nothing there
  putMessages(chatId, page);
  if (kind === 'latest') {
    entry.hasMore = page.length === query.limit && page[0].seq > 1;
  } else {
    entry.hasMore = page.length ? page[0].seq > 1 : query.after_seq > 0;
    entry.atEnd = page.length < query.limit;
    if (!entry.atEnd) trimAfter(entry, page[page.length - 1].seq);
  }
  entry.loaded = true;
  entry.loading = false;
  for (const m of page) noteSeen(chatId, m.seq);
  fillGaps(chatId);
  emit('messages', chatId, kind === 'latest' ? { toBottom: true } : { focusId });
  if (state.openChatId === chatId && entry.atEnd) scheduleMarkRead(chatId);
}

/** The newest page (a new window). Does nothing while the newest page is already on its way. */
export function loadLatest(chatId) {
  const entry = msgEntry(chatId);
  if (entry.loading && entry.loadingKind === 'latest') return Promise.resolve();
  return loadWindow(chatId, 'latest', { limit: PAGE_SIZE });
}

/** A window around message `messageId` (number `seq` in its chat); renders it focused on that message. */
export function loadAround(chatId, messageId, seq) {
  const half = Math.floor(AROUND_SIZE / 2);
  return loadWindow(chatId, 'around', { limit: AROUND_SIZE, after_seq: Math.max(0, seq - half) }, { focusId: messageId });
}

/** Back to the newest messages when the loaded window does not reach them (before sending, for one). */
export function ensureLatest(chatId) {
  const entry = state.msgs.get(chatId);
  if (entry && entry.atEnd === false) loadLatest(chatId);
}

/** The page before the oldest loaded message; concurrent calls share one request. Resolves false on failure. */
export function loadOlder(chatId, { limit = PAGE_SIZE } = {}) {
  const entry = state.msgs.get(chatId);
  if (!entry || !entry.loaded || !entry.hasMore) return Promise.resolve(true);
  if (entry.loadingOlder) return entry.olderRequest;
  const oldest = sortedMessages(entry)[0];
  if (!oldest) return Promise.resolve(true);
  const gen = entry.gen;
  entry.loadingOlder = true;
  emit('loading', chatId);
  entry.olderRequest = (async () => {
    let page;
    try {
      page = await api.history(chatId, { limit, before: oldest.id });
    } catch (err) {
      if (!current(chatId, entry, gen)) return false;
      entry.loadingOlder = false;
      emit('notice', `Could not load older messages: ${err.message}`);
      emit('loading', chatId);
      return false;
    }
    if (!current(chatId, entry, gen)) return true;
    putMessages(chatId, page);
    entry.hasMore = page.length === limit && page[0].seq > 1;
    entry.loadingOlder = false;
    emit('messages', chatId, { keepAnchor: true });
    return true;
  })();
  return entry.olderRequest;
}

/**
 * The page after the newest loaded message, when the window does not reach the newest yet; concurrent calls
 * share one request. Resolves false on failure.
 */
export function loadNewer(chatId, { limit = PAGE_SIZE } = {}) {
  const entry = state.msgs.get(chatId);
  if (!entry || !entry.loaded || entry.atEnd) return Promise.resolve(true);
  if (entry.loadingNewer) return entry.newerRequest;
  const list = sortedMessages(entry);
  const newest = list[list.length - 1];
  if (!newest) return Promise.resolve(true);
  const gen = entry.gen;
  entry.loadingNewer = true; // meanwhile live messages are kept: the page may end before them
  emit('loading', chatId);
  entry.newerRequest = (async () => {
    let page;
    try {
      page = await api.history(chatId, { limit, after_seq: newest.seq });
    } catch (err) {
      if (!current(chatId, entry, gen)) return false;
      entry.loadingNewer = false;
      emit('notice', `Could not load newer messages: ${err.message}`);
      emit('loading', chatId);
      return false;
    }
    if (!current(chatId, entry, gen)) return true;
    putMessages(chatId, page);
    for (const m of page) noteSeen(chatId, m.seq);
    entry.atEnd = page.length < limit;
    if (!entry.atEnd) trimAfter(entry, page[page.length - 1].seq);
    entry.loadingNewer = false;
    if (entry.atEnd) fillGaps(chatId);
    emit('messages', chatId, { keepPosition: true });
    if (entry.atEnd && state.openChatId === chatId) scheduleMarkRead(chatId);
    return true;
  })();
  return entry.newerRequest;
}

/** Loads older pages until `messageId` is loaded (a reply's original). Resolves whether it is. */
export async function loadUntil(chatId, messageId) {
  for (;;) {
    const entry = state.msgs.get(chatId);
    if (!entry?.loaded) return false;
    if (entry.byId.has(messageId)) return true;
    if (!entry.hasMore || !(await loadOlder(chatId, { limit: 100 }))) return entry.byId.has(messageId);
  }
}

const gapFills = new Set();
/** When a loaded history has a hole (a message arrived past a missing seq), fetch what is missing. */
export async function fillGaps(chatId) {
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
  const gen = entry.gen;
  gapFills.add(chatId);
  let page = [];
  try {
    page = await api.history(chatId, { limit: 100, after_seq: after });
    if (current(chatId, entry, gen)) putMessages(chatId, page);
  } catch {
    // the next message or sync tries again
  } finally {
    gapFills.delete(chatId);
  }
  if (!current(chatId, entry, gen)) return;
  emit('messages', chatId);
  if (page.length) fillGaps(chatId); // nothing came: the hole stays until the next message or sync
}

Object.assign(hooks, {
  loadChat: (chatId) => msgEntry(chatId).loading || loadLatest(chatId),
  checkGaps: fillGaps,
});
