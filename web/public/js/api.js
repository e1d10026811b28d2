// REST client for /api/v1: JSON in and out, bearer token, FastAPI-shaped errors turned into one message.

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status; // 0: the server could not be reached
    this.body = body;
  }
}

/** Turns `{"detail": "..."}` or `{"detail": [{msg, loc}, ...]}` into one readable sentence. */
export function describeError(body, status) {
  const detail = body && body.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((d) => {
        const field = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : '';
        const msg = d.msg || 'Invalid value';
        return field && !String(msg).toLowerCase().includes(String(field)) ? `${field}: ${msg}` : msg;
      })
      .join('; ');
  }
  return `Request failed (HTTP ${status})`;
}

export class Api {
  constructor({ getToken, onUnauthorized }) {
    this.getToken = getToken;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, { json, auth = true } = {}) {
    const headers = { Accept: 'application/json' };
    const token = this.getToken();
    if (auth && token) headers.Authorization = `Bearer ${token}`;
    let body;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    }
    let res;
    try {
      res = await fetch(`/api/v1${path}`, { method, headers, body, cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'Cannot reach the server');
    }
    let data = null;
    const text = await res.text().catch(() => '');
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      if (res.status === 401 && auth && token) this.onUnauthorized?.();
      throw new ApiError(res.status, describeError(data, res.status), data);
    }
    return data;
  }

  /** Revokes `token` on the server (POST /auth/logout). Best effort: signing out here does not wait for it. */
  revoke(token) {
    return fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      keepalive: true,
    }).catch(() => {});
  }

  login(username, password) {
    return this.request('POST', '/auth/login-json', { json: { username, password }, auth: false });
  }
  register(username, email, password) {
    return this.request('POST', '/auth/register', { json: { username, email, password }, auth: false });
  }
  me() {
    return this.request('GET', '/users/me');
  }
  searchUsers(q, limit = 20) {
    return this.request('GET', `/users/search?${new URLSearchParams({ q, limit: String(limit) })}`);
  }
  chats() {
    return this.request('GET', '/chats/');
  }
  chat(id) {
    return this.request('GET', `/chats/${id}`);
  }
  openPrivate(recipientId) {
    return this.request('POST', '/chats/private', { json: { recipient_id: recipientId } });
  }
  createGroup(name, memberIds) {
    return this.request('POST', '/chats/group', { json: { name, member_ids: memberIds } });
  }
  addMember(chatId, userId) {
    return this.request('POST', `/chats/${chatId}/members`, { json: { user_id: userId } });
  }
  removeMember(chatId, userId) {
    return this.request('DELETE', `/chats/${chatId}/members/${userId}`);
  }
  leave(chatId) {
    return this.request('POST', `/chats/${chatId}/leave`);
  }
  markRead(chatId, messageId) {
    return this.request('POST', `/chats/${chatId}/read`, { json: messageId ? { message_id: messageId } : {} });
  }
  renameChat(chatId, name) {
    return this.request('PATCH', `/chats/${chatId}`, { json: { name } });
  }
  /** Messages in ascending order; `query` is {limit} plus at most one cursor (before / after: a message id; before_seq / after_seq). */
  history(chatId, query = {}) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.set(k, String(v));
    return this.request('GET', `/messages/history/${chatId}?${qs}`);
  }
  /**
   * Messages matching `q` (the search language: words, "phrases", -exclusions, from:, in:), newest first:
   * {results: [{message, chat: {id, name}, snippet: [{text, hit}]}], next_before}. `before`: a page's
   * next_before, for the page after it.
   */
  searchMessages(q, { before, chatId, limit } = {}) {
    const qs = new URLSearchParams({ q });
    if (before) qs.set('before', String(before));
    if (chatId) qs.set('chat_id', String(chatId));
    if (limit) qs.set('limit', String(limit));
    return this.request('GET', `/messages/search?${qs}`);
  }
  send(chatId, text, clientMessageId, replyTo = null) {
    return this.request('POST', '/messages/', {
      json: { chat_id: chatId, text, client_message_id: clientMessageId, reply_to: replyTo },
    });
  }
  editMessage(messageId, text) {
    return this.request('PATCH', `/messages/${messageId}`, { json: { text } });
  }
  deleteMessage(messageId) {
    return this.request('DELETE', `/messages/${messageId}`);
  }
  react(messageId, emoji) {
    return this.request('PUT', `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
  }
  unreact(messageId, emoji) {
    return this.request('DELETE', `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
  }
}
