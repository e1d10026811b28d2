// Fan-out and latency through the real server: one group of M members online over WebSocket, one sender sending
// N messages (a bounded window of unacknowledged sends), every member's connection counting deliveries.
// Prints deliveries per second and send-to-deliver latency (p50/p99/max).
//   node --experimental-websocket bench/fanout.mjs [--members 100] [--messages 500] [--processes 1|2]
// With --processes 2 the servers share PostgreSQL and Redis (WINDI_TEST_POSTGRES_URL, WINDI_TEST_REDIS_URL):
// the sender is on one process and every receiver on the other, so each delivery crosses Redis.
import { parseArgs } from 'node:util';
import { Api, startServer } from '../tests/integration/harness.mjs';
import { Client, connectedAs } from '../tests/integration/ws_client.mjs';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '100' },
    messages: { type: 'string', default: '500' },
    processes: { type: 'string', default: '1' },
    window: { type: 'string', default: '32' },
  },
});
const members = Number(values.members);
const messages = Number(values.messages);
const processes = Number(values.processes);
const window = Number(values.window);

const servers = [];
if (processes === 1) {
  servers.push(await startServer({ name: 'sqlite', kind: 'sqlite', fresh: true }));
} else {
  const url = process.env.WINDI_TEST_POSTGRES_URL;
  const redis = process.env.WINDI_TEST_REDIS_URL;
  if (!url || !redis) throw new Error('--processes 2 needs WINDI_TEST_POSTGRES_URL and WINDI_TEST_REDIS_URL');
  const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url };
  const env = { REDIS_URL: redis };
  servers.push(await startServer(backend, { env }));
  servers.push(await startServer(backend, { env, secretKey: servers[0].secretKey }));
}
const api = new Api(servers[0]);
try {
  const people = await api.users(members, 'fan');
  const [sender, ...others] = people;
  const group = await api.groupChat(sender, 'fan-out', others);
  const receiverServer = servers[servers.length - 1];
  const senderConn = await Client.open(servers[0].baseUrl, { token: sender.token });
  const receivers = await Promise.all(others.map((u) => Client.open(receiverServer.baseUrl, { token: u.token })));
  await Promise.all([senderConn, ...receivers].map(connectedAs));

  const latencies = [];
  let delivered = 0;
  let lastDelivery = 0;
  const expected = messages * receivers.length;
  let finish;
  const allDelivered = new Promise((r) => (finish = r));
  for (const r of receivers) {
    r.ws.onmessage = (e) => {
      const ev = JSON.parse(e.data);
      if (ev.type !== 'new_message') return;
      const sentAt = Number(ev.data.text.split(' ')[1]);
      latencies.push(performance.now() - sentAt);
      lastDelivery = performance.now();
      if (++delivered === expected) finish();
    };
  }
  let acked = 0;
  let sent = 0;
  let wake;
  senderConn.ws.onmessage = (e) => {
    if (JSON.parse(e.data).type === 'message_sent') {
      acked++;
      wake?.();
    }
  };
  const started = performance.now();
  while (sent < messages) {
    if (sent - acked >= window) {
      await new Promise((r) => (wake = r));
      continue;
    }
    senderConn.send('send_message', { chat_id: group.id, text: `t ${performance.now()}`, client_message_id: `b${sent}` });
    sent++;
  }
  await Promise.race([allDelivered, new Promise((r) => setTimeout(r, 120000))]);
  const seconds = (lastDelivery - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2);
  console.log(`processes=${processes} members=${members} messages=${messages} window=${window}`);
  console.log(`delivered ${delivered}/${expected} in ${seconds.toFixed(2)} s: ${(delivered / seconds).toFixed(0)} deliveries/s, ${(acked / seconds).toFixed(0)} sends/s`);
  console.log(`send-to-deliver latency ms: p50 ${pct(0.5)}  p99 ${pct(0.99)}  max ${latencies.at(-1).toFixed(2)}`);
  for (const c of [senderConn, ...receivers]) c.close();
} finally {
  for (const s of servers) await s.stop();
}
