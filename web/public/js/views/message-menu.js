// A message's menu: a small reaction palette, then Reply, Edit (my own messages) and Delete (my own; any
// message of a group I administer). Opened from the hover tools or a right-click on desktop, and by
// holding the message on a phone (where it sits at the bottom of the screen).

import { $, clear, h } from '../dom.js';
import { deleteMessage, toggleReaction } from '../outbox.js';
import { canDelete, isMine, on, reactedByMe, state } from '../state.js';
import { startEdit, startReply } from './composer.js';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

let current = null; // {chatId, id, anchor}

export function initMessageMenu() {
  const menu = $('#message-menu');
  document.addEventListener(
    'pointerdown',
    (e) => {
      if (current && !menu.contains(e.target) && !e.target.closest?.('[data-tool="menu"]')) closeMessageMenu();
    },
    true,
  );
  document.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'Escape' && current) {
        e.stopPropagation();
        e.preventDefault();
        closeMessageMenu();
      }
    },
    true,
  );
  const scroller = $('#message-scroller');
  scroller.addEventListener('wheel', closeMessageMenu, { passive: true });
  scroller.addEventListener('touchmove', closeMessageMenu, { passive: true });
  window.addEventListener('resize', closeMessageMenu);
  on('open', closeMessageMenu);
  on('messages', (chatId) => {
    if (!current || current.chatId !== chatId) return;
    const m = state.msgs.get(chatId)?.byId.get(current.id);
    if (!m || m.deleted) closeMessageMenu();
    else fill(m); // its reactions changed
  });
}

export function openMessageMenu(m, anchor, { keyboard = false } = {}) {
  if (current?.id === m.id) return closeMessageMenu(); // the same trigger again: a toggle
  const menu = $('#message-menu');
  current = { chatId: m.chat_id, id: m.id, anchor };
  menu.dataset.messageId = String(m.id);
  fill(m);
  menu.hidden = false;
  place(menu, anchor);
  if (keyboard) $('button', menu)?.focus();
}

export function closeMessageMenu() {
  if (!current) return;
  current = null;
  $('#message-menu').hidden = true;
}

function fill(m) {
  const chat = state.chats.get(m.chat_id);
  if (!chat) return;
  const palette = $('#reaction-palette');
  clear(palette);
  for (const emoji of REACTIONS) {
    const r = (m.reactions || []).find((x) => x.emoji === emoji);
    const picked = !!r && reactedByMe(m.id, r);
    palette.appendChild(
      h(
        `button.reaction-option${picked ? '.picked' : ''}`,
        {
          type: 'button',
          role: 'menuitemcheckbox',
          testid: 'reaction-option',
          dataset: { emoji },
          'aria-checked': String(picked),
          'aria-label': `React ${emoji}`,
          onclick: () => act(() => toggleReaction(m, emoji)),
        },
        emoji,
      ),
    );
  }
  const actions = $('#menu-actions');
  clear(actions);
  const item = (testid, label, fn, danger = false) =>
    h(`button.menu-item${danger ? '.danger' : ''}`, { type: 'button', role: 'menuitem', testid, onclick: () => act(fn) }, label);
  const items = [
    item('menu-reply', 'Reply', () => startReply(m)),
    isMine(m) ? item('menu-edit', 'Edit', () => startEdit(m)) : null,
    canDelete(chat, m)
      ? item('menu-delete', 'Delete', () => {
          const whose = isMine(m) ? 'this message' : `${m.sender_username}'s message`;
          if (confirm(`Delete ${whose} for everyone?`)) deleteMessage(m);
        }, true)
      : null,
  ];
  actions.append(...items.filter(Boolean));
}

function act(fn) {
  closeMessageMenu();
  fn();
}

/** Beside the bubble on wide screens (above it when there is room, else below); phones: the stylesheet's sheet. */
function place(menu, anchor) {
  if (window.matchMedia('(max-width: 760px)').matches) return;
  const r = anchor.getBoundingClientRect();
  const w = menu.offsetWidth;
  const hgt = menu.offsetHeight;
  const margin = 8;
  const own = anchor.closest('.message')?.classList.contains('own');
  let x = own ? r.right - w : r.left;
  x = Math.max(margin, Math.min(x, window.innerWidth - w - margin));
  let y = r.top - hgt - 6;
  if (y < margin) y = Math.min(r.bottom + 6, window.innerHeight - hgt - margin);
  menu.style.setProperty('--menu-x', `${Math.round(x)}px`);
  menu.style.setProperty('--menu-y', `${Math.round(Math.max(margin, y))}px`);
}
