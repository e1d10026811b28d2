// Reads the operations out of an OpenAPI document and generates valid values from its JSON schemas.
// Field names the server gives meaning to (ids, texts, names) are filled by `hints`, so that valid requests
// do real work on real chats and messages.

export function resolve(doc, schema) {
  let s = schema;
  for (let i = 0; s && s.$ref && i < 16; i++) {
    const parts = s.$ref.replace(/^#\//, '').split('/');
    s = parts.reduce((node, key) => node?.[key], doc);
  }
  return s ?? {};
}

/** Every operation: {method, path, id, params: [{name, in, required, schema}], body, secured}. */
export function operations(doc) {
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const shared = item.parameters ?? [];
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = [...shared, ...(op.parameters ?? [])].map((p) => {
        const param = resolve(doc, p);
        return { name: param.name, in: param.in, required: !!param.required, schema: resolve(doc, param.schema) };
      });
      let body = null;
      const content = op.requestBody?.content;
      if (content) {
        const [contentType, media] = Object.entries(content)[0];
        body = { contentType, schema: resolve(doc, media.schema), required: !!op.requestBody.required };
      }
      const security = op.security ?? doc.security ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        id: op.operationId ?? `${method} ${path}`,
        params,
        body,
        secured: security.length > 0 && security.some((s) => Object.keys(s).length > 0),
      });
    }
  }
  return ops;
}

function types(schema) {
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  if (schema.properties) return ['object'];
  return ['string'];
}

/** A value valid for `schema`; `name` is the field or parameter name, `hints` may supply it. */
export function generate(doc, schema, rng, hints, name = '', depth = 0) {
  schema = resolve(doc, schema);
  const hinted = hints?.value(name, schema, rng);
  if (hinted !== undefined) return hinted;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return rng.pick(schema.enum);
  const options = types(schema);
  const type = options.includes('null') && options.length > 1 && rng.chance(0.2) ? 'null' : options.find((t) => t !== 'null') ?? 'null';
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return rng.chance(0.5);
    case 'integer': {
      const lo = schema.minimum ?? 0;
      const hi = Math.min(schema.maximum ?? lo + 1000, lo + 1000);
      return rng.int(lo, hi);
    }
    case 'number':
      return (schema.minimum ?? 0) + rng.float() * 100;
    case 'array': {
      if (depth > 4) return [];
      const n = rng.int(schema.minItems ?? 0, Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)));
      return Array.from({ length: n }, () => generate(doc, schema.items ?? {}, rng, hints, `${name}[]`, depth + 1));
    }
    case 'object': {
      const out = {};
      const required = new Set(schema.required ?? []);
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        if (required.has(key) || rng.chance(0.6)) out[key] = generate(doc, sub, rng, hints, key, depth + 1);
      }
      return out;
    }
    default:
      return stringFor(schema, rng);
  }
}

function stringFor(schema, rng) {
  if (schema.format === 'email') return `${rng.string(8)}@example.com`;
  const min = schema.minLength ?? 1;
  const max = Math.max(min, Math.min(schema.maxLength ?? 24, 24));
  const alphabet = schema.pattern ? 'abcdefghijklmnopqrstuvwxyz0123456789_' : 'abcdefghijklmnopqrstuvwxyz ABC0123456789';
  return rng.string(rng.int(min, max), alphabet);
}
