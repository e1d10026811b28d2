// The web app's files, /docs and /openapi.json as a browser gets them: types, caching, the page policy, and
// no way out of the web folder.

import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServer } from './harness.mjs';

describe('web files', () => {
  let server;
  let webDir;
  const get = (p, init) => fetch(server.baseUrl + p, init);

  before(async () => {
    // A web folder of our own, so the test does not depend on what the app ships.
    webDir = mkdtempSync(path.join(tmpdir(), 'windi-web-'));
    mkdirSync(path.join(webDir, 'public', 'css'), { recursive: true });
    mkdirSync(path.join(webDir, 'node_modules', 'swagger-ui-dist'), { recursive: true });
    writeFileSync(path.join(webDir, 'public', 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(path.join(webDir, 'public', 'docs.html'), '<!doctype html><title>docs</title>');
    writeFileSync(path.join(webDir, 'public', 'app.js'), 'export const x = 1;');
    writeFileSync(path.join(webDir, 'public', 'css', 'style.css'), 'body{}');
    writeFileSync(path.join(webDir, 'public', '.env'), 'SECRET=1');
    writeFileSync(path.join(webDir, 'node_modules', 'swagger-ui-dist', 'swagger-ui.css'), '.swagger{}');
    writeFileSync(path.join(webDir, 'secret.txt'), 'outside public');
    server = await startServer({ name: 'sqlite', kind: 'sqlite', fresh: true }, { env: { WEB_DIR: webDir } });
  });
  after(async () => {
    await server?.stop();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('serves the app at / with a strict page policy', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.equal(await res.text(), '<!doctype html><title>app</title>');
    assert.match(res.headers.get('content-security-policy'), /default-src 'self'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  it('serves scripts and styles with their types', async () => {
    const js = await get('/app.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    const css = await get('/css/style.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type'), /^text\/css/);
    const swagger = await get('/vendor/swagger-ui/swagger-ui.css');
    assert.equal(swagger.status, 200);
    assert.equal(await swagger.text(), '.swagger{}');
  });

  it('answers a revalidation with 304 and HEAD without a body', async () => {
    const first = await get('/app.js');
    const etag = first.headers.get('etag');
    assert.ok(etag);
    const again = await get('/app.js', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    const head = await get('/app.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('serves /docs and /openapi.json', async () => {
    const docs = await get('/docs');
    assert.equal(docs.status, 200);
    assert.equal(await docs.text(), '<!doctype html><title>docs</title>');
    const spec = await get('/openapi.json');
    assert.equal(spec.status, 200);
    assert.match(spec.headers.get('content-type'), /^application\/json/);
    const body = await spec.json();
    assert.match(body.openapi, /^3\.1/);
    assert.ok(body.paths['/api/v1/messages']);
  });

  it('never leaves the public folder and hides dot files', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/css/..%2f..%2fsecret.txt', '/.env',
      '/vendor/swagger-ui/../../secret.txt', '/vendor/swagger-ui/%2e%2e/%2e%2e/public/app.js']) {
      const res = await get(p);
      assert.equal(res.status, 404, p);
      assert.deepEqual(await res.json(), { detail: 'Not Found' }, p);
    }
  });

  it('keeps API answers for unknown API paths and other methods as JSON', async () => {
    const missing = await get('/nope.js');
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { detail: 'Not Found' });
    const post = await get('/app.js', { method: 'POST' });
    assert.equal(post.status, 404);
  });
});
