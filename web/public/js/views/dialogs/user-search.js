// People search shared by the dialogs: a list of users to pick from.

import { avatar, clear, h, setFormError } from '../../dom.js';
import { api } from '../../session.js';
import { state } from '../../state.js';

function userRow(user, { testid, action, online }) {
  return h(
    'li.user-row',
    { testid, dataset: { userId: String(user.id), username: user.username } },
    h(
      'button.user-row-btn',
      { type: 'button', onclick: action },
      avatar(user.username, { online: online ?? null }),
      h('span.user-row-name', {}, user.username),
    ),
  );
}

/** Searches for the input's text and lists the results in `ul`; `onPick(user)` when one is clicked. */
export async function searchInto(input, ul, { testid, exclude = () => false, onPick, errorEl }) {
  const q = input.value.trim();
  let users;
  try {
    users = await api.searchUsers(q, 20);
  } catch (err) {
    setFormError(errorEl, err.message);
    return;
  }
  if (input.value.trim() !== q) return; // a newer search is on its way
  setFormError(errorEl, '');
  clear(ul);
  const shown = users.filter((u) => !exclude(u));
  if (shown.length === 0) {
    ul.appendChild(h('li.user-empty.muted', {}, q ? `Nobody named "${q}…"` : 'Nobody to add'));
    return;
  }
  for (const u of shown) ul.appendChild(userRow(u, { testid, online: state.online.has(u.id), action: () => onPick(u) }));
}
