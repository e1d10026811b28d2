// The group's members dialog: who is in it (and who is admin); admins rename the group and add and remove
// people; anyone leaves.

import { $, avatar, clear, debounce, h, setFormError, setText, withBusy } from '../../dom.js';
import { api } from '../../session.js';
import { amAdmin, on, removeChat, state, updateChat } from '../../state.js';
import { searchInto } from './user-search.js';

export function initMembers() {
  $('#members-button').addEventListener('click', openMembers);
  $('#leave-group').addEventListener('click', leaveGroup);
  $('#add-member-input').addEventListener('input', debounce(runAddMemberSearch, 200));
  $('#rename-form').addEventListener('submit', onRename);
  const refresh = () => $('#members-dialog').open && renderMembers();
  on('chat', (chatId) => chatId === state.openChatId && refresh());
  on('presence', refresh);
  on('chat-removed', (chatId) => chatId === state.openChatId && $('#members-dialog').close());
}

function openMembers() {
  const chat = state.chats.get(state.openChatId);
  if (!chat || chat.type !== 'group') return;
  $('#add-member-input').value = '';
  clear($('#add-member-results'));
  setFormError($('#members-error'), '');
  $('#rename-input').value = chat.name || '';
  renderMembers();
  $('#members-dialog').showModal();
  // Fresh roles and read positions.
  api
    .chat(chat.id)
    .then(updateChat)
    .catch(() => {});
}

function renderMembers() {
  const chat = state.chats.get(state.openChatId);
  const ul = $('#member-list');
  clear(ul);
  if (!chat) return;
  setText($('#members-title'), `${chat.name || 'Group'} · ${chat.members.length} member${chat.members.length === 1 ? '' : 's'}`);
  const admin = amAdmin(chat);
  $('#rename-form').hidden = !admin;
  if (document.activeElement !== $('#rename-input')) $('#rename-input').value = chat.name || '';
  const members = [...chat.members].sort((a, b) =>
    a.role === b.role ? a.username.localeCompare(b.username) : a.role === 'admin' ? -1 : 1,
  );
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

async function onRename(event) {
  event.preventDefault();
  const chat = state.chats.get(state.openChatId);
  const name = $('#rename-input').value.trim();
  if (!chat) return;
  if (!name) return setFormError($('#members-error'), 'Give the group a name.');
  if (name === chat.name) return;
  await withBusy($('[data-testid="rename-submit"]'), async () => {
    try {
      updateChat(await api.renameChat(chat.id, name));
      setFormError($('#members-error'), '');
      $('#rename-input').blur();
    } catch (err) {
      setFormError($('#members-error'), err.message);
    }
  });
}

async function removeMember(chatId, member) {
  try {
    updateChat(await api.removeMember(chatId, member.id));
  } catch (err) {
    setFormError($('#members-error'), err.message);
  }
}

function runAddMemberSearch() {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  searchInto($('#add-member-input'), $('#add-member-results'), {
    testid: 'add-member-result',
    errorEl: $('#members-error'),
    exclude: (u) => chat.members.some((m) => m.id === u.id),
    onPick: async (u) => {
      try {
        const updated = await api.addMember(chat.id, u.id);
        $('#add-member-input').value = '';
        clear($('#add-member-results'));
        updateChat(updated);
      } catch (err) {
        setFormError($('#members-error'), err.message);
      }
    },
  });
}

async function leaveGroup() {
  const chat = state.chats.get(state.openChatId);
  if (!chat) return;
  if (!confirm(`Leave "${chat.name}"?`)) return;
  try {
    await api.leave(chat.id);
    $('#members-dialog').close();
    removeChat(chat.id);
  } catch (err) {
    setFormError($('#members-error'), err.message);
  }
}
