// Search in the sidebar. The box over the chat list filters the chats by name at once and, after a pause in
// typing, asks the server for messages (GET /messages/search): they show below the matching chats, newest
// first, each with its chat, sender, time and a snippet whose matching words are highlighted; more pages come
// with "Load more" or by scrolling to the end. A result opens its chat at that message. An empty box, Escape
// or ✕ brings the whole chat list back.
//
// Only the answer to the latest query is shown: every change of the query starts a new generation, and
// answers of an older one are dropped.

import { $, avatar, clear, formatListTime, h, setText } from '../dom.js';
import { api } from '../session.js';
import { chatTitle, emit, on, state } from '../state.js';
import { renderChatList } from './sidebar.js';

const DEBOUNCE_MS = 250;
const PAGE_SIZE = 20;

const search = {
  gen: 0, // the query's generation
  timer: null,
  q: '', // the query the results are for
  results: [],
  nextBefore: null,
  busy: false, // the first page of a query is on its way
  loadingMore: false,
  status: null, // {kind: 'hint' | 'error' | 'empty', text}
  activeId: null, // the result last opened
};

export function initSearch() {
  const input = $('#search-input');
  input.addEventListener('input', onInput);
  input.addEventListener('keydown', (e) => {
    if (e.isComposing) return;
    if (e.key === 'Escape' && input.value) {
      e.preventDefault();
      resetSearch();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (input.value.trim()) runNow();
    } else if (e.key === 'ArrowDown') {
      const first = focusables()[0];
      if (first) {
        e.preventDefault();
        first.focus();
      }
    }
  });
  $('#search-clear').addEventListener('click', () => {
    resetSearch();
    input.focus();
  });
  $('#search-more').addEventListener('click', loadMore);
  $('#search-results').addEventListener('click', (e) => {
    const li = e.target.closest('[data-testid="search-result"]');
    const r = li && search.results.find((x) => String(x.message.id) === li.dataset.messageId);
    if (r) openResult(r);
  });
  // Up and down move through the chats and results; Escape goes back to the box.
  $('#sidebar-scroll').addEventListener('keydown', (e) => {
    if (!['ArrowDown', 'ArrowUp', 'Escape'].includes(e.key)) return;
    const list = focusables();
    const at = list.indexOf(document.activeElement);
    if (at < 0) return;
    e.preventDefault();
    if (e.key === 'Escape') return input.focus();
    const next = e.key === 'ArrowDown' ? list[at + 1] : list[at - 1];
    if (next) next.focus();
    else if (e.key === 'ArrowUp') input.focus();
  });
  // Scrolling to the end of the results loads the next page.
  new IntersectionObserver((entries) => entries.some((x) => x.isIntersecting) && loadMore(), {
    root: $('#sidebar-scroll'),
    rootMargin: '0px 0px 120px 0px',
  }).observe($('#search-more'));
  // The result last opened stays marked while its chat is open, and after going back to the list (phones).
  on('open', (chatId) => {
    if (chatId && search.activeId && search.results.find((r) => r.message.id === search.activeId)?.message.chat_id !== chatId) {
      search.activeId = null;
      markActive();
    }
  });
}

function focusables() {
  return [...$('#sidebar-scroll').querySelectorAll('.chat-item-btn, .search-result-btn, #search-more')].filter((el) => el.offsetParent !== null);
}

function onInput() {
  const value = $('#search-input').value;
  state.filter = value;
  renderChatList();
  search.gen += 1; // whatever is on its way is for another query now
  clearTimeout(search.timer);
  if (!value.trim()) return stop();
  search.timer = setTimeout(runNow, DEBOUNCE_MS);
  search.busy = true;
  search.loadingMore = false;
  render();
}

/** Empties the box: the chat list again (also when signing out). */
export function resetSearch() {
  $('#search-input').value = '';
  onInput();
}

function stop() {
  Object.assign(search, { q: '', results: [], nextBefore: null, busy: false, loadingMore: false, status: null, activeId: null });
  render();
}

/** Searches for what the box holds now. The last word counts as a prefix unless the query ends with a space. */
async function runNow() {
  clearTimeout(search.timer);
  const q = $('#search-input').value.trimStart();
  if (!q.trim()) return;
  const gen = ++search.gen;
  search.busy = true;
  search.loadingMore = false;
  render();
  let page;
  try {
    page = await api.searchMessages(q, { limit: PAGE_SIZE });
  } catch (err) {
    if (gen !== search.gen) return;
    Object.assign(search, { q, results: [], nextBefore: null, busy: false, status: failure(err) });
    render();
    return;
  }
  if (gen !== search.gen) return;
  Object.assign(search, { q, results: page.results || [], nextBefore: page.next_before ?? null, busy: false, status: null });
  if (!search.results.length) search.status = { kind: 'empty', text: 'No messages found' };
  render();
}

/** The next page of the same query. */
async function loadMore() {
  if (search.busy || search.loadingMore || !search.nextBefore) return;
  const gen = search.gen;
  search.loadingMore = true;
  renderMore();
  let page;
  try {
    page = await api.searchMessages(search.q, { before: search.nextBefore, limit: PAGE_SIZE });
  } catch (err) {
    if (gen !== search.gen) return;
    search.loadingMore = false;
    search.status = { kind: 'error', text: `Could not load more: ${err.message}` };
    render();
    return;
  }
  if (gen !== search.gen) return;
  const known = new Set(search.results.map((r) => r.message.id));
  const fresh = (page.results || []).filter((r) => !known.has(r.message.id));
  search.results.push(...fresh);
  search.nextBefore = fresh.length ? (page.next_before ?? null) : null;
  search.loadingMore = false;
  search.status = null;
  const ul = $('#search-results');
  for (const r of fresh) ul.appendChild(resultItem(r));
  renderMore();
  renderStatus();
}

/** A 422 is the query not being searchable yet (only exclusions or filters, too long): a hint, not an error. */
function failure(err) {
  if (err.status === 422) {
    const text = /no words/i.test(err.message) ? 'Type a word to search for' : err.message;
    return { kind: 'hint', text };
  }
  return { kind: 'error', text: `Search failed: ${err.message}` };
}

function openResult(r) {
  const m = r.message;
  search.activeId = m.id;
  markActive();
  emit('show-message', { chatId: m.chat_id, messageId: m.id, seq: m.seq });
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

function render() {
  const searching = !!$('#search-input').value.trim();
  document.body.classList.toggle('searching', searching);
  $('#search-clear').hidden = !$('#search-input').value;
  $('#search-panel').hidden = !searching;
  const ul = $('#search-results');
  ul.setAttribute('aria-busy', String(search.busy));
  if (!search.busy || !searching) {
    clear(ul);
    for (const r of search.results) ul.appendChild(resultItem(r));
    markActive();
  }
  renderMore();
  renderStatus();
}

function renderStatus() {
  const el = $('#search-status');
  // While the next query runs, what is shown stays (dimmed) rather than flickering.
  const status = search.status || (search.busy && !search.results.length ? { kind: 'busy', text: 'Searching…' } : null);
  el.dataset.kind = status?.kind || '';
  el.setAttribute('aria-busy', String(search.busy));
  setText(el, status?.text || '');
  el.hidden = !status;
}

function renderMore() {
  const btn = $('#search-more');
  btn.hidden = search.busy || !search.nextBefore;
  btn.disabled = search.loadingMore;
  setText(btn, search.loadingMore ? 'Loading…' : 'Load more');
}

function markActive() {
  for (const li of $('#search-results').children) {
    const active = li.dataset.messageId === String(search.activeId);
    li.classList.toggle('active', active);
    const btn = li.firstElementChild;
    if (active) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
  }
}

function chatName(r) {
  const known = state.chats.get(r.message.chat_id);
  return r.chat?.name || (known ? chatTitle(known) : 'Chat');
}

function resultItem(r) {
  const m = r.message;
  const name = chatName(r);
  const sender = state.me && m.sender_id === state.me.id ? 'You' : m.sender_username || '';
  const parts = Array.isArray(r.snippet) && r.snippet.length ? r.snippet : [{ text: m.text || '', hit: false }];
  return h(
    'li.search-result',
    { testid: 'search-result', dataset: { messageId: String(m.id), chatId: String(m.chat_id), chatName: name } },
    h(
      'button.search-result-btn',
      { type: 'button' },
      avatar(name),
      h(
        'span.search-result-main',
        {},
        h(
          'span.search-result-top',
          {},
          h('span.search-result-chat', { testid: 'search-result-chat' }, name),
          h('time.search-result-time', { testid: 'search-result-time', datetime: m.timestamp }, formatListTime(m.timestamp)),
        ),
        h(
          'span.search-result-text',
          {},
          h('span.search-result-sender', { testid: 'search-result-sender' }, sender),
          ': ',
          h(
            'span.search-snippet',
            { testid: 'search-snippet' },
            parts.map((p) => (p.hit ? h('mark.search-hit', { testid: 'search-hit' }, p.text) : p.text)),
          ),
        ),
      ),
    ),
  );
}
