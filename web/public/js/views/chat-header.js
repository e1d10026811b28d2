// The open chat's header: title, avatar, presence ("online", "last seen…", "3 members, 1 online").

import { $, avatar, clear, formatLastSeen, setText } from '../dom.js';
import { chatTitle, on, peerOf, state } from '../state.js';

export function initChatHeader() {
  on('chat', (chatId) => chatId === state.openChatId && renderChatHeader());
  on('presence', renderChatHeader);
  on('open', renderChatHeader);
  // Refresh "last seen 3 min ago" now and then.
  setInterval(renderChatHeader, 30000);
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
}
