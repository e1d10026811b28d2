// Tiny DOM helpers. Text always goes in through textContent: user-supplied strings are never parsed as HTML.

/**
 * h('div.cls1.cls2', {testid: 'x', onclick, title, ...attrs}, ...children)
 * Children are nodes, strings (set as text) or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'testid') el.dataset.testid = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'className') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);

export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// ---- small UI pieces ---------------------------------------------------------------------------------

export function toast(text) {
  const el = h('div.toast', { testid: 'toast', role: 'status' }, text);
  document.body.appendChild(el);
  setTimeout(() => el.classList.add('leaving'), 3500);
  setTimeout(() => el.remove(), 4000);
}

/** Shows `message` in a form's error line, or hides the line when there is none. */
export function setFormError(el, message) {
  el.hidden = !message;
  el.textContent = message || '';
}

/** Disables `button` (and marks it busy) while `fn` runs. */
export async function withBusy(button, fn) {
  button.disabled = true;
  button.classList.add('busy');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
  }
}

export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/** Grows a textarea with its text, up to 160 px. */
export function autosize(textarea) {
  textarea.style.height = '';
  if (!textarea.value || textarea.offsetParent === null) return; // empty or hidden: the stylesheet's height
  textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 160)}px`;
}

/** A colored circle with initials; the color is stable per name. */
export function avatar(name, { size = '', online = null, testid } = {}) {
  const label = String(name || '?');
  const parts = label.split(/[\s._-]+/).filter(Boolean);
  const initials = ((parts[0]?.[0] || '?') + (parts.length > 1 ? parts[1][0] : label[1] || '')).toUpperCase();
  let hash = 0;
  for (const ch of label) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  const el = h(`span.avatar${size ? `.avatar-${size}` : ''}`, { 'aria-hidden': 'true' }, initials);
  el.style.setProperty('--hue', String(hash % 360));
  if (online !== null) {
    el.appendChild(h(`span.presence-dot${online ? '.online' : ''}`, { testid, title: online ? 'online' : 'offline' }));
  }
  return el;
}

// ---- time -------------------------------------------------------------------------------------------

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export function formatTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : timeFmt.format(d);
}

/** For the chat list: a time today, a weekday this week, else a date. */
export function formatListTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 86400000);
  if (days <= 0) return timeFmt.format(d);
  if (days < 7) return weekdayFmt.format(d);
  return d.getFullYear() === new Date().getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

export function dayKey(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function formatDay(iso) {
  const d = new Date(iso);
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 86400000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return d.getFullYear() === new Date().getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

export function formatLastSeen(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return 'offline';
  const seconds = Math.max(0, (Date.now() - d.getTime()) / 1000);
  if (seconds < 60) return 'last seen just now';
  if (seconds < 3600) return `last seen ${Math.floor(seconds / 60)} min ago`;
  const days = Math.round((startOfDay(new Date()) - startOfDay(d)) / 86400000);
  if (days === 0) return `last seen today at ${timeFmt.format(d)}`;
  if (days === 1) return `last seen yesterday at ${timeFmt.format(d)}`;
  return `last seen ${formatDay(iso)}`;
}
