// Files attached in the composer, before they are sent. They come from the paperclip (a file picker), from a
// drop on the chat (a drop zone shows while files are dragged over it) or from a paste into the input. Each
// uploads at once and shows as a chip above the input: a preview or an icon, the name, the size, a progress
// bar while it uploads, ✕ to cancel or remove it, and why it failed when it did.
//
// The rule for sending is kept simple: Send works when no upload is in flight and there is text or at least
// one finished file; sending takes the finished files and empties the tray (failed chips go with it).
//
// The local preview is drawn on a canvas: the page's Content-Security-Policy allows images only from our
// origin and data: URLs, so a blob: URL from URL.createObjectURL would not load.

import { $, clear, h, toast } from '../dom.js';
import { MAX_ATTACHMENTS, extensionLabel, formatSize, isImage, uploadFile } from '../files.js';
import { api } from '../session.js';
import { state } from '../state.js';
import { fileGlyph } from './attachments.js';

const PREVIEW_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const PREVIEW_MAX_BYTES = 30 * 1024 * 1024; // larger photos are not decoded just for a 48 px preview
const PREVIEW_PX = 96; // the canvas: 48 CSS px at twice the density

/** {key, file, status: 'uploading' | 'done' | 'error', progress, stored, error, abort, el} */
let items = [];
let nextKey = 1;
let hooks = { onChange() {}, canAttach: () => true };

/**
 * `onChange()`: the tray changed (the composer then updates Send). `canAttach()`: whether files may be added
 * now (not while editing a message, which keeps its files as they are).
 */
export function initAttachTray({ onChange, canAttach }) {
  hooks = { onChange, canAttach };
  const input = $('#attach-input');
  $('#attach-button').addEventListener('click', () => {
    if (!hooks.canAttach()) return toast('Finish editing the message first.');
    input.click();
  });
  input.addEventListener('change', () => {
    attachFiles(input.files);
    input.value = ''; // the same file can be picked again
  });
  $('#composer-input').addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (!files.length) return;
    e.preventDefault(); // the files are the paste; a copied image's file name is not wanted as text
    attachFiles(files);
  });
  wireDrop();
}

/** Adds files to the tray and starts uploading each. */
export function attachFiles(fileList) {
  const files = [...(fileList || [])];
  if (!files.length || !state.openChatId) return;
  if (!hooks.canAttach()) return toast('Finish editing the message first.');
  const room = MAX_ATTACHMENTS - items.filter((i) => i.status !== 'error').length;
  if (files.length > room) toast(`A message can hold at most ${MAX_ATTACHMENTS} files.`);
  for (const file of files.slice(0, Math.max(0, room))) start(file);
  render();
}

/** The uploaded files, in the order they were attached. */
export function readyFiles() {
  return items.filter((i) => i.status === 'done').map((i) => i.stored);
}

export function uploadsInFlight() {
  return items.some((i) => i.status === 'uploading');
}

/** Empties the tray, cancelling uploads still in flight (sent, another chat opened, signed out). */
export function clearAttachTray() {
  for (const i of items) if (i.status === 'uploading') i.abort();
  items = [];
  render();
}

function start(file) {
  const item = { key: nextKey++, file, status: 'uploading', progress: 0, stored: null, error: '', abort: () => {}, el: null };
  const upload = uploadFile(file, {
    onProgress: (fraction) => {
      item.progress = fraction;
      update(item);
    },
    onUnauthorized: () => api.onUnauthorized?.(),
  });
  item.abort = upload.abort;
  upload.promise.then(
    (stored) => {
      if (!items.includes(item)) return;
      item.status = 'done';
      item.stored = stored;
      item.progress = 1;
      // The server judges the bytes: what it did not verify as an image loses its local preview.
      if (!isImage(stored)) showIcon(item);
      update(item);
      hooks.onChange();
    },
    (err) => {
      if (err.aborted || !items.includes(item)) return;
      item.status = 'error';
      item.error = err.message;
      update(item);
      hooks.onChange();
    },
  );
  items.push(item);
  item.el = chip(item);
  preview(item);
}

function remove(item) {
  if (item.status === 'uploading') item.abort();
  items = items.filter((i) => i !== item);
  render();
  $('#composer-input').focus();
}

// ---- the chips ------------------------------------------------------------------------------------------

function render() {
  const tray = $('#attach-tray');
  clear(tray);
  for (const item of items) tray.appendChild(item.el);
  tray.hidden = items.length === 0;
  hooks.onChange();
}

function chip(item) {
  const name = item.file.name || 'file';
  const el = h(
    'li.pending-file',
    { testid: 'pending-file', dataset: { name } },
    h('span.pending-file-preview', {}, icon(name)),
    h(
      'span.pending-file-main',
      {},
      h('span.pending-file-name', { testid: 'pending-file-name', title: name }, name),
      h('span.pending-file-status', { testid: 'pending-file-status' }),
      h('span.pending-file-progress', { testid: 'pending-file-progress', 'aria-hidden': 'true' }, h('span.bar')),
    ),
    h('button.pending-file-remove', {
      type: 'button',
      testid: 'pending-file-remove',
      onclick: () => remove(item),
    }),
  );
  item.el = el;
  update(item);
  return el;
}

function icon(name) {
  const ext = extensionLabel(name);
  return h('span.file-icon', { 'aria-hidden': 'true' }, fileGlyph(), ext ? h('span.file-ext', {}, ext) : null);
}

/** The chip's state, status line, progress and button label, in place (progress comes many times a second). */
function update(item) {
  const el = item.el;
  if (!el) return;
  el.dataset.state = item.status;
  const name = item.file.name || 'file';
  const status = el.querySelector('.pending-file-status');
  const size = formatSize(item.file.size);
  if (item.status === 'uploading') status.textContent = `${size} · ${Math.floor(item.progress * 100)}%`;
  else if (item.status === 'done') status.textContent = size;
  else status.textContent = item.error;
  status.dataset.testid = item.status === 'error' ? 'pending-file-error' : 'pending-file-status';
  status.setAttribute('role', item.status === 'error' ? 'alert' : 'status');
  el.querySelector('.pending-file-progress').style.setProperty('--progress', String(item.progress));
  const button = el.querySelector('.pending-file-remove');
  const label = item.status === 'uploading' ? `Cancel uploading ${name}` : `Remove ${name}`;
  button.setAttribute('aria-label', label);
  button.title = item.status === 'uploading' ? 'Cancel upload' : 'Remove';
  button.textContent = '✕';
}

/** A small picture of an image being attached, decoded here (see the note at the top about blob: URLs). */
async function preview(item) {
  const { file } = item;
  if (!PREVIEW_TYPES.has(file.type) || file.size > PREVIEW_MAX_BYTES || typeof createImageBitmap !== 'function') return;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return; // not decodable: the icon stays
  }
  if (!items.includes(item) || (item.stored && !isImage(item.stored))) return bitmap.close();
  const canvas = h('canvas', { width: PREVIEW_PX, height: PREVIEW_PX, testid: 'pending-file-preview' });
  // Cover: the middle square of the picture.
  const side = Math.min(bitmap.width, bitmap.height);
  const sx = (bitmap.width - side) / 2;
  const sy = (bitmap.height - side) / 2;
  canvas.getContext('2d').drawImage(bitmap, sx, sy, side, side, 0, 0, PREVIEW_PX, PREVIEW_PX);
  bitmap.close();
  const slot = item.el.querySelector('.pending-file-preview');
  clear(slot);
  slot.appendChild(canvas);
  slot.classList.add('picture');
}

function showIcon(item) {
  const slot = item.el?.querySelector('.pending-file-preview');
  if (!slot || !slot.classList.contains('picture')) return;
  clear(slot);
  slot.classList.remove('picture');
  slot.appendChild(icon(item.file.name || 'file'));
}

// ---- dropping files on the chat -------------------------------------------------------------------------

const carriesFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');

function wireDrop() {
  const view = $('#chat-view');
  const zone = $('#drop-zone');
  let depth = 0; // dragenter/dragleave pairs of the view's descendants
  const show = (on) => {
    zone.hidden = !on;
    if (!on) depth = 0;
  };
  view.addEventListener('dragenter', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    depth += 1;
    show(true);
  });
  view.addEventListener('dragover', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = hooks.canAttach() ? 'copy' : 'none';
  });
  view.addEventListener('dragleave', (e) => {
    if (!carriesFiles(e)) return;
    depth -= 1;
    if (depth <= 0) show(false);
  });
  view.addEventListener('drop', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    show(false);
    attachFiles(e.dataTransfer.files);
    $('#composer-input').focus();
  });
  // Elsewhere in the window a dropped file would replace the app with the file: refuse it.
  window.addEventListener('dragover', (e) => {
    if (!carriesFiles(e) || view.contains(e.target)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'none';
  });
  window.addEventListener('drop', (e) => {
    if (carriesFiles(e)) e.preventDefault();
    show(false);
  });
  window.addEventListener('dragend', () => show(false));
}
