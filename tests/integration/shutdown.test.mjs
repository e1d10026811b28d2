// SIGTERM drains: sockets close with 1001 after the acknowledgements of the sends already read, every
// acknowledged message is stored, and the process exits with 0, at the latest after SHUTDOWN_TIMEOUT_SECONDS.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { Api, forEachBackend, startServer } from './harness.mjs';
import { RawSocket } from './raw_socket.mjs';
import { Client, connectedAs } from './ws_client.mjs';

// How long the test waits for an exit: far beyond each bound below, so that only a server that ignores its
// bound fails it, however slow the machine.
const EXIT_PATIENCE_MS = 30_000;

/** Keeps `client` sending into `chatId` (in bursts, without waiting for acks) until its socket closes. */
function keepSending(client, chatId, tag) {
  let n = 0;
  const timer = setInterval(() => {
    if (client.closed || client.ws.readyState !== 1) {
      clearInterval(timer);
      return;
    }
    for (let i = 0; i < 5; i++) {
      n += 1;
      client.send('send_message', { chat_id: chatId, text: `${tag} ${n}`, client_message_id: `${tag}-${n}` });
    }
  }, 5);
  return () => clearInterval(timer);
}

/** A client's text frame (masked, as RFC 6455 requires), for a RawSocket to write. */
function textFrame(text) {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

const acks = (clients) => clients.flatMap((c) => c.of('message_sent').map((e) => e.data));

forEachBackend(
  'SIGTERM drain',
  (ctx) => {
    it('closes sockets with 1001, stores every acknowledged message and exits with 0 while clients send', async () => {
      const server = await startServer(ctx.backend, {
        env: { SHUTDOWN_TIMEOUT_SECONDS: '5', HISTORY_MAX_LIMIT: '1000' },
      });
      try {
        const api = new Api(server);
        const [alice, bob] = await api.users(2, 'drain');
        const chat = await api.privateChat(alice, bob);
        const clients = await Promise.all([
          Client.open(server.baseUrl, { token: alice.token }),
          Client.open(server.baseUrl, { token: alice.token }),
          Client.open(server.baseUrl, { token: bob.token }),
        ]);
        await Promise.all(clients.map(connectedAs));
        const stops = clients.map((c, i) => keepSending(c, chat.id, `c${i}`));
        // SIGTERM lands while every client has sends in flight.
        await clients[0].waitFor(() => acks(clients).length >= 60, '60 acknowledgements', 20_000);

        const status = await server.signalAndWait('SIGTERM', EXIT_PATIENCE_MS);
        stops.forEach((stop) => stop());
        assert.deepEqual(status, { code: 0, signal: null }, server.log.slice(-4000));
        const closes = await Promise.all(clients.map((c) => c.waitClosed()));
        for (const close of closes) assert.equal(close?.code, 1001, JSON.stringify(closes));
        assert.match(server.log, /drained in \d+ ms/);

        const acknowledged = acks(clients);
        await server.start();
        const history = [];
        for (let offset = 0; ; offset += 1000) {
          const page = await api.history(alice, chat.id, { limit: 1000, offset });
          history.unshift(...page);
          if (page.length < 1000) break;
        }
        const stored = new Map(history.map((m) => [m.id, m]));
        for (const ack of acknowledged) {
          const m = stored.get(ack.id);
          assert.ok(m, `acknowledged message ${ack.id} (${ack.client_message_id}) is not in the history`);
          assert.equal(m.client_message_id, ack.client_message_id);
          assert.equal(m.text, ack.text);
        }
        const cids = history.map((m) => `${m.sender_id}/${m.client_message_id}`);
        assert.equal(new Set(cids).size, cids.length, 'no message stored twice');
        assert.deepEqual(
          history.map((m) => m.seq),
          Array.from({ length: history.length }, (_, i) => i + 1),
        );
      } finally {
        await server.stop();
      }
    });

    it('exits with 0 at SHUTDOWN_TIMEOUT_SECONDS when a peer never answers the close', async () => {
      const server = await startServer(ctx.backend, { env: { SHUTDOWN_TIMEOUT_SECONDS: '2' } });
      try {
        const api = new Api(server);
        const user = await api.user('stuck');
        // A bare socket that reads but never answers a close frame: its session stays open until cut.
        const stuck = await RawSocket.open(server.baseUrl, user.token);
        // A pong proves the session reads frames (it is past its start-up).
        stuck.socket.write(textFrame(JSON.stringify({ action: 'ping', data: {} })));
        await stuck.until(() => stuck.messages.some((m) => m.type === 'pong'), 'pong');

        const status = await server.signalAndWait('SIGTERM', EXIT_PATIENCE_MS);
        assert.deepEqual(status, { code: 0, signal: null }, server.log.slice(-4000));
        assert.equal(stuck.closeCode, 1001);
        assert.match(server.log, /SHUTDOWN_TIMEOUT_SECONDS \(2 s\) reached with 0 request\(s\) and 1 connection\(s\)/);
        stuck.destroy();
      } finally {
        await server.stop();
      }
    });
  },
  { start: false },
);
