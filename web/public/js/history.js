// Message history over REST: the newest page when a chat opens (or must be reloaded), older pages as the
// reader scrolls up, and the holes a live message reveals.

import { api, scheduleMarkRead } from './session.js';
import { emit, hooks, msgEntry, noteSeen, putMessages, removeChat, sortedMessages, state } from './state.js';

export const PAGE_SIZE = 30;

export async function loadLatest(chatId) {
  const entry = msgEntry(chatId);
  if (entry.loading) return;
  entry.loading = true;
  entry.byId = new Map();
  entry.loaded = false;
  emit('loading', chatId);
  try {
    const page = await api.history(chatId, { limit: PAGE_SIZE });
    putMessages(chatId, page);
    entry.hasMore = page.length === PAGE_SIZE && page[0].seq > 1;
    entry.loaded = true;
    for (const m of page) noteSeen(chatId, m.seq);
    fillGaps(chatId);
  } catch (err) {
    if (err.status === 404) {
      removeChat(chatId);
      return;
    }
    emit('notice', `Could not load messages: ${err.message}`);
  } finally {
    entry.loading = false;
  }
  emit('messages', chatId, { toBottom: true });
  if (state.openChatId === chatId) scheduleMarkRead(chatId);
}

/** The page before the oldest loaded message; concurrent calls share one request. Resolves false on failure. */
export function loadOlder(chatId, { limit = PAGE_SIZE } = {}) {
  const entry = state.msgs.get(chatId);
  if (!entry || !entry.loaded || !entry.hasMore) return Promise.resolve(true);
  if (entry.loadingOlder) return entry.olderRequest;
  const oldest = sortedMessages(entry)[0];
  if (!oldest) return Promise.resolve(true);
  entry.loadingOlder = true;
  emit('loading', chatId);
  entry.olderRequest = (async () => {
    let ok = true;
    try {
      const page = await api.history(chatId, { limit, before: oldest.id });
      putMessages(chatId, page);
      entry.hasMore = page.length === limit && page[0].seq > 1;
    } catch (err) {
      ok = false;
      emit('notice', `Could not load older messages: ${err.message}`);
    } finally {
      entry.loadingOlder = false;
    }
    emit('messages', chatId, { keepAnchor: true });
    return ok;
  })();
  return entry.olderRequest;
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
  gapFills.add(chatId);
  try {
    putMessages(chatId, await api.history(chatId, { limit: 100, after_seq: after }));
  } catch {
    // the next message or sync tries again
  } finally {
    gapFills.delete(chatId);
  }
  emit('messages', chatId);
  fillGaps(chatId);
}

Object.assign(hooks, { loadChat: loadLatest, checkGaps: fillGaps });
