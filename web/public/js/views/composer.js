// The composer: the message input, Enter to send, telling the others that I am typing, and its two modes
// with a bar above the input: replying to a message (the quote, ✕ to cancel) and editing one of mine (Up in
// an empty composer edits my last message; Escape cancels either). Files attached wait in the tray above the
// input (attach-tray.js) and go with the next message.

import { $, autosize, setText, toast } from '../dom.js';
import { attachmentsLabel } from '../files.js';
import { ensureLatest } from '../history.js';
import { MAX_MESSAGE_CHARS, editMessage, sendMessage } from '../outbox.js';
import { sendTyping } from '../session.js';
import { lastOwnMessage, on, quoteText, state } from '../state.js';
import { clearAttachTray, initAttachTray, readyFiles, uploadsInFlight } from './attach-tray.js';

const TYPING_RESEND_MS = 3000; // the server's indicator lasts 6 s; refresh it well before
const TYPING_IDLE_MS = 4000; // stop "typing" after this long without a keystroke

const typingState = { chatId: null, lastSentAt: 0, idleTimer: null };

/** null, or {kind: 'reply' | 'edit', chatId, message, draft (what the input held before an edit)}. */
let mode = null;

export function initComposer() {
  const input = $('#composer-input');
  initAttachTray({ onChange: updateSendButton, canAttach: () => mode?.kind !== 'edit' });
  input.addEventListener('input', onInput);
  input.addEventListener('blur', stopTyping);
  input.addEventListener('keydown', (e) => {
    if (e.isComposing) return;
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('#composer').requestSubmit();
    } else if (e.key === 'Escape' && mode) {
      e.preventDefault();
      cancelMode();
    } else if (e.key === 'ArrowUp' && input.value === '' && mode?.kind !== 'edit') {
      const mine = state.openChatId && lastOwnMessage(state.openChatId);
      if (mine) {
        e.preventDefault();
        startEdit(mine);
      }
    }
  });
  $('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  $('#composer-context-cancel').addEventListener('click', () => {
    cancelMode();
    input.focus();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') stopTyping();
  });
  // The message answered or edited changed: follow its text, or drop the mode when it is gone.
  on('messages', (chatId) => {
    if (!mode || mode.chatId !== chatId) return;
    const m = state.msgs.get(chatId)?.byId.get(mode.message.id);
    if (m && !m.deleted) {
      mode.message = m;
      renderContext();
      return;
    }
    if (m?.deleted) {
      toast(mode.kind === 'edit' ? 'The message you were editing was deleted.' : 'The message you were replying to was deleted.');
      cancelMode();
    }
  });
}

function submit() {
  const input = $('#composer-input');
  const text = input.value.trim();
  if (mode?.kind === 'edit') {
    if (!text) return toast('A message cannot be empty. Use Delete to remove it.');
    if ([...text].length > MAX_MESSAGE_CHARS) return toast(`A message can be at most ${MAX_MESSAGE_CHARS} characters long.`);
    editMessage(mode.message, text);
    cancelMode();
    input.focus();
    return;
  }
  // Enter submits even while Send is disabled: the same rule as the button.
  if (uploadsInFlight()) return toast('Wait until the files have uploaded.');
  const files = readyFiles();
  if (!text && !files.length) return;
  if ([...text].length > MAX_MESSAGE_CHARS) return toast(`A message can be at most ${MAX_MESSAGE_CHARS} characters long.`);
  const replyTo = mode?.kind === 'reply' ? mode.message : null;
  input.value = '';
  clearAttachTray();
  mode = null;
  renderContext();
  onInput();
  stopTyping();
  ensureLatest(state.openChatId); // a message goes after the newest: show them, not an older stretch
  sendMessage(state.openChatId, text, replyTo, files);
  input.focus();
}

export function startReply(m) {
  if (mode?.kind === 'edit') cancelMode();
  mode = { kind: 'reply', chatId: m.chat_id, message: m };
  renderContext();
  focusComposer();
}

export function startEdit(m) {
  const input = $('#composer-input');
  const draft = mode?.kind === 'edit' ? mode.draft : input.value;
  stopTyping();
  mode = { kind: 'edit', chatId: m.chat_id, message: m, draft };
  input.value = m.text;
  renderContext();
  onInput();
  focusComposer();
  input.setSelectionRange(input.value.length, input.value.length);
}

function cancelMode() {
  if (!mode) return;
  const input = $('#composer-input');
  if (mode.kind === 'edit') input.value = mode.draft;
  mode = null;
  renderContext();
  onInput();
}

function renderContext() {
  const bar = $('#composer-context');
  bar.hidden = !mode;
  $('#attach-button').disabled = mode?.kind === 'edit'; // an edit changes the text only
  $('#composer-input').placeholder = !mode ? 'Write a message…' : mode.kind === 'edit' ? 'Edit the message…' : 'Write a reply…';
  if (!mode) return;
  bar.dataset.mode = mode.kind;
  const m = mode.message;
  setText($('#composer-context-title'), mode.kind === 'edit' ? 'Edit message' : `Reply to ${m.sender_username}`);
  setText($('#composer-context-text'), quoteText(m.text) || attachmentsLabel(m.attachments));
}

/** Empties the composer (another chat opened, or signed out). */
export function resetComposer() {
  stopTyping();
  mode = null;
  renderContext();
  $('#composer-input').value = '';
  clearAttachTray();
  onInput();
}

export function focusComposer() {
  $('#composer-input').focus();
}

function onInput() {
  const input = $('#composer-input');
  autosize(input);
  updateSendButton();
  const chatId = state.openChatId;
  if (!chatId) return;
  if (input.value.trim().length === 0 || mode?.kind === 'edit') return stopTyping();
  const now = Date.now();
  if (typingState.chatId !== chatId || now - typingState.lastSentAt > TYPING_RESEND_MS) {
    if (typingState.chatId && typingState.chatId !== chatId) stopTyping();
    if (sendTyping(chatId, true)) {
      typingState.chatId = chatId;
      typingState.lastSentAt = now;
    }
  }
  clearTimeout(typingState.idleTimer);
  typingState.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

/** Send: text, or files uploaded and none still uploading (an edit: text). */
function updateSendButton() {
  const hasText = $('#composer-input').value.trim().length > 0;
  const button = $('#send-button');
  if (mode?.kind === 'edit') {
    button.disabled = !hasText;
    return;
  }
  const waiting = uploadsInFlight();
  button.disabled = waiting || (!hasText && readyFiles().length === 0);
  button.title = waiting ? 'Waiting for the files to upload…' : '';
}

function stopTyping() {
  clearTimeout(typingState.idleTimer);
  if (typingState.chatId) sendTyping(typingState.chatId, false);
  typingState.chatId = null;
  typingState.lastSentAt = 0;
}
