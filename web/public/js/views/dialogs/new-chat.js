// "New chat": find a person and open (or create) the private chat with them.

import { $, debounce, setFormError } from '../../dom.js';
import { navigate } from '../../nav.js';
import { api } from '../../session.js';
import { addChat } from '../../state.js';
import { searchInto } from './user-search.js';

export function initNewChat() {
  $('#new-chat-button').addEventListener('click', openNewChat);
  $('#user-search-input').addEventListener('input', debounce(runSearch, 200));
}

function openNewChat() {
  const input = $('#user-search-input');
  input.value = '';
  setFormError($('#new-chat-error'), '');
  $('#new-chat-dialog').showModal();
  input.focus();
  runSearch();
}

function runSearch() {
  return searchInto($('#user-search-input'), $('#user-search-results'), {
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
}
