// Names people cannot fake: a username that looks like a registered one ("aIice", "al1ce", "alice." against
// "alice") is refused with 409, also against users registered before the server checked this.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it } from 'node:test';
import { forEachBackend, uniqueName } from './harness.mjs';

const LOOKALIKE = { detail: 'Username is too similar to an existing username' };

/** Runs one SQL statement on the server's database with the backend's own command-line client. */
function sql(server, statement) {
  if (server.backend.kind === 'sqlite') {
    execFileSync('sqlite3', [server.databaseUrl.replace(/^sqlite:\/\/\//, ''), statement]);
  } else {
    execFileSync('psql', ['--no-psqlrc', '--quiet', '-v', 'ON_ERROR_STOP=1', '-d', server.databaseUrl, '-c', statement]);
  }
}

forEachBackend('look-alike usernames', (ctx) => {
  const { api } = ctx;

  async function register(username) {
    return api.post('/api/v1/auth/register', {
      json: { username, email: `${uniqueName('mail')}@test.com`, password: 'password123' },
    });
  }

  it('refuses a username that looks like a taken one, with 409 and a clear detail', async () => {
    const original = uniqueName('alice'); // alice_<12 hex digits>
    const suffix = original.slice('alice'.length);
    assert.equal((await register(original)).status, 201);
    for (const lookalike of [`aIice${suffix}`, `al1ce${suffix}`, `${original}.`, `a.lice${suffix}`, `alice${suffix.slice(1)}`]) {
      const res = await register(lookalike);
      assert.equal(res.status, 409, `${lookalike}: ${res.text}`);
      assert.deepEqual(res.body, LOOKALIKE, lookalike);
    }
    // The exact name in other letter case keeps its own answer; names that merely resemble are fine.
    const upper = await register(original.toUpperCase());
    assert.equal(upper.status, 409);
    assert.deepEqual(upper.body, { detail: 'Username already registered' });
    for (const different of [`alicia${suffix}`, `malice${suffix}`]) {
      assert.equal((await register(different)).status, 201, different);
    }
    // The refused names were not stored: the original still logs in, and search finds no impostor.
    await api.login(original, 'password123');
    const me = await api.user('seeker');
    const found = await api.get(`/api/v1/users/search?q=${encodeURIComponent(`al1ce${suffix}`)}`, { token: me.token });
    assert.deepEqual(found.body, []);
  });

  it('checks against users registered before look-alikes were refused, once the server has started again', async () => {
    const older = uniqueName('bill'); // bill_<12 hex digits>
    const created = await register(older);
    assert.equal(created.status, 201);
    // As a database from before the check holds it: no key for this user.
    sql(ctx.server, `UPDATE users SET username_key = NULL WHERE id = ${created.body.id}`);
    await ctx.server.restart();
    const impostor = await register(`bi11${older.slice('bill'.length)}`);
    assert.equal(impostor.status, 409, impostor.text);
    assert.deepEqual(impostor.body, LOOKALIKE);
    await api.login(older, 'password123');
  });
});
