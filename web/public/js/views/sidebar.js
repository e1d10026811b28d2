// The sidebar: who I am, the connection state and the chat list (filtered by name while searching; the search
// box and the messages found are search.js's).

import { $, avatar, clear, formatListTime, h, setText } from '../dom.js';
import { attachmentsLabel } from '../files.js';
import { navigate } from '../nav.js';
import { chatTitle, on, peerOf, state, typingText } from '../state.js';

export function initSidebar() {
  on('me', renderMe);
  on('connection', renderConnection);
  for (const topic of ['chats', 'chat', 'typing', 'presence', 'open']) on(topic, renderChatList);
}

export function renderMe() {
  if (!state.me) return;
  setText($('#me-name'), state.me.username);
  const slot = $('#me-avatar');
  clear(slot);
  slot.appendChild(avatar(state.me.username));
}

let offlineTimer = null;
function renderConnection(connState, info = {}) {
  const el = $('#connection-status');
  el.dataset.state = connState;
  clearInterval(offlineTimer);
  if (connState === 'online') el.textContent = 'Online';
  else if (connState === 'connecting') el.textContent = 'Connecting…';
  else if (connState === 'offline') {
    const tick = () => {
      const s = Math.max(0, Math.ceil((info.retryAt - Date.now()) / 1000));
      el.textContent = navigator.onLine ? (s > 0 ? `Offline · retrying in ${s}s` : 'Reconnecting…') : 'No network';
    };
    tick();
    offlineTimer = setInterval(tick, 1000);
  } else el.textContent = '';
  document.body.classList.toggle('disconnected', connState !== 'online');
}

export function clearChatList() {
  clear($('#chat-list'));
}

export function renderChatList() {
  const ul = $('#chat-list');
  if ($('#app-screen').hidden) return;
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
  // While searching, the chats whose name matches come first under a heading of their own.
  $('#chats-heading').hidden = !filter || shown.length === 0;
  $('#chat-list-empty').hidden = !!filter || state.chats.size > 0;
}

function previewText(chat) {
  const last = chat.last_message;
  if (!last) return 'No messages yet';
  const who = last.sender_id === state.me?.id ? 'You: ' : chat.type === 'group' ? `${last.sender_username}: ` : '';
  if (last.deleted) return `${who}message deleted`;
  const text = (last.text || '').replace(/\s+/g, ' ');
  // Files: their label alone, or a clip before the caption.
  if (!last.attachments?.length) return who + text;
  return who + (text ? `📎 ${text}` : attachmentsLabel(last.attachments));
}

function chatItem(chat) {
  const title = chatTitle(chat);
  const peer = peerOf(chat);
  const online = peer ? state.online.has(peer.id) : null;
  const typing = typingText(chat.id, { short: true });
  const last = chat.last_message;
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
            : h('span.chat-item-preview', { testid: 'chat-item-preview' }, previewText(chat)),
          unread ? h('span.badge', { testid: 'chat-item-unread', 'aria-label': `${unread} unread` }, String(unread)) : null,
        ),
      ),
    ),
  );
  if (peer) li.dataset.online = String(online);
  return li;
}
