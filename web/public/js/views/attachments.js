// A message's files in the thread: images the server verified (those with a `thumbnail`) as previews sized
// from their width and height before they load, opening full size in a lightbox; every other file as a card
// (icon, name, size) that downloads it. Names are text, never HTML, and a file the server did not verify as an
// image is never shown inline: its URL is only ever a download.
//
// The signed URLs expire after 10–20 minutes. A message fetched again comes with fresh ones, so opening a file
// whose URL has expired (or a preview that fails to load) fetches its message again first.

import { $, h, setText } from '../dom.js';
import { extensionLabel, formatSize, isImage, safeFileUrl, urlExpired } from '../files.js';
import { api } from '../session.js';
import { emit, putMessages, state } from '../state.js';

const IMAGE_MAX_WIDTH = 280; // a lone image's box; the stylesheet shrinks it further on narrow screens
const IMAGE_MAX_HEIGHT = 320;

/** The files of a message (or of a pending send), or null when it has none. */
export function renderAttachments(attachments) {
  const list = (attachments || []).filter((a) => safeFileUrl(a?.url));
  if (!list.length) return null;
  const images = list.filter(isImage);
  const files = list.filter((a) => !isImage(a));
  return h(
    'div.attachments',
    { testid: 'attachments' },
    images.length
      ? h(
          `div.attachment-images${images.length > 1 ? '.grid' : ''}`,
          { dataset: { count: String(images.length) } },
          images.map((a) => imageTile(a, images.length === 1)),
        )
      : null,
    files.length ? h('div.attachment-files', {}, files.map(fileCard)) : null,
  );
}

const GRID_WIDTH = 2 * 140 + 3; // two squares and the gap between them (the stylesheet's grid)
const CARD_WIDTH = 260; // room for a file's name before it wraps
const MIN_WIDTH = 150; // a caption, or the time over a tiny picture, still fits

/**
 * The width of a bubble with files: its pictures' (or its cards'), so that a caption wraps under them rather
 * than stretching the bubble. The stylesheet caps it at the width of the row on narrow screens.
 */
export function mediaWidth(attachments) {
  const list = (attachments || []).filter((a) => safeFileUrl(a?.url));
  const images = list.filter(isImage);
  let width = MIN_WIDTH;
  if (images.length === 1) width = Math.max(width, displaySize(images[0], true).width);
  if (images.length > 1) width = Math.max(width, GRID_WIDTH);
  if (images.length < list.length) width = Math.max(width, CARD_WIDTH);
  return width;
}

/** Whether a bubble shows images and nothing else (its time then sits over the picture). */
export function mediaOnly(text, attachments) {
  const list = attachments || [];
  return !text && list.length > 0 && list.every(isImage);
}

function imageTile(a, alone) {
  const { width, height } = displaySize(a, alone);
  const img = h('img', {
    src: safeFileUrl(a.thumbnail),
    alt: a.name,
    width,
    height,
    loading: 'lazy',
    decoding: 'async',
    draggable: 'false',
  });
  return h(
    'button.attachment-image',
    {
      type: 'button',
      testid: 'attachment-image',
      dataset: { attachment: String(a.id), kind: 'image' },
      title: a.name,
      'aria-label': `Open image ${a.name}`,
    },
    img,
  );
}

/** A lone image keeps its proportions within the box; several share a grid of squares. */
function displaySize(a, alone) {
  const w = Number(a.width) || 0;
  const hgt = Number(a.height) || 0;
  if (!alone) return { width: 140, height: 140 };
  if (!w || !hgt) return { width: 240, height: 180 };
  const scale = Math.min(1, IMAGE_MAX_WIDTH / w, IMAGE_MAX_HEIGHT / hgt);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(hgt * scale)) };
}

function fileCard(a) {
  const ext = extensionLabel(a.name);
  return h(
    'a.file-card',
    {
      testid: 'attachment-file',
      href: safeFileUrl(a.url),
      download: a.name,
      rel: 'noopener',
      dataset: { attachment: String(a.id), kind: 'file' },
      title: `Download ${a.name}`,
    },
    h('span.file-icon', { 'aria-hidden': 'true' }, fileGlyph(), ext ? h('span.file-ext', {}, ext) : null),
    h(
      'span.file-main',
      {},
      h('span.file-name', { testid: 'attachment-name' }, a.name),
      h('span.file-size', { testid: 'attachment-size' }, formatSize(a.size)),
    ),
  );
}

/** A sheet with a folded corner (h() makes HTML elements; an icon needs the SVG namespace). */
export function fileGlyph() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  for (const d of ['M6 3h8l5 5v13H6z', 'M14 3v5h5']) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

// ---------------------------------------------------------------------------------------------------------
// Opening: the lightbox for images, the download for files; fresh URLs first when they have expired.

/**
 * A click on an attachment of a row (delegated from the message list). `resolve(fileId)` gives the attachment
 * as the app holds it now; `source` is {chatId, messageId} for a stored message (null for a pending send).
 */
export async function openAttachment(e, el, resolve, source) {
  const fileId = Number(el.dataset.attachment);
  let a = resolve(fileId);
  if (!a) return;
  const expired = urlExpired(a.url);
  if (el.dataset.kind === 'file' && !expired) return; // the link downloads it
  e.preventDefault();
  if (expired && source) {
    await refreshMessage(source.chatId, source.messageId);
    a = resolve(fileId) || a;
  }
  if (el.dataset.kind === 'image') openLightbox(a);
  else download(a);
}

function download(a) {
  const url = safeFileUrl(a.url);
  if (!url) return;
  const link = h('a', { href: url, download: a.name, rel: 'noopener', hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
}

const refreshed = new Map(); // message id -> when it was last fetched again (at most once a minute)

/** Fetches a stored message again (fresh signed URLs) and shows it; resolves once done. */
export async function refreshMessage(chatId, messageId) {
  const entry = state.msgs.get(chatId);
  const m = entry?.byId.get(messageId);
  if (!m) return;
  const last = refreshed.get(messageId) || 0;
  if (Date.now() - last < 60_000) return;
  refreshed.set(messageId, Date.now());
  try {
    const page = await api.history(chatId, { after_seq: m.seq - 1, limit: 1 });
    const fresh = page.find((x) => x.id === messageId);
    // Only into the same window, where the message still is: never a stray message outside it.
    if (!fresh || state.msgs.get(chatId) !== entry || !entry.byId.has(messageId)) return;
    putMessages(chatId, [fresh]);
    emit('messages', chatId);
  } catch {
    // the next click tries again after a minute; the old URL is used meanwhile
  }
}

// ---- the lightbox ---------------------------------------------------------------------------------------

export function initLightbox() {
  const dialog = $('#lightbox');
  // Any click closes it but one on the download link; Escape closes a modal dialog by itself.
  dialog.addEventListener('click', (e) => {
    if (!e.target.closest('#lightbox-download')) dialog.close();
  });
  dialog.addEventListener('close', () => {
    const img = $('#lightbox-image');
    img.removeAttribute('src'); // stops a large image still loading
    img.onload = null;
  });
}

/** Shows an image full size: the thumbnail at once (already loaded), the original in its place once it is in. */
export function openLightbox(a) {
  const url = safeFileUrl(a.url);
  const thumb = safeFileUrl(a.thumbnail);
  if (!url || !thumb) return; // only images the server verified are ever shown inline
  const dialog = $('#lightbox');
  const img = $('#lightbox-image');
  img.alt = a.name;
  if (a.width && a.height) {
    img.width = a.width;
    img.height = a.height;
  }
  img.dataset.full = 'false';
  img.src = thumb;
  const full = new Image();
  full.onload = () => {
    if (!dialog.open || img.dataset.for !== String(a.id)) return;
    img.src = url;
    img.dataset.full = 'true';
  };
  img.dataset.for = String(a.id);
  full.src = url;
  setText($('#lightbox-name'), a.name);
  setText($('#lightbox-size'), [a.width && a.height ? `${a.width}×${a.height}` : '', formatSize(a.size)].filter(Boolean).join(' · '));
  const link = $('#lightbox-download');
  link.href = url;
  link.download = a.name;
  if (!dialog.open) dialog.showModal();
}
