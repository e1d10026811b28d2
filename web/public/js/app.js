// WinDI Messenger web app: start-up, signing in and out, and which chat is open. No framework; every
// user-supplied string reaches the page through textContent (see dom.js).
//
//   state.js      the data, fed by server frames (one handler per event type); views subscribe to its topics
//   session.js    token, REST client, socket, resume, read positions, typing
//   history.js    message history pages over REST
//   outbox.js     messages we send (queued while offline, retried)
//   views/*.js    one module per part of the screen

import { $, toast } from './dom.js';
import { loadLatest } from './history.js';
import { navigate, routedChatId, setRouteHandler } from './nav.js';
import { isSignedIn, refreshChats, scheduleMarkRead, signOut, socket, tokenChangedElsewhere } from './session.js';
import { emit, msgEntry, on, state } from './state.js';
import { initLightbox } from './views/attachments.js';
import { initAuth, showAuth } from './views/auth.js';
import { initChatHeader } from './views/chat-header.js';
import { focusComposer, initComposer, resetComposer } from './views/composer.js';
import { initMembers } from './views/dialogs/members.js';
import { initNewChat } from './views/dialogs/new-chat.js';
import { initNewGroup } from './views/dialogs/new-group.js';
import { initMessageMenu } from './views/message-menu.js';
import { initMessages, showMessage } from './views/messages.js';
import { initSearch, resetSearch } from './views/search.js';
import { clearChatList, initSidebar, renderMe } from './views/sidebar.js';

async function startApp() {
  $('#auth-screen').hidden = true;
  $('#app-screen').hidden = false;
  renderMe();
  emit('connection', 'connecting');
  await refreshChats();
  if (!isSignedIn()) return; // the token was refused: back on the sign-in screen
  route();
  socket.start();
}

function onSignedOut(message) {
  resetComposer();
  resetSearch();
  if (location.hash) history.replaceState(null, '', location.pathname);
  clearChatList();
  showAuth(message);
}

function route() {
  const id = routedChatId();
  openChat(id && state.chats.has(id) ? id : null);
}

/** A message to show once its chat opens (a search result): {chatId, messageId, seq}. */
let pendingFocus = null;

async function showFoundMessage(target) {
  if (!state.chats.has(target.chatId)) await refreshChats(); // a chat we have not heard of yet
  if (!state.chats.has(target.chatId)) return toast('That chat is no longer available.');
  pendingFocus = target;
  navigate(target.chatId);
}

function openChat(chatId) {
  const focus = pendingFocus && pendingFocus.chatId === chatId ? pendingFocus : null;
  pendingFocus = null;
  const changed = state.openChatId !== chatId;
  if (changed) resetComposer();
  state.openChatId = chatId;
  document.body.classList.toggle('chat-open', !!chatId);
  $('#chat-placeholder').hidden = !!chatId;
  $('#chat-view').hidden = !chatId;
  if (chatId) $('#chat-view').dataset.chatId = String(chatId);
  emit('open', chatId, { changed });
  if (!chatId) return;
  const entry = msgEntry(chatId);
  if (focus) {
    if (entry.loaded) emit('messages', chatId); // what is loaded, in case the message is among it
    showMessage(chatId, focus.messageId, focus.seq);
    if (entry.loaded && entry.atEnd) scheduleMarkRead(chatId);
  } else if (!entry.loaded || (changed && !entry.atEnd)) {
    loadLatest(chatId); // its newest messages, even if the chat was left further back in its history
  } else {
    emit('messages', chatId, { toBottom: changed });
    scheduleMarkRead(chatId);
  }
  if (changed && window.matchMedia('(min-width: 761px)').matches) focusComposer();
}

function wire() {
  initAuth();
  initSidebar();
  initChatHeader();
  initMessages();
  initMessageMenu();
  initComposer();
  initLightbox();
  initNewChat();
  initNewGroup();
  initMembers();
  initSearch();

  on('signed-in', startApp);
  on('signed-out', onSignedOut);
  on('notice', toast);
  on('chat-removed', (chatId) => state.openChatId === chatId && navigate(null));
  on('show-message', showFoundMessage);

  $('#logout-button').addEventListener('click', () => signOut());
  $('#back-button').addEventListener('click', () => navigate(null));
  for (const btn of document.querySelectorAll('dialog [data-close]')) {
    btn.addEventListener('click', () => btn.closest('dialog').close());
  }
  setRouteHandler(route);
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.openChatId) scheduleMarkRead(state.openChatId);
  });
  window.addEventListener('focus', () => state.openChatId && scheduleMarkRead(state.openChatId));
  window.addEventListener('storage', (e) => {
    if (tokenChangedElsewhere(e.key, e.newValue)) location.reload();
  });
}

wire();
if (isSignedIn()) startApp();
else showAuth();
