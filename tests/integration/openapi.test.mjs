// The OpenAPI document (docs/openapi.json, served at /openapi.json with Swagger UI at /docs) against the real
// server: the document is valid OpenAPI 3.1 in shape, every documented route exists, and the real answers of the
// main routes, errors included, conform to the schemas documented for their status codes.
//
// The conformance checks read docs/openapi.json from the repository (the file the binary embeds at build time),
// so they pin the document to the server's behaviour; the /openapi.json and /docs checks pin what is served.
// No dependencies: a small JSON Schema checker below covers the subset the document uses.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { REPO_ROOT, forEachBackend, uniqueName } from './harness.mjs';

const SPEC_FILE = path.join(REPO_ROOT, 'docs', 'openapi.json');
const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8'));

// ---------------------------------------------------------------------------------------------------------
// A JSON Schema checker for the subset the document uses: $ref (local), type (one or a list, "integer" and
// "null" included), properties, required, additionalProperties, items, enum, const, anyOf, oneOf, allOf,
// minimum, maximum, minLength, maxLength (in code points), pattern, minItems, maxItems, format date-time.

function resolvePointer(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) throw new Error(`unresolvable $ref ${ref}`);
    node = node[key];
  }
  return node;
}

function deref(doc, node) {
  let seen = 0;
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (++seen > 32) throw new Error(`$ref cycle at ${node.$ref}`);
    node = resolvePointer(doc, node.$ref);
  }
  return node;
}

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // string, boolean, object
}

function typeMatches(value, type) {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Returns a list of "path: problem" strings; empty when `value` conforms to `schema`. */
export function validate(doc, schema, value, where = '$') {
  schema = deref(doc, schema);
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [`${where}: no value is allowed here`];
  const errors = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(value, t))) {
      return [`${where}: expected ${types.join(' or ')}, got ${typeOf(value)} ${JSON.stringify(value)?.slice(0, 80)}`];
    }
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    errors.push(`${where}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (schema.allOf) {
    for (const [i, sub] of schema.allOf.entries()) errors.push(...validate(doc, sub, value, `${where}(allOf ${i})`));
  }
  if (schema.anyOf && !schema.anyOf.some((sub) => validate(doc, sub, value, where).length === 0)) {
    const why = schema.anyOf.map((sub) => validate(doc, sub, value, where).join('; ')).join(' | ');
    errors.push(`${where}: matches none of anyOf (${why})`);
  }
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((sub) => validate(doc, sub, value, where).length === 0).length;
    if (matching !== 1) errors.push(`${where}: matches ${matching} of oneOf, expected exactly 1`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${where}: ${value} < minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${where}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) errors.push(`${where}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`${where}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
    if (schema.format === 'date-time' && !(DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))) {
      errors.push(`${where}: ${JSON.stringify(value)} is not an RFC 3339 date-time`);
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${where}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${where}: more than ${schema.maxItems} items`);
    if (schema.items !== undefined) {
      value.forEach((item, i) => errors.push(...validate(doc, schema.items, item, `${where}[${i}]`)));
    }
  }
  if (typeOf(value) === 'object') {
    const properties = schema.properties ?? {};
    for (const key of schema.required ?? []) {
      if (!(key in value)) errors.push(`${where}: missing required property "${key}"`);
    }
    for (const [key, item] of Object.entries(value)) {
      if (key in properties) {
        errors.push(...validate(doc, properties[key], item, `${where}.${key}`));
      } else if (schema.additionalProperties === false) {
        errors.push(`${where}: undocumented property "${key}"`);
      } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        errors.push(...validate(doc, schema.additionalProperties, item, `${where}.${key}`));
      }
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Conformance of one real answer to the document

/** The documented response object for `method path status` (a $ref resolved), or undefined. */
function documentedResponse(method, route, status) {
  const operation = spec.paths[route]?.[method.toLowerCase()];
  assert.ok(operation, `${method} ${route} is not in the document`);
  const response = operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`];
  return response && deref(spec, response);
}

/**
 * Asserts that `res` (from Api.request) is a documented answer of `method route` and that its body conforms to
 * the schema documented for its status. Returns the body.
 */
function conforms(res, method, route, expectedStatus) {
  if (expectedStatus !== undefined) {
    assert.equal(res.status, expectedStatus, `${method} ${route}: expected ${expectedStatus}, got ${res.status}: ${res.text.slice(0, 300)}`);
  }
  const documented = documentedResponse(method, route, res.status);
  assert.ok(documented, `${method} ${route} answered ${res.status}, which the document does not list: ${res.text.slice(0, 300)}`);
  const media = documented.content?.['application/json'];
  assert.ok(media, `${method} ${route} ${res.status}: the document gives no application/json body`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${route} ${res.status}: content type`);
  assert.notEqual(res.body, null, `${method} ${route} ${res.status}: body is not JSON: ${res.text.slice(0, 200)}`);
  const errors = validate(spec, media.schema, res.body);
  assert.deepEqual(errors, [], `${method} ${route} ${res.status} does not conform:\n${errors.join('\n')}\nbody: ${res.text.slice(0, 1500)}`);
  for (const [name, header] of Object.entries(documented.headers ?? {})) {
    const value = res.headers.get(name);
    assert.notEqual(value, null, `${method} ${route} ${res.status}: documented header ${name} is missing`);
    assert.deepEqual(validate(spec, deref(spec, header).schema, value), [], `${method} ${route} ${res.status}: header ${name}`);
  }
  return res.body;
}

// ---------------------------------------------------------------------------------------------------------
// The document by itself

describe('docs/openapi.json', () => {
  it('is OpenAPI 3.1 with info, paths and components', () => {
    assert.match(spec.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof spec.info.title, 'string');
    assert.equal(typeof spec.info.version, 'string');
    assert.ok(Object.keys(spec.paths).length > 0);
    for (const name of ['User', 'UserPublic', 'Chat', 'ChatSummary', 'ChatMember', 'Message', 'Token', 'Error', 'ValidationError']) {
      assert.ok(spec.components.schemas[name], `components.schemas.${name}`);
    }
    assert.equal(spec.components.securitySchemes.HTTPBearer.scheme, 'bearer');
    assert.equal(spec.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/api/v1/auth/login');
  });

  it('resolves every $ref, and every operation has an id and responses', () => {
    const walk = (node, where) => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
      if (!node || typeof node !== 'object') return;
      if (typeof node.$ref === 'string') assert.doesNotThrow(() => resolvePointer(spec, node.$ref), `${where}.$ref`);
      for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
    };
    walk(spec, '$');
    const ids = new Set();
    for (const [route, item] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(operation.operationId, `${method} ${route}: operationId`);
        assert.ok(!ids.has(operation.operationId), `duplicate operationId ${operation.operationId}`);
        ids.add(operation.operationId);
        assert.ok(Object.keys(operation.responses ?? {}).length > 0, `${method} ${route}: responses`);
        for (const p of route.match(/\{[^}]+\}/g) ?? []) {
          const name = p.slice(1, -1);
          assert.ok(
            (operation.parameters ?? []).some((q) => q.in === 'path' && q.name === name && q.required === true),
            `${method} ${route}: path parameter ${name} is declared`,
          );
        }
      }
    }
  });

  it('documents the examples it gives: every schema example conforms to its schema', () => {
    for (const [name, schema] of Object.entries(spec.components.schemas)) {
      if (schema.example === undefined) continue;
      assert.deepEqual(validate(spec, schema, schema.example), [], `components.schemas.${name}.example`);
    }
    for (const [route, item] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, r] of Object.entries(operation.responses)) {
          const media = deref(spec, r).content?.['application/json'];
          if (!media) continue;
          const examples = media.example !== undefined ? [media.example] : Object.values(media.examples ?? {}).map((e) => e.value);
          for (const example of examples) {
            assert.deepEqual(validate(spec, media.schema, example), [], `${method} ${route} ${status} example`);
          }
        }
      }
    }
  });

  it('describes the WebSocket protocol in info.description', () => {
    const text = spec.info.description;
    for (const needle of [
      '/api/v1/ws/chat', '?token=', 'Sec-WebSocket-Protocol: bearer', '"action": "auth"',
      'send_message', 'typing', 'mark_read', 'sync', 'ping',
      'connected', 'new_message', 'message_sent', 'message_read', 'typing_indicator', 'user_status', 'pong', 'error',
      'resync_required', 'online_user_ids', 'client_message_id', 'duplicate',
      '1001', '1008', '1009', '4008',
    ]) {
      assert.ok(text.includes(needle), `info.description mentions ${needle}`);
    }
    assert.ok(spec.paths['/api/v1/ws/chat']?.get, 'the upgrade route is documented');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Against a running server

forEachBackend('OpenAPI document vs. the server', (ctx) => {
  const { api } = ctx;
  let alice;
  let bob;
  let carol;

  before(async () => {
    [alice, bob, carol] = await api.users(3, 'oa');
  });

  it('serves the document at /openapi.json, identical to docs/openapi.json', async () => {
    const res = await api.get('/openapi.json');
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.body?.openapi?.slice(0, 4), '3.1.', 'the served document is OpenAPI 3.1');
    assert.deepEqual(res.body, spec, 'the binary embeds the current docs/openapi.json (rebuild after editing it)');
  });

  it('serves Swagger UI at /docs, pointing at /openapi.json', async () => {
    const res = await api.get('/docs');
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.text, /\/openapi\.json/);
    assert.match(res.text, /\/vendor\/swagger-ui\/swagger-ui-bundle\.js/);
    const init = await api.get('/docs-init.js');
    assert.equal(init.status, 200, 'docs-init.js is served');
    assert.match(init.text, /persistAuthorization:\s*true/);
    const bundle = await api.request('HEAD', '/vendor/swagger-ui/swagger-ui-bundle.js');
    assert.equal(bundle.status, 200, 'Swagger UI assets are installed (npm ci in web/)');
  });

  it('has every documented route: no 404 or 405 for a documented method and path', async () => {
    for (const [route, item] of Object.entries(spec.paths)) {
      if (route === '/api/v1/ws/chat' || route === '/docs' || route === '/openapi.json') continue; // checked apart
      for (const method of Object.keys(item)) {
        const concrete = route.replace(/\{[^}]+\}/g, '999999');
        const res = await api.request(method.toUpperCase(), concrete, method === 'get' || method === 'delete' ? {} : { json: {} });
        assert.notEqual(res.status, 405, `${method} ${route} answered 405`);
        assert.ok(
          !(res.status === 404 && res.body?.detail === 'Not Found'),
          `${method} ${route} is not routed: ${res.status} ${res.text.slice(0, 200)}`,
        );
        if (res.status !== 404) conforms(res, method, route);
      }
    }
  });

  it('register: 201, 409, 422', async () => {
    const name = uniqueName('oar');
    const route = '/api/v1/auth/register';
    const created = conforms(await api.post(route, { json: { username: name, email: `${name}@test.com`, password: 'secret1' } }), 'post', route, 201);
    assert.equal(created.username, name);
    conforms(await api.post(route, { json: { username: name, email: `other_${name}@test.com`, password: 'secret1' } }), 'post', route, 409);
    conforms(await api.post(route, { json: { username: uniqueName('oar'), email: `${name}@test.com`, password: 'secret1' } }), 'post', route, 409);
    conforms(await api.post(route, { json: { username: 'ab', email: 'ab@test.com', password: 'secret1' } }), 'post', route, 422);
    conforms(await api.post(route, { json: { username: uniqueName('oar'), email: 'nope', password: 'secret1' } }), 'post', route, 422);
    conforms(await api.post(route, { body: '{"username": ', headers: { 'Content-Type': 'application/json' } }), 'post', route, 422);
    conforms(await api.post(route, { json: [] }), 'post', route, 422);
  });

  it('login (JSON and OAuth2 form): 200, 401, 422', async () => {
    const json = '/api/v1/auth/login-json';
    const form = '/api/v1/auth/login';
    const token = conforms(await api.post(json, { json: { username: alice.username, password: alice.password } }), 'post', json, 200);
    assert.equal(token.token_type, 'bearer');
    assert.equal(token.user.id, alice.id);
    conforms(await api.post(json, { json: { username: alice.username, password: 'wrong-password' } }), 'post', json, 401);
    conforms(await api.post(json, { json: { username: alice.username } }), 'post', json, 422);
    conforms(await api.post(form, { form: { grant_type: 'password', username: alice.username, password: alice.password } }), 'post', form, 200);
    conforms(await api.post(form, { form: { username: alice.username, password: 'wrong-password' } }), 'post', form, 401);
    conforms(await api.post(form, { form: { username: alice.username } }), 'post', form, 422);
  });

  it('users: me, search, profile; 401 without or with a bad token; 404; 422', async () => {
    const me = conforms(await api.get('/api/v1/users/me', { token: alice.token }), 'get', '/api/v1/users/me', 200);
    assert.equal(me.email, alice.email);
    conforms(await api.get('/api/v1/users/me'), 'get', '/api/v1/users/me', 401);
    conforms(await api.get('/api/v1/users/me', { token: 'not.a.token' }), 'get', '/api/v1/users/me', 401);
    conforms(await api.get('/api/v1/users/me', { rawAuthorization: 'Basic abc' }), 'get', '/api/v1/users/me', 401);
    const found = conforms(await api.get(`/api/v1/users/search?q=${bob.username}`, { token: alice.token }), 'get', '/api/v1/users/search', 200);
    assert.deepEqual(found.map((u) => u.id), [bob.id]);
    conforms(await api.get('/api/v1/users/search?limit=51', { token: alice.token }), 'get', '/api/v1/users/search', 422);
    conforms(await api.get(`/api/v1/users/search?q=${'a'.repeat(65)}`, { token: alice.token }), 'get', '/api/v1/users/search', 422);
    conforms(await api.get(`/api/v1/users/${bob.id}`, { token: alice.token }), 'get', '/api/v1/users/{user_id}', 200);
    conforms(await api.get('/api/v1/users/999999999', { token: alice.token }), 'get', '/api/v1/users/{user_id}', 404);
    conforms(await api.get('/api/v1/users/abc', { token: alice.token }), 'get', '/api/v1/users/{user_id}', 422);
  });

  it('chats: private (201, then 200), group, members, leave, read, list; 400, 403, 404, 422', async () => {
    const priv = '/api/v1/chats/private';
    const chat = conforms(await api.post(priv, { token: alice.token, json: { recipient_id: bob.id } }), 'post', priv, 201);
    assert.equal(chat.type, 'private');
    assert.equal(chat.name, null);
    const again = conforms(await api.post(priv, { token: bob.token, json: { recipient_id: alice.id } }), 'post', priv, 200);
    assert.equal(again.id, chat.id);
    conforms(await api.post(priv, { token: alice.token, json: { recipient_id: alice.id } }), 'post', priv, 422);
    conforms(await api.post(priv, { token: alice.token, json: { recipient_id: 999999999 } }), 'post', priv, 404);
    conforms(await api.post(priv, { token: alice.token, json: {} }), 'post', priv, 422);
    conforms(await api.post(priv, { json: { recipient_id: bob.id } }), 'post', priv, 401);

    const grp = '/api/v1/chats/group';
    const group = conforms(await api.post(grp, { token: alice.token, json: { name: 'OpenAPI group', member_ids: [bob.id] } }), 'post', grp, 201);
    assert.equal(group.name, 'OpenAPI group');
    conforms(await api.post(grp, { token: alice.token, json: { name: '   ' } }), 'post', grp, 422);
    conforms(await api.post(grp, { token: alice.token, json: { name: 'x', member_ids: [999999999] } }), 'post', grp, 404);

    const one = '/api/v1/chats/{chat_id}';
    conforms(await api.get(`/api/v1/chats/${group.id}`, { token: bob.token }), 'get', one, 200);
    conforms(await api.get(`/api/v1/chats/${group.id}`, { token: carol.token }), 'get', one, 404);
    conforms(await api.get('/api/v1/chats/0', { token: bob.token }), 'get', one, 422);

    const members = '/api/v1/chats/{chat_id}/members';
    conforms(await api.post(`/api/v1/chats/${group.id}/members`, { token: alice.token, json: { user_id: carol.id } }), 'post', members, 200);
    conforms(await api.post(`/api/v1/chats/${group.id}/members`, { token: bob.token, json: { user_id: carol.id } }), 'post', members, 403);
    conforms(await api.post(`/api/v1/chats/${chat.id}/members`, { token: alice.token, json: { user_id: carol.id } }), 'post', members, 400);
    conforms(await api.post(`/api/v1/chats/${group.id}/members`, { token: alice.token, json: { user_id: 999999999 } }), 'post', members, 404);
    conforms(await api.post(`/api/v1/chats/${group.id}/members`, { token: alice.token, json: { user_id: 'x' } }), 'post', members, 422);

    const remove = '/api/v1/chats/{chat_id}/members/{user_id}';
    conforms(await api.delete(`/api/v1/chats/${group.id}/members/${alice.id}`, { token: bob.token }), 'delete', remove, 403);
    conforms(await api.delete(`/api/v1/chats/${group.id}/members/${carol.id}`, { token: alice.token }), 'delete', remove, 200);
    conforms(await api.delete(`/api/v1/chats/${group.id}/members/${carol.id}`, { token: alice.token }), 'delete', remove, 404);

    const leave = '/api/v1/chats/{chat_id}/leave';
    conforms(await api.post(`/api/v1/chats/${chat.id}/leave`, { token: alice.token }), 'post', leave, 400);
    const left = conforms(await api.post(`/api/v1/chats/${group.id}/leave`, { token: bob.token }), 'post', leave, 200);
    assert.deepEqual(left, { chat_id: group.id, left: true });
    conforms(await api.post(`/api/v1/chats/${group.id}/leave`, { token: bob.token }), 'post', leave, 404);

    const sent = await api.send(alice, chat.id, 'read me');
    const read = '/api/v1/chats/{chat_id}/read';
    const marker = conforms(await api.post(`/api/v1/chats/${chat.id}/read`, { token: bob.token, json: { message_id: sent.id } }), 'post', read, 200);
    assert.equal(marker.last_read_seq, sent.seq);
    conforms(await api.post(`/api/v1/chats/${chat.id}/read`, { token: bob.token }), 'post', read, 200);
    conforms(await api.post(`/api/v1/chats/${chat.id}/read`, { token: bob.token, json: { message_id: 999999999 } }), 'post', read, 404);
    conforms(await api.post(`/api/v1/chats/${chat.id}/read`, { token: carol.token, json: {} }), 'post', read, 404);
    conforms(await api.post(`/api/v1/chats/${chat.id}/read`, { token: bob.token, json: { message_id: 'x' } }), 'post', read, 422);

    // The list, with a chat that has messages (last_message set) and one that has none (null).
    const list = conforms(await api.get('/api/v1/chats', { token: alice.token }), 'get', '/api/v1/chats', 200);
    assert.ok(list.some((c) => c.id === chat.id && c.last_message !== null));
    assert.ok(list.some((c) => c.id === group.id && c.last_message === null));
    conforms(await api.get('/api/v1/chats/', { token: alice.token }), 'get', '/api/v1/chats', 200);
    conforms(await api.get('/api/v1/chats'), 'get', '/api/v1/chats', 401);
  });

  it('messages: send (201, resend 200), history pages; 404, 413, 422', async () => {
    const chat = await api.privateChat(alice, carol);
    const send = '/api/v1/messages';
    const clientId = `oa-${uniqueName('m')}`;
    const first = conforms(await api.post(send, { token: alice.token, json: { chat_id: chat.id, text: 'привет', client_message_id: clientId } }), 'post', send, 201);
    assert.equal(first.client_message_id, clientId);
    const resend = conforms(await api.post('/api/v1/messages/', { token: alice.token, json: { chat_id: chat.id, text: 'привет', client_message_id: clientId } }), 'post', send, 200);
    assert.equal(resend.id, first.id);
    const plain = conforms(await api.post(send, { token: carol.token, json: { chat_id: chat.id, text: 'no client id' } }), 'post', send, 201);
    assert.equal(plain.client_message_id, null);
    conforms(await api.post(send, { token: alice.token, json: { chat_id: chat.id, text: '   ' } }), 'post', send, 422);
    conforms(await api.post(send, { token: alice.token, json: { chat_id: chat.id, text: 'x'.repeat(4097) } }), 'post', send, 422);
    conforms(await api.post(send, { token: alice.token, json: { chat_id: chat.id, text: 'x', client_message_id: '' } }), 'post', send, 422);
    conforms(await api.post(send, { token: alice.token, json: { text: 'x' } }), 'post', send, 422);
    conforms(await api.post(send, { token: bob.token, json: { chat_id: chat.id, text: 'not a member' } }), 'post', send, 404);
    conforms(await api.post(send, { token: alice.token, json: { chat_id: chat.id, text: 'x'.repeat(2 * 1024 * 1024) } }), 'post', send, 413);

    const history = '/api/v1/messages/history/{chat_id}';
    const page = conforms(await api.get(`/api/v1/messages/history/${chat.id}?limit=20&offset=0`, { token: carol.token }), 'get', history, 200);
    assert.deepEqual(page.map((m) => m.id), [first.id, plain.id]);
    assert.equal(page[0].read_by, 1, 'carol has read what she answered');
    conforms(await api.get(`/api/v1/messages/history/${chat.id}?before=${plain.id}`, { token: alice.token }), 'get', history, 200);
    conforms(await api.get(`/api/v1/messages/history/${chat.id}?after_seq=0&limit=1`, { token: alice.token }), 'get', history, 200);
    conforms(await api.get(`/api/v1/messages/history/${chat.id}?before=1&after=1`, { token: alice.token }), 'get', history, 422);
    conforms(await api.get(`/api/v1/messages/history/${chat.id}?limit=101`, { token: alice.token }), 'get', history, 422);
    conforms(await api.get(`/api/v1/messages/history/${chat.id}?limit=abc`, { token: alice.token }), 'get', history, 422);
    conforms(await api.get(`/api/v1/messages/history/${chat.id}?before=999999999`, { token: alice.token }), 'get', history, 404);
    conforms(await api.get(`/api/v1/messages/history/${chat.id}`, { token: bob.token }), 'get', history, 404);
    conforms(await api.get(`/api/v1/messages/history/${chat.id}`), 'get', history, 401);
  });

  it('health: 200 with each backend', async () => {
    const health = conforms(await api.get('/health'), 'get', '/health', 200);
    assert.equal(health.status, 'ok');
  });
});
