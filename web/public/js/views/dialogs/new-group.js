// "New group": a name and the people to start with.

import { $, clear, debounce, h, setFormError, withBusy } from '../../dom.js';
import { navigate } from '../../nav.js';
import { api } from '../../session.js';
import { addChat } from '../../state.js';
import { searchInto } from './user-search.js';

let selected = new Map(); // user id -> user

export function initNewGroup() {
  $('#new-group-button').addEventListener('click', openNewGroup);
  $('#new-group-form').addEventListener('submit', onCreateGroup);
  $('#group-search-input').addEventListener('input', debounce(runSearch, 200));
  $('#group-search-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') e.preventDefault();
  });
}

function openNewGroup() {
  selected = new Map();
  $('#group-name-input').value = '';
  $('#group-search-input').value = '';
  setFormError($('#new-group-error'), '');
  renderChips();
  $('#new-group-dialog').showModal();
  $('#group-name-input').focus();
  runSearch();
}

function runSearch() {
  return searchInto($('#group-search-input'), $('#group-search-results'), {
    testid: 'group-search-result',
    errorEl: $('#new-group-error'),
    exclude: (u) => selected.has(u.id),
    onPick: (u) => {
      selected.set(u.id, u);
      renderChips();
      runSearch();
    },
  });
}

function renderChips() {
  const box = $('#group-chips');
  clear(box);
  for (const u of selected.values()) {
    const unpick = () => {
      selected.delete(u.id);
      renderChips();
      runSearch();
    };
    box.appendChild(
      h(
        'span.chip',
        { testid: 'group-chip', dataset: { username: u.username } },
        u.username,
        h('button', { type: 'button', 'aria-label': `Remove ${u.username}`, onclick: unpick }, '×'),
      ),
    );
  }
}

async function onCreateGroup(event) {
  event.preventDefault();
  const name = $('#group-name-input').value.trim();
  const error = $('#new-group-error');
  if (!name) return setFormError(error, 'Give the group a name.');
  await withBusy($('[data-testid="group-create-submit"]'), async () => {
    try {
      const chat = await api.createGroup(name, [...selected.keys()]);
      addChat(chat);
      $('#new-group-dialog').close();
      navigate(chat.id);
    } catch (err) {
      setFormError(error, err.message);
    }
  });
}
