// Mutations: values of the wrong type or at the edges, bodies that are not what the content type says.

import { UNICODE, HUGE_NUMBERS, NOT_IDS, EMOJI, toJson } from './samples.mjs';

export function nested(depth, open = '[', close = ']') {
  return open.repeat(depth) + close.repeat(depth);
}

/** A value of any type, mostly an edge case. */
export function oddValue(rng) {
  return rng.weighted([
    [3, () => rng.pick(UNICODE)],
    [4, () => rng.pick(HUGE_NUMBERS)],
    [3, () => rng.pick(NOT_IDS)],
    [1, () => null],
    [1, () => rng.chance(0.5)],
    [1, () => []],
    [1, () => ({})],
    [1, () => [rng.int(-5, 5), 'x', null]],
    [1, () => ({ $ne: null, id: 1 })],
    [1, () => rng.pick(EMOJI)],
    [1, () => ''],
    [1, () => ' '.repeat(rng.int(1, 50))],
    [1, () => 'y'.repeat(rng.int(4000, 5000))],
    [1, () => rng.int(-1000, 1000)],
    [1, () => -rng.int(1, 1e9)],
    [1, () => rng.float() * 1e6],
  ])();
}

/** Mutates a JSON-able object in place (top level and one level down); returns a short note. */
export function mutateObject(obj, rng) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return 'none';
  const keys = Object.keys(obj);
  const kind = rng.weighted([
    [5, 'retype'],
    [2, 'drop'],
    [2, 'extra'],
    [1, 'nullify'],
    [1, 'dupkey'],
  ]);
  if (kind === 'retype' && keys.length) {
    const k = rng.pick(keys);
    obj[k] = oddValue(rng);
    return `retype ${k}`;
  }
  if (kind === 'drop' && keys.length) {
    const k = rng.pick(keys);
    delete obj[k];
    return `drop ${k}`;
  }
  if (kind === 'nullify' && keys.length) {
    for (const k of keys) obj[k] = null;
    return 'nullify';
  }
  const extra = rng.pick(['__proto__x', 'constructor', 'id', 'sender_id', 'role', 'is_admin', '', '\u0000', 'a'.repeat(300)]);
  obj[extra] = oddValue(rng);
  return `extra ${JSON.stringify(extra).slice(0, 20)}`;
}

/** Text that is not a JSON object: garbage, truncated JSON, deep nesting, wrong JSON types. */
export function garbageBody(rng, valid) {
  const text = valid === undefined ? '{}' : toJson(valid);
  return rng.weighted([
    [2, () => text.slice(0, rng.int(0, Math.max(0, text.length - 1)))],
    [1, () => text + rng.pick(['}', ']', ',', 'x', '\u0000', ' {}'])],
    [2, () => rng.bytes(rng.int(1, 200))],
    [1, () => nested(rng.int(100, 20000))],
    [1, () => { const d = rng.int(100, 10000); return `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`; }],
    [1, () => rng.pick(['null', 'true', '1', '"x"', '[]', '[1,2]', '1e999', '-', '"\\ud800"', '{"a":1,"a":2}', '\ufeff{}', '{"text":"\\u0000"}'])],
    [1, () => `{"chat_id": 1e${rng.int(2, 400)}, "text": "x"}`],
    [1, () => '{' + Array.from({ length: rng.int(100, 3000) }, (_, i) => `"k${i}":${i}`).join(',') + '}'],
    [1, () => 'a'.repeat(rng.int(1, 200_000))],
    [1, () => `{"text":"${'\\'.repeat(rng.int(1, 3))}u${rng.hex(rng.int(0, 4))}"}`],
    [1, () => '[' + '1,'.repeat(rng.int(10, 20000)) + '1]'],
  ])();
}

/** An id value for a path that is not a plain id. */
export function oddPathValue(rng) {
  const v = rng.weighted([
    [5, () => rng.pick(NOT_IDS)],
    [3, () => String(rng.pick(HUGE_NUMBERS))],
    [1, () => rng.pick(UNICODE)],
    [1, () => String(rng.int(1, 1e6))],
  ])();
  // Mostly percent-encoded; sometimes raw (fetch still escapes what a URL cannot hold).
  const text = String(v).toWellFormed ? String(v).toWellFormed() : String(v).replace(/[\ud800-\udfff]/g, '\ufffd');
  return rng.chance(0.8) ? encodeURIComponent(text) : text.replace(/[#?/%]/g, encodeURIComponent);
}
