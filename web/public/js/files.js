// Files: uploading one (POST /api/v1/files over XMLHttpRequest, for its progress and abort()), and what every
// view needs to show an attachment: a human size, a label for previews, and the signed URLs the server gives
// (same-origin paths that work without a token for 10–20 minutes).

import { describeError } from './api.js';
import { state } from './state.js';

/** A message holds at most this many files (the server's limit). */
export const MAX_ATTACHMENTS = 10;

/** An upload that failed: `status` 0 when the server could not be reached, `aborted` when cancelled. */
export class UploadError extends Error {
  constructor(status, message, { aborted = false } = {}) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
    this.aborted = aborted;
  }
}

/**
 * Uploads `file` as a multipart form. Returns {promise, abort}: the promise resolves to the stored file
 * ({id, name, size, content_type, width, height, url, thumbnail}) or rejects with an UploadError; `onProgress`
 * gets the fraction of the bytes sent (0..1). `onUnauthorized`: the token was refused (the session is over).
 */
export function uploadFile(file, { onProgress, onUnauthorized } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/api/v1/files');
    xhr.setRequestHeader('Accept', 'application/json');
    if (state.token) xhr.setRequestHeader('Authorization', `Bearer ${state.token}`);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status === 201 && body && Number.isInteger(body.id)) return resolve(body);
      if (xhr.status === 401) onUnauthorized?.();
      reject(new UploadError(xhr.status, uploadErrorText(xhr.status, body, file)));
    };
    xhr.onerror = () => reject(new UploadError(0, 'Upload failed: cannot reach the server'));
    xhr.onabort = () => reject(new UploadError(0, 'Cancelled', { aborted: true }));
    const form = new FormData();
    form.append('file', file, file.name || 'file');
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

function uploadErrorText(status, body, file) {
  const detail = body && typeof body.detail === 'string' ? body.detail : '';
  if (status === 413) {
    if (/quota/i.test(detail)) return 'Your storage is full: delete some files first';
    // "File too large: at most N bytes" names the limit (also for a body refused from its Content-Length).
    const limit = /at most (\d+) bytes/.exec(detail);
    return limit ? `Too large: a file can be at most ${formatSize(Number(limit[1]))}` : 'Too large to upload';
  }
  if (status === 422 && file.size === 0) return 'The file is empty';
  if (status === 0) return 'Upload failed: cannot reach the server';
  return describeError(body, status);
}

/** "512 B", "1.5 KB", "23 MB": binary units, as file managers show them. */
export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${units[unit]}`;
}

/** "PDF", "TXT": a name's extension for a file card's icon (at most 4 characters), or "". */
export function extensionLabel(name) {
  const m = /\.([A-Za-z0-9]{1,4})$/.exec(String(name || ''));
  return m ? m[1].toUpperCase() : '';
}

/**
 * A file URL we are willing to put in an attribute: a same-origin path of the files API. Anything else (a
 * misbehaving server's `javascript:`, another origin) gives null.
 */
export function safeFileUrl(url) {
  return typeof url === 'string' && /^\/api\/v1\/files\/\d+(\/thumbnail)?(\?[^#\s]*)?$/.test(url) ? url : null;
}

/** An attachment the server verified as an image (only those get a thumbnail, only those are shown inline). */
export function isImage(a) {
  return !!safeFileUrl(a?.thumbnail);
}

/** Whether a signed URL has expired (or will within `marginSeconds`): its `expires` parameter, in Unix seconds. */
export function urlExpired(url, marginSeconds = 5) {
  const m = /[?&]expires=(\d+)/.exec(url || '');
  return !!m && Number(m[1]) - marginSeconds <= Date.now() / 1000;
}

/** What a message of files alone says in a preview (the chat list, a reply quote): "🖼 Photo", "📎 report.pdf". */
export function attachmentsLabel(attachments) {
  const list = attachments || [];
  if (!list.length) return '';
  const images = list.filter(isImage).length;
  if (images === list.length) return images === 1 ? '🖼 Photo' : `🖼 ${images} photos`;
  if (list.length === 1) return `📎 ${list[0].name}`;
  return `📎 ${list.length} files`;
}
