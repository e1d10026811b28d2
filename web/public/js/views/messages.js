// The open chat's messages: day dividers, bubbles with delivery/read status and their files (attachments.js),
// pending sends (retry/delete), the history edges ("Loading…", "Beginning of the conversation"), the typing
// line, and the scroll position (follow the bottom, keep the anchor when older pages arrive, load older pages
// near the top and newer ones near the bottom while the loaded window stops short of the newest message, show
// a message found elsewhere).

import { $, clear, dayKey, formatDay, formatTime, h, setText, toast } from '../dom.js';
import { loadAround, loadLatest, loadNewer, loadOlder, loadUntil } from '../history.js';
import { discardPending, retryPending, toggleReaction } from '../outbox.js';
import { isMine, msgEntry, on, reactedByMe, readStatus, sortedMessages, state, typingText } from '../state.js';
import { mediaOnly, mediaWidth, openAttachment, refreshMessage, renderAttachments } from './attachments.js';
import { startReply } from './composer.js';
import { openMessageMenu } from './message-menu.js';

const LONG_PRESS_MS = 450;
const EDGE_PX = 120; // this close to an end of the loaded messages, the next page loads

let stickToBottom = true;

/** Whether the open chat's loaded window reaches its newest message. */
function windowAtEnd() {
  return state.msgs.get(state.openChatId)?.atEnd !== false;
}

export function initMessages() {
  const isOpen = (chatId) => chatId === state.openChatId;
  on('messages', (chatId, opts) => isOpen(chatId) && renderMessages(opts));
  on('reads', (chatId) => isOpen(chatId) && renderMessages());
  on('chat', (chatId) => isOpen(chatId) && renderMessages());
  on('loading', (chatId) => isOpen(chatId) && renderHistoryEdge());
  on('typing', (chatId) => isOpen(chatId) && renderTyping());
  on('open', (chatId, { changed }) => {
    if (!chatId) return;
    renderTyping();
    if (changed) clear($('#message-list'));
  });

  const scroller = $('#message-scroller');
  scroller.addEventListener('scroll', () => {
    const fromBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
    stickToBottom = fromBottom < 60 && windowAtEnd();
    renderJumpButton();
    if (!state.openChatId) return;
    if (scroller.scrollTop < EDGE_PX) loadOlder(state.openChatId);
    if (fromBottom < EDGE_PX) loadNewer(state.openChatId);
  });
  $('#jump-latest').addEventListener('click', () => {
    const chatId = state.openChatId;
    if (!chatId) return;
    if (windowAtEnd()) {
      scroller.scrollTop = scroller.scrollHeight;
      stickToBottom = true;
      renderJumpButton();
    } else loadLatest(chatId);
  });
  // When the pane changes size (typing line, composer growing, keyboard on phones), a reader at the
  // bottom stays at the bottom.
  new ResizeObserver(() => {
    if (stickToBottom) scroller.scrollTop = scroller.scrollHeight;
  }).observe(scroller);

  const ul = $('#message-list');
  ul.addEventListener('click', onListClick);
  // A preview that does not load: its signed URL has most likely expired; the message again brings fresh ones.
  ul.addEventListener(
    'error',
    (e) => {
      if (e.target.tagName !== 'IMG') return;
      const li = e.target.closest('.message');
      if (li?.dataset.messageId) refreshMessage(state.openChatId, Number(li.dataset.messageId));
    },
    true, // error events do not bubble
  );
  ul.addEventListener('contextmenu', (e) => {
    const li = e.target.closest('.message');
    if (!li || li.dataset.deleted || li.dataset.pending || !e.target.closest('.bubble')) return;
    e.preventDefault();
    openFor(li);
  });
  wireLongPress(ul);
}

/** The confirmed message a row shows. */
function messageOf(li) {
  const entry = state.msgs.get(state.openChatId);
  return li?.dataset.messageId ? entry?.byId.get(Number(li.dataset.messageId)) : null;
}

function openFor(li, { keyboard = false } = {}) {
  const m = messageOf(li);
  if (m && !m.deleted) openMessageMenu(m, $('.bubble', li), { keyboard });
}

let suppressClick = false;

function onListClick(e) {
  if (suppressClick) {
    suppressClick = false;
    e.preventDefault();
    return;
  }
  const li = e.target.closest('.message');
  if (!li) return;
  const tool = e.target.closest('[data-tool]');
  if (tool) {
    const m = messageOf(li);
    if (!m) return;
    if (tool.dataset.tool === 'reply') startReply(m);
    else openFor(li, { keyboard: e.detail === 0 });
    return;
  }
  const chip = e.target.closest('[data-testid="reaction-chip"]');
  if (chip) {
    const m = messageOf(li);
    if (m) toggleReaction(m, chip.dataset.emoji);
    return;
  }
  const quote = e.target.closest('[data-reply-to]');
  if (quote) return jumpTo(state.openChatId, Number(quote.dataset.replyTo));
  const file = e.target.closest('[data-attachment]');
  if (file) {
    // Looked up when needed: fetching the message again for fresh URLs replaces it in the state.
    const stored = !!li.dataset.messageId;
    const resolve = (id) => (stored ? messageOf(li) : state.pending.get(li.dataset.clientId))?.attachments?.find((a) => a.id === id);
    openAttachment(e, file, resolve, stored ? { chatId: state.openChatId, messageId: Number(li.dataset.messageId) } : null);
  }
}

/** Touch: holding a bubble still opens its menu. */
function wireLongPress(ul) {
  let press = null;
  const cancel = () => {
    if (press) clearTimeout(press.timer);
    press = null;
  };
  ul.addEventListener('pointerdown', (e) => {
    cancel();
    if (e.pointerType === 'mouse' || !e.target.closest('.bubble')) return;
    const li = e.target.closest('.message');
    if (!li || li.dataset.deleted || li.dataset.pending) return;
    press = {
      x: e.clientX,
      y: e.clientY,
      timer: setTimeout(() => {
        press = null;
        window.getSelection()?.removeAllRanges(); // the hold may have started selecting text
        suppressClick = true;
        setTimeout(() => (suppressClick = false), 800);
        openFor(li);
      }, LONG_PRESS_MS),
    };
  });
  ul.addEventListener('pointermove', (e) => {
    if (press && Math.hypot(e.clientX - press.x, e.clientY - press.y) > 10) cancel();
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave']) ul.addEventListener(type, cancel);
}

const rowOf = (messageId) => $(`#message-list [data-message-id="${messageId}"]`);

/** Scrolls to a message (a reply's original), loading older pages until it is there, and flashes it. */
export async function jumpTo(chatId, messageId) {
  if (!rowOf(messageId)) {
    const found = await loadUntil(chatId, messageId);
    if (state.openChatId !== chatId) return;
    if (!found || !rowOf(messageId)) return toast('The original message is not available.');
  }
  focusRow(rowOf(messageId));
}

/**
 * Shows a message of the open chat (a search result): scrolls to it when it is loaded, else loads the
 * history around it (a new window, which then grows both ways as the reader scrolls), and flashes it.
 */
export function showMessage(chatId, messageId, seq) {
  const entry = msgEntry(chatId);
  if (entry.loaded && !entry.loading && entry.byId.has(messageId) && rowOf(messageId)) {
    focusRow(rowOf(messageId));
    return Promise.resolve();
  }
  return loadAround(chatId, messageId, seq);
}

/** Centers a row and flashes it. */
function focusRow(li) {
  stickToBottom = false;
  li.scrollIntoView({ block: 'center' });
  li.classList.remove('flash');
  void li.offsetWidth; // restart the animation
  li.classList.add('flash');
  clearTimeout(li.windiFlash);
  li.windiFlash = setTimeout(() => li.isConnected && li.classList.remove('flash'), 1600);
  renderJumpButton();
}

function renderTyping() {
  const el = $('#typing-indicator');
  const text = state.openChatId ? typingText(state.openChatId) : '';
  el.hidden = !text;
  clear(el);
  if (text) el.append(h('span.dots', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', { testid: 'typing-text' }, text));
}

/** The top edge ("Loading…", "Beginning of the conversation") and the bottom one (more newer messages). */
function renderHistoryEdge() {
  const el = $('#history-edge');
  const end = $('#history-end');
  const entry = state.openChatId && state.msgs.get(state.openChatId);
  if (!entry) {
    setText(el, '');
    setText(end, '');
    end.dataset.state = '';
    return;
  }
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
  // Below a window that stops short of the newest message: room to scroll into, and "Loading…" meanwhile.
  const more = entry.loaded && !entry.atEnd;
  setText(end, more && entry.loadingNewer ? 'Loading…' : '');
  end.dataset.state = more ? (entry.loadingNewer ? 'loading' : 'more') : '';
  renderJumpButton();
}

/** "↓": shown when the newest messages are not in view (not loaded, or scrolled far up). */
function renderJumpButton() {
  const btn = $('#jump-latest');
  const scroller = $('#message-scroller');
  const entry = state.openChatId && state.msgs.get(state.openChatId);
  const farUp = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight > scroller.clientHeight;
  btn.hidden = !entry?.loaded || (entry.atEnd && !farUp);
}

/** Loads pages until the list can scroll (or there is nothing more either way). */
function fillViewport(chatId) {
  const scroller = $('#message-scroller');
  const entry = state.msgs.get(chatId);
  if (!entry?.loaded || scroller.scrollHeight > scroller.clientHeight + 40) return;
  if (entry.hasMore && !entry.loadingOlder) loadOlder(chatId);
  if (!entry.atEnd && !entry.loadingNewer) loadNewer(chatId);
}

/**
 * Renders the open chat's messages, reusing elements by key. Keeps the scroll anchored when older
 * messages are prepended (`keepAnchor`) and still when newer ones are appended (`keepPosition`), follows the
 * bottom when the reader was there and the newest message is loaded, and centers `focusId` when given.
 */
function renderMessages({ toBottom = false, keepAnchor = false, keepPosition = false, focusId = null } = {}) {
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

  const rows = buildRows(chatId, entry);
  const existing = new Map();
  for (const li of ul.children) existing.set(li.dataset.key, li);
  const keep = new Set(rows.map((r) => r.key));
  for (const [key, li] of existing) if (!keep.has(key)) li.remove();

  let cursor = ul.firstElementChild;
  for (const row of rows) {
    let li = existing.get(row.key);
    const sig = rowSignature(row);
    if (!li || li.windiSig !== sig) {
      // New, or its content changed (edited, deleted, reactions, its quote): built afresh in place.
      const fresh = createRow(row, chat);
      fresh.dataset.key = row.key;
      fresh.windiSig = sig;
      if (li) {
        if (li.classList.contains('flash')) fresh.classList.add('flash');
        li.replaceWith(fresh);
        if (cursor === li) cursor = fresh;
      }
      li = fresh;
    }
    updateRow(li, row, chat);
    if (li !== cursor) ul.insertBefore(li, cursor);
    else cursor = cursor.nextElementSibling;
  }

  const focused = focusId && rowOf(focusId);
  if (focused) focusRow(focused);
  else if (toBottom || (atBottom && !keepAnchor && !keepPosition && entry?.atEnd !== false)) {
    scroller.scrollTop = scroller.scrollHeight;
    stickToBottom = true;
  } else if (keepAnchor) scroller.scrollTop = oldTop + (scroller.scrollHeight - oldHeight);
  else if (keepPosition) scroller.scrollTop = oldTop;
  renderJumpButton();
  fillViewport(chatId);
}

/** Day dividers, confirmed messages by seq, then our pending sends. */
function buildRows(chatId, entry) {
  const confirmed = entry?.loaded || entry?.byId.size ? sortedMessages(entry) : [];
  // Our sends come after the newest message: not below a window that stops short of it.
  const pending = entry?.atEnd === false ? [] : [...state.pending.values()].filter((p) => p.chat_id === chatId);
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
  return rows;
}

function rowSignature(row) {
  if (row.kind === 'day') return '';
  if (row.kind === 'pending') return JSON.stringify([row.p.text, row.p.reply_to, (row.p.attachments || []).map((a) => a.id)]);
  const m = row.m;
  const reactions = (m.reactions || []).map((r) => [r.emoji, r.count, reactedByMe(m.id, r)]);
  // The URLs too: a message fetched again brings fresh ones in place of expired ones.
  const files = (m.attachments || []).map((a) => [a.id, a.url, a.thumbnail]);
  return JSON.stringify([m.text, !!m.deleted, m.edited_at || null, m.reply_to || null, reactions, files]);
}

function createRow(row, chat) {
  if (row.kind === 'day') return h('li.day-divider', { testid: 'day-divider' }, h('span', {}, formatDay(row.iso)));
  const pending = row.kind === 'pending';
  const m = pending ? row.p : row.m;
  const own = pending || isMine(m);
  const deleted = !pending && !!m.deleted;
  const files = deleted ? null : renderAttachments(m.attachments);
  // A message of files alone has no text line.
  const text = deleted
    ? h('span.message-text.tombstone', { testid: 'message-deleted' }, 'message deleted')
    : m.text || !files
      ? h('span.message-text', { testid: 'message-text' }, m.text)
      : null;
  const bubble = h(
    `div.bubble${files ? '.has-files' : ''}${files && mediaOnly(m.text, m.attachments) ? '.media-only' : ''}`,
    {},
    m.reply_to ? replyQuote(m.reply_to) : null,
    files,
    text,
    h(
      'span.meta',
      {},
      m.edited_at && !deleted ? h('span.edited', { testid: 'message-edited', title: `Edited ${formatTime(m.edited_at)}` }, 'edited') : null,
      h('time.message-time', { datetime: m.timestamp }, formatTime(m.timestamp)),
    ),
  );
  if (files) bubble.style.setProperty('--media-width', `${mediaWidth(m.attachments)}px`);
  const li = h(
    `li.message${own ? '.own' : '.theirs'}${deleted ? '.deleted' : ''}`,
    { testid: 'message', dataset: { own: String(own), clientId: m.client_message_id || '' } },
    chat.type === 'group' && !own ? h('span.message-sender', { testid: 'message-sender' }, m.sender_username) : null,
    h(
      'div.message-body',
      {},
      bubble,
      pending || deleted ? null : tools(),
    ),
    pending || deleted ? null : reactionChips(m),
  );
  if (!pending) li.dataset.messageId = String(m.id);
  if (deleted) li.dataset.deleted = 'true';
  return li;
}

function replyQuote(q) {
  return h(
    'button.reply-quote',
    { type: 'button', testid: 'reply-quote', dataset: { replyTo: String(q.id) }, title: 'Show the original message' },
    h('span.reply-quote-sender', {}, q.sender_username || ''),
    q.deleted
      ? h('span.reply-quote-text.tombstone', { testid: 'reply-quote-text' }, 'message deleted')
      : h('span.reply-quote-text', { testid: 'reply-quote-text' }, q.text || '📎 Attachment'), // no text: files alone
  );
}

/** Shown beside the bubble on hover (desktop); phones long-press the bubble instead. */
function tools() {
  return h(
    'div.message-tools',
    {},
    h('button.tool-btn', { type: 'button', testid: 'message-reply-button', dataset: { tool: 'reply' }, title: 'Reply', 'aria-label': 'Reply' }, '↩'),
    h('button.tool-btn', { type: 'button', testid: 'message-menu-button', dataset: { tool: 'menu' }, title: 'React, edit, delete…', 'aria-label': 'Message actions', 'aria-haspopup': 'menu' }, '⋯'),
  );
}

function reactionChips(m) {
  if (!m.reactions?.length) return null;
  return h(
    'div.reactions',
    { testid: 'reactions' },
    m.reactions.map((r) => {
      const mine = reactedByMe(m.id, r);
      return h(
        `button.reaction-chip${mine ? '.mine' : ''}`,
        {
          type: 'button',
          testid: 'reaction-chip',
          dataset: { emoji: r.emoji, count: String(r.count), mine: String(mine) },
          'aria-pressed': String(mine),
          title: mine ? 'Take back your reaction' : 'React',
        },
        h('span.reaction-emoji', {}, r.emoji),
        h('span.reaction-count', {}, String(r.count)),
      );
    }),
  );
}

function updateRow(li, row, chat) {
  if (row.kind === 'day') return;
  li.classList.toggle('first-of-group', !!row.first);
  const meta = $('.meta', li);
  if (row.kind === 'msg') {
    li.dataset.seq = String(row.m.seq);
    if (row.m.sender_id !== state.me?.id || row.m.deleted) return;
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

const TICKS = { read: '✓✓', sent: '✓', failed: '!', sending: '◷' };

function setStatus(li, meta, status, label) {
  let el = $('[data-testid="message-status"]', meta);
  if (el && el.dataset.status === status && el.title === label) return;
  if (el) el.remove();
  el = h(
    'span.status',
    { testid: 'message-status', dataset: { status }, title: label },
    h(`span.ticks.ticks-${status}`, { 'aria-hidden': 'true' }, TICKS[status] || ''),
    h('span.status-label', {}, label),
  );
  meta.appendChild(el);
  li.dataset.status = status;
}
