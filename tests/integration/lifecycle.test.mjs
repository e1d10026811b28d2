// The server process: what survives a restart, and a clean exit on SIGTERM.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Api, forEachBackend, restartServer, startServer } from './harness.mjs';

forEachBackend('server lifecycle', (ctx) => {
  const { api } = ctx;

  it('keeps every acknowledged message, account and token across a restart', async () => {
    const [alice, bob] = await api.users(2, 'restart');
    const priv = await api.privateChat(alice, bob);
    const group = await api.groupChat(alice, 'survivors', [bob]);
    const acknowledged = [];
    for (let i = 1; i <= 10; i++) {
      acknowledged.push(await api.send(i % 2 ? alice : bob, priv.id, `before restart ${i}`, `r-${i}`));
    }
    // a burst right before the restart: everything answered 201 must be there afterwards
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.post('/api/v1/messages', { token: alice.token, json: { chat_id: group.id, text: `burst ${i}` } }),
      ),
    );
    for (const r of burst) assert.equal(r.status, 201, r.text);
    await api.post(`/api/v1/chats/${priv.id}/read`, { token: bob.token });
    const oldPort = ctx.server.port;

    await restartServer(ctx.server);
    assert.ok(ctx.server.port > 0);
    assert.ok(oldPort > 0);

    // tokens issued before the restart still work (same SECRET_KEY)
    const me = await api.get('/api/v1/users/me', { token: alice.token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.id, alice.id);
    // and the password still logs in
    await api.login(bob.username, bob.password);

    const history = await api.history(bob, priv.id); // 10 messages: the default page holds them all
    assert.deepEqual(
      history.map((m) => [m.id, m.seq, m.text, m.timestamp, m.sender_id, m.client_message_id]),
      acknowledged.map((m) => [m.id, m.seq, m.text, m.timestamp, m.sender_id, m.client_message_id]),
    );
    const groupHistory = await api.history(bob, group.id);
    assert.deepEqual(
      groupHistory.map((m) => m.id).sort((a, b) => a - b),
      burst.map((r) => r.body.id).sort((a, b) => a - b),
    );
    assert.deepEqual(groupHistory.map((m) => m.seq), Array.from({ length: 10 }, (_, i) => i + 1));

    // read state, membership and numbering carry on
    const bobPriv = await api.chatFromList(bob, priv.id);
    assert.equal(bobPriv.unread_count, 0);
    assert.equal(bobPriv.last_read_seq, 10);
    const again = await api.post('/api/v1/chats/private', { token: bob.token, json: { recipient_id: alice.id } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, priv.id);
    assert.equal((await api.send(alice, priv.id, 'after restart')).seq, 11);

    // a resend of an acknowledged message is still recognised
    const resend = await api.post('/api/v1/messages', {
      token: alice.token,
      json: { chat_id: priv.id, text: 'before restart 1', client_message_id: 'r-1' },
    });
    assert.equal(resend.status, 200, resend.text);
    assert.equal(resend.body.id, acknowledged[0].id);
    assert.equal(resend.body.timestamp, acknowledged[0].timestamp);

    // usernames stay taken
    const dup = await api.post('/api/v1/auth/register', {
      json: { username: alice.username, email: `x${alice.email}`, password: 'secret1' },
    });
    assert.equal(dup.status, 409, dup.text);
  });

  it('exits with code 0 within a few seconds of SIGTERM', async () => {
    const server = await startServer(ctx.backend);
    try {
      const own = new Api(server);
      const health = await own.get('/health');
      assert.equal(health.status, 200, health.text);
      const user = await own.user('term');
      assert.ok(user.token);

      const started = Date.now();
      const status = await server.signalAndWait('SIGTERM', 5_000);
      assert.ok(status, `still running 5 s after SIGTERM\n--- server log ---\n${server.log.slice(-4000)}`);
      assert.deepEqual(status, { code: 0, signal: null }, `exit status after SIGTERM\n--- server log ---\n${server.log.slice(-4000)}`);
      assert.ok(Date.now() - started < 5_000);

      // it no longer answers
      await assert.rejects(fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) }));
    } finally {
      await server.stop();
    }
  });

  it('exits with code 0 on SIGTERM while requests are in flight, answering the ones it accepted', async () => {
    const server = await startServer(ctx.backend);
    try {
      const own = new Api(server);
      const [alice, bob] = await own.users(2, 'termload');
      const chat = await own.privateChat(alice, bob);
      const inflight = Array.from({ length: 20 }, (_, i) =>
        own
          .post('/api/v1/messages', { token: alice.token, json: { chat_id: chat.id, text: `t${i}` } })
          .then((r) => r.status)
          .catch(() => 'connection error'),
      );
      await new Promise((r) => setTimeout(r, 5));
      const status = await server.signalAndWait('SIGTERM', 5_000);
      const outcomes = await Promise.all(inflight);
      assert.ok(status, 'still running 5 s after SIGTERM');
      assert.deepEqual(status, { code: 0, signal: null }, server.log.slice(-4000));
      for (const o of outcomes) {
        assert.ok(o === 201 || o === 'connection error' || o === 503, `unexpected outcome ${o}`);
      }
      const acknowledged = outcomes.filter((o) => o === 201).length;

      // whatever was acknowledged is stored
      await server.start();
      const history = await own.history(bob, chat.id); // at most 20: the default page
      assert.ok(history.length >= acknowledged, `${history.length} stored, ${acknowledged} acknowledged`);
      assert.deepEqual(history.map((m) => m.seq), Array.from({ length: history.length }, (_, i) => i + 1));
    } finally {
      await server.stop();
    }
  });
});
