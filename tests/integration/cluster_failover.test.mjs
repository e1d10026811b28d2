// A lost Redis master. A Redis Cluster of three masters with one replica each runs on loopback
// (redis_cluster.mjs); three server processes share it (REDIS_URL = every node as a seed) and one PostgreSQL.
// Nine users, three per process, each with one WebSocket connection, keep sending (each send with its own
// client_message_id) to a group of all of them, to two private chats each, and to any extra group needed;
// then one master is killed with SIGKILL in the middle of that traffic and never restarted.
//
// The master killed is the one that serves the slot of `windi:events`, the channel every process PUBLISHes
// presence and membership events on (the nodes start in ascending port order, so it is also the master on the
// lowest port, the one each process makes its plain SUBSCRIBE on: the first of its subscribers, ordered by
// address, in redis_channels.cpp), and the test makes sure that the sharded channel
// `windi:chat:{<id>}` of at least one busy chat lives there too (the slot of chat N's channel is CRC16 of the
// decimal N mod 16384: extra groups are created until one lands on it). Two users have their presence key
// (`windi:presence:<id>`) on that master as well: one leaves right after the kill, one arrives after the
// failover.
//
// While the replica takes over (a few seconds), three users reconnect to another process and resume by sync
// from their cursors; after the failover three more do. A send not acknowledged within a few seconds is sent
// again on the device's current connection with the same client_message_id, and so is every unacknowledged
// send after a reconnect.
//
// What it proves:
//   1. fan-out across processes resumes by itself: in the chat whose shard died, a message sent on process A
//      reaches a client on process B that never reconnected; then in every chat a message reaches every
//      member's connection live, and from then on nothing is missed live (a hole in a device's stream must
//      be a message first sent before fan-out was back);
//   2. presence is right again within its expiry: a user who connects on A after the failover is announced
//      (user_status online) to every connection that shares a chat with them, on every process, and is in
//      the online lists; the user who left during the failover (whose "offline" could not be written to
//      Redis, and was announced only to the connections of its own process) drops out of the online lists
//      within the presence expiry (30 s, bus.hpp presence_ttl, not configurable); every connected user is
//      online in every connection's final online list;
//   3. every send is acknowledged, and every acknowledged message is stored exactly once under the id it was
//      acknowledged with; every device, the ones that resumed by sync included, ends with exactly the REST
//      history of each of its chats, never got a message twice (live after live, or live after a sync that
//      carried it), and no sync answer carried anything at or below the cursor it was asked with; a device
//      that resumed after fan-out was back has every message without any further sync.
//
// Because of the presence expiry the test takes about 40 s.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, startServer, sleep } from './harness.mjs';
import { RedisCluster, keySlot } from './redis_cluster.mjs';
import { Client } from './ws_client.mjs';
import { fullHistory } from './chat_events.mjs';
import {
  ResumingDevice,
  assertAcknowledged,
  assertHaveHistories,
  assertHistory,
  membersByChat,
  sendsByChat,
} from './resuming_device.mjs';

const pgUrl = process.env.WINDI_TEST_POSTGRES_URL;
const skip = pgUrl ? false : 'WINDI_TEST_POSTGRES_URL is not set (eval "$(scripts/services start)")';
if (!pgUrl && process.env.CI === 'true') throw new Error('CI=true requires WINDI_TEST_POSTGRES_URL');

const PROCESSES = 3;
const USERS = 9; // three per process
const PROBE_MS = 1500; // how long a fan-out probe may take before the next one is sent
const PRESENCE_EXPIRY_MS = 30_000; // bus.hpp presence_ttl
const WAIT_MS = 20_000; // generous: the machine is small and busy
const TRAFFIC_BEFORE_KILL_MS = 3000;
const TRAFFIC_AFTER_MS = 2000;
// Names the server gives things in Redis (bus.hpp: key_prefix "windi").
const EVENTS_CHANNEL = 'windi:events';
const chatChannel = (chat) => `windi:chat:{${chat}}`;
const presenceKey = (user) => `windi:presence:${user}`;

async function until(what, fn, timeoutMs = WAIT_MS, everyMs = 100, detail = () => '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms ${detail()}`);
    await sleep(everyMs);
  }
}

const sorted = (ids) => [...ids].sort((x, y) => x - y);
const allSends = new Map(); // cmid -> send, of every device

// While the replica takes over, a send or a sync may be answered with an error frame: the send is retried
// (runRetries), the sync fails the step that asked for it.
const device = (name, user) => new ResumingDevice(name, user, { sends: allSends, tolerate: ['send_message', 'sync'] });

/** The server log lines about Redis and the bus (the harness keeps the last 64 KiB of each log). */
function redisLines(server) {
  return server.log
    .split('\n')
    .filter((l) => /redis|bus:/i.test(l))
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
}

describe('a lost Redis Cluster master [postgresql]', { skip }, () => {
  const cluster = new RedisCluster();
  const servers = [];
  const devices = [];
  const extraClients = [];

  before(async () => {
    await cluster.start();
    const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url: pgUrl };
    // A resume after the failover replays everything since the device's cursor in one answer.
    const env = { REDIS_URL: cluster.urls, WS_SYNC_MAX_MESSAGES: '100000' };
    for (let i = 0; i < PROCESSES; i++) {
      const server = await startServer(backend, { env, secretKey: servers[0]?.secretKey });
      server.name = 'ABC'[i];
      servers.push(server);
    }
  });
  after(async () => {
    for (const d of devices) d.close();
    for (const c of extraClients) if (!c.closed) c.close();
    for (const s of servers) await s.stop();
    await cluster.stop();
  });

  const title = 'kills the master of a busy chat under traffic: fan-out and presence come back, nothing lost, nothing twice';
  it(title, { timeout: 180_000 }, async (t) => {
    try {
      await scenario(t);
    } catch (err) {
      err.message +=
        '\n' +
        servers.map((s) => `--- server ${s.name} (redis and bus lines) ---\n${redisLines(s).slice(-30).join('\n')}`).join('\n');
      throw err;
    }
  });

  async function scenario(t) {
    const started = Date.now();
    const [A, B, C] = servers;
    const api = new Api(A);
    const eventsSlot = keySlot(EVENTS_CHANNEL);
    const victim = await cluster.masterForSlot(eventsSlot);
    assert.ok(victim, `some master serves slot ${eventsSlot} of ${EVENTS_CHANNEL}`);
    const mastersBefore = await cluster.masterPorts();
    const onVictim = async (key) => (await cluster.masterForSlot(keySlot(key))) === victim;

    // Users: nine who talk, a watcher who only looks at presence, and two whose presence key lives on the
    // master to be killed: one who leaves during the failover, one who arrives after it.
    const people = await api.users(USERS, 'cf');
    const watcherUser = await api.user('cfw');
    const onVictimUser = async (prefix) => {
      let u;
      for (let i = 0; i < 30; i++) {
        u = await api.user(prefix);
        if (await onVictim(presenceKey(u.id))) return u;
      }
      return u; // unlucky: the check below says so
    };
    const leaverUser = await onVictimUser('cfl');
    const newcomerUser = await onVictimUser('cfn');
    assert.ok(await onVictim(presenceKey(leaverUser.id)), 'the leaver\'s presence key is on the master to be killed');
    assert.ok(await onVictim(presenceKey(newcomerUser.id)), 'the newcomer\'s presence key is on the master to be killed');

    // Chats: everyone; a ring of private chats; a quiet group of everyone (presence only, no messages).
    const everyone = await api.groupChat(people[0], 'everyone', people.slice(1));
    const pairs = [];
    for (let i = 0; i < USERS; i++) pairs.push(await api.privateChat(people[i], people[(i + 1) % USERS]));
    const lobby = await api.groupChat(watcherUser, 'lobby', [...people, leaverUser, newcomerUser]);
    const traffic = [everyone, ...pairs];
    // The chat whose shard dies: its channel on the master to be killed, with members placed on A and on B
    // that are still there when it is probed (user 0 on A, user 1 on B, or users 3 and 4).
    const candidates = [everyone, pairs[0], pairs[3]];
    let doomed = null;
    for (const c of candidates) if (!doomed && (await onVictim(chatChannel(c.id)))) doomed = c;
    const extra = [];
    while (!doomed && extra.length < 30) {
      const g = await api.groupChat(people[0], `extra ${extra.length}`, people.slice(1));
      extra.push(g);
      if (await onVictim(chatChannel(g.id))) doomed = g;
    }
    assert.ok(doomed, 'a busy chat has its channel on the master to be killed');
    traffic.push(...extra);
    const slotOwners = new Map();
    for (const c of traffic) slotOwners.set(c.id, await cluster.masterForSlot(keySlot(chatChannel(c.id))));
    const survivingChats = traffic.filter((c) => slotOwners.get(c.id) !== victim);
    assert.ok(survivingChats.length > 0, 'some busy chats live on masters that survive');

    // Devices: user i on process i % 3; the watcher on B; the leaver (a bare connection) on A.
    const users = people.map((u, i) => device(`user ${i}`, u));
    const watcher = device('watcher', watcherUser);
    devices.push(...users, watcher);
    await Promise.all(users.map((d, i) => d.connect(servers[i % PROCESSES])));
    await watcher.connect(B);
    const leaver = await Client.open(A.baseUrl, { token: leaverUser.token });
    extraClients.push(leaver);
    await leaver.waitFor((e) => e.type === 'connected', 'leaver connected');
    for (const d of [...users, watcher]) {
      d.online = true;
      d.runRetries();
    }
    const membersOf = (chat) => users.filter((d) => d.have.has(chat.id));
    for (const c of traffic) assert.ok(membersOf(c).length >= 2, `chat ${c.id} is known to its members`);

    const onlineNow = async () => new Set((await watcher.sync()).data.online_user_ids);
    const talkers = users.map((d) => d.user.id);
    await until('the watcher sees everyone online', async () => {
      const online = await onlineNow();
      return [...talkers, leaverUser.id].every((id) => online.has(id));
    });

    /**
     * Sends probes from `sender` into `chat` until one reaches every one of `receivers` live (a new probe
     * every PROBE_MS). Resolves with the number of probes sent.
     */
    async function probe(sender, chat, receivers, what) {
      let sentProbes = 0;
      let last = null;
      await until(
        what,
        async () => {
          if (sender.finished) throw new Error(`${what}: the test is over`);
          const cmid = sender.sendNew(chat.id, 'probe ');
          last = cmid;
          sentProbes++;
          const arrived = () => receivers.every((d) => d.byCmid.get(cmid)?.how.startsWith('live'));
          const deadline = Date.now() + PROBE_MS;
          while (Date.now() < deadline && !arrived()) await sleep(50);
          return arrived();
        },
        WAIT_MS * 1.5,
        0,
        () => {
          const late = receivers.filter((d) => !d.byCmid.get(last)?.how.startsWith('live'));
          return `(last probe ${last}: not live at ${late.map((d) => `${d.name} on ${d.where}`)})`;
        },
      );
      return sentProbes;
    }
    // Before the kill, fan-out works in every chat.
    await Promise.all(traffic.map((c) => probe(membersOf(c)[0], c, membersOf(c).slice(1), `chat ${c.id} before the kill`)));

    // Traffic, then the kill in the middle of it.
    const load = { on: true };
    for (const [i, d] of users.entries()) {
      d.runTraffic([everyone.id, pairs[i].id, pairs[(i + USERS - 1) % USERS].id, ...extra.map((g) => g.id)], load);
    }
    await sleep(TRAFFIC_BEFORE_KILL_MS);
    const killedAt = Date.now();
    await cluster.killMaster(victim);

    // At once: the leaver goes, three users move to another process while the replica takes over.
    leaver.close();
    const leftAt = Date.now();
    const during = [users[6], users[7], users[8]];
    const duringTo = [B, C, A];
    const duringResumes = during.map((d, k) => d.reconnect(duringTo[k]));
    duringResumes.forEach((p) => p.catch(() => {})); // awaited below

    // The watcher's online list, polled from the kill until the end.
    const polls = [];
    const polling = { on: true };
    const poller = (async () => {
      while (polling.on && !watcher.finished) {
        try {
          polls.push({ after: Date.now() - killedAt, online: await onlineNow() });
        } catch (err) {
          polls.push({ after: Date.now() - killedAt, error: err.message });
        }
        await sleep(500);
      }
    })();

    const newMaster = await cluster.waitFailedOver(keySlot(chatChannel(doomed.id)), victim);
    const failedOverAt = Date.now();
    assert.equal(await cluster.masterForSlot(eventsSlot), newMaster, `${EVENTS_CHANNEL} moved with the slot range`);
    await Promise.all(duringResumes);
    for (const [k, d] of during.entries()) assert.equal(d.where, duringTo[k].name, `${d.name} resumed on ${duringTo[k].name}`);

    // 1. Fan-out resumes by itself: first the chat whose shard died, from A to B, to connections that never
    // reconnected; then every chat, to every member's connection.
    const senderOnA = membersOf(doomed).find((d) => d.where === 'A' && d.connections.length === 1);
    const receiversOnB = membersOf(doomed).filter((d) => d.where === 'B' && d.connections.length === 1);
    assert.ok(senderOnA && receiversOnB.length > 0, `chat ${doomed.id} has members on A and B that never reconnected`);
    const doomedProbes = await probe(senderOnA, doomed, receiversOnB, `fan-out A -> B in chat ${doomed.id}, whose shard died`);
    const doomedBackAt = Date.now();
    const probesPerChat = await Promise.all(
      traffic.map((c) => {
        const members = membersOf(c);
        return probe(members[0], c, members.slice(1), `fan-out in chat ${c.id} after the failover`);
      }),
    );
    const resumedAt = Date.now();

    // 2. Presence: a user who connects on A now is announced to every connection that shares a chat with
    // them, on every process, and is in the online list.
    const listeners = [...users, watcher];
    const marks = new Map(listeners.map((d) => [d, d.mark()]));
    const newcomer = await Client.open(A.baseUrl, { token: newcomerUser.token });
    extraClients.push(newcomer);
    await newcomer.waitFor((e) => e.type === 'connected', 'newcomer connected');
    const newcomerAt = Date.now();
    const heardNewcomer = (d) => d.statusEvents(newcomerUser.id, 'online', marks.get(d)).length > 0;
    await until(
      'every connection sharing a chat with the newcomer hears them online',
      () => listeners.every(heardNewcomer),
      WAIT_MS,
      100,
      () => `(not heard by ${listeners.filter((d) => !heardNewcomer(d)).map((d) => `${d.name} on ${d.where}`)})`,
    );
    const newcomerHeardAfter = Date.now() - newcomerAt;
    await until('the newcomer is in the watcher\'s online list on B', async () => (await onlineNow()).has(newcomerUser.id));

    // Three more users resume on another process, after the failover.
    const afterwards = [users[3], users[4], users[5]];
    const afterwardsTo = [C, A, B];
    await Promise.all(afterwards.map((d, k) => d.reconnect(afterwardsTo[k])));

    await sleep(TRAFFIC_AFTER_MS);
    load.on = false;
    await Promise.all(users.map((d) => d.traffic));
    const problems = () => devices.flatMap((d) => d.problems);
    await until(
      'every send acknowledged',
      () => users.every((d) => d.pending.size === 0) || problems().length > 0,
      WAIT_MS * 2,
      100,
      () => users.map((d) => `${d.name}: ${[...d.pending.keys()].slice(0, 5)}`).join('; '),
    );
    assert.deepEqual(problems(), [], 'no device saw anything wrong during the traffic');

    // 2 (continued). Within the presence expiry of the leaver's last refresh, the online list is right:
    // everyone connected, the leaver gone.
    const expected = sorted([...talkers, watcherUser.id, newcomerUser.id]);
    let lastOnline = null;
    await until(
      'the online list is right again (every connected user, not the leaver)',
      async () => {
        lastOnline = sorted(await onlineNow());
        return JSON.stringify(lastOnline) === JSON.stringify(expected);
      },
      Math.max(leftAt + PRESENCE_EXPIRY_MS + WAIT_MS - Date.now(), WAIT_MS),
      500,
      () => `(online ${JSON.stringify(lastOnline)}, expected ${JSON.stringify(expected)}, leaver ${leaverUser.id})`,
    );
    const presenceRightAfter = Date.now() - killedAt;
    polling.on = false;
    await poller;
    // During the failover the leaver is missing from B's list too (its key's master does not answer); it is
    // gone for good after the last poll that still had it.
    const lastWithLeaver = polls.findLastIndex((p) => p.online?.has(leaverUser.id));
    const leaverGoneAfter = polls[lastWithLeaver + 1]?.after ?? presenceRightAfter;

    // 3. The histories, read through REST.
    const chatsOf = membersByChat(users, [lobby.id]); // chat -> member devices
    const sentTo = sendsByChat(users);
    const histories = new Map();
    for (const [chat, members] of chatsOf) {
      const history = await fullHistory(new Api(servers[chat % PROCESSES]), members[0].user, chat);
      assertHistory(chat, history, sentTo.get(chat));
      histories.set(chat, history);
    }
    // A send may be transmitted again (on timeout, after a reconnect): one transmission stores it, any other
    // is answered as its duplicate.
    let answeredAsDuplicate = 0;
    const { stored: storedByCmid, acknowledged } = assertAcknowledged(users, histories, (d, s, acks) => {
      assert.ok(acks.length >= 1, `${d.name}: ${s.cmid} acknowledged (sent through ${s.via})`);
      assert.ok(acks.length <= s.via.length, `${d.name}: ${s.cmid} acknowledged at most once per transmission`);
      assert.ok(acks.filter((a) => !a.duplicate).length <= 1, `${d.name}: ${s.cmid} stored by one transmission only`);
      if (s.via.length === 1) assert.equal(acks[0].duplicate, false, `${d.name}: ${s.cmid}, sent once, is new`);
      if (acks.some((a) => a.duplicate)) answeredAsDuplicate++;
    });

    // 1 (continued). Once fan-out was back, nothing was missed live: a hole in a device's stream is a message
    // first sent before that (published while the bus was down or resubscribing); the device's sync from its
    // gapless cursor fills it.
    const holes = () => {
      const out = [];
      for (const [chat, members] of chatsOf) {
        for (const d of members) {
          for (const m of d.missing(chat, histories.get(chat))) {
            const s = allSends.get(m.client_message_id);
            out.push({ d, chat, m, s, explained: s.firstSentAt < resumedAt });
          }
        }
      }
      return out;
    };
    const describeHole = (h) =>
      `${h.d.name} on ${h.d.where}: chat ${h.chat} message ${h.m.id} (${h.m.client_message_id}, first sent ` +
      `${h.s.firstSentAt - killedAt} ms after the kill through ${h.s.via})`;
    await until('live deliveries settle', () => holes().every((h) => h.explained), WAIT_MS, 200, () =>
      holes().filter((h) => !h.explained).slice(0, 10).map(describeHole).join('; '),
    );
    const holesBefore = holes();
    assert.deepEqual(
      holesBefore.filter((h) => afterwards.includes(h.d)).map(describeHole),
      [],
      'a device that resumed after fan-out was back misses nothing',
    );
    const finalSyncs = new Map();
    for (const d of [...users, watcher]) finalSyncs.set(d, await d.sync());
    assertHaveHistories(chatsOf, histories);
    assert.equal(watcher.have.get(lobby.id).size, 0, 'no messages in the lobby');
    for (const [d, answer] of finalSyncs) {
      assert.deepEqual(sorted(answer.data.online_user_ids), expected, `${d.name} on ${d.where}: every connected user online, the leaver not`);
    }
    assert.deepEqual(problems(), [], 'no device saw anything wrong');
    for (const s of servers) assert.equal(s.exitStatus, null, `server ${s.name} is still running`);

    const windowPolls = polls.filter((p) => p.online && p.after < failedOverAt - killedAt);
    const worstMissing = Math.max(0, ...windowPolls.map((p) => talkers.filter((id) => !p.online.has(id)).length));
    const talkersBackAfter = polls.find((p) => p.online && p.after >= failedOverAt - killedAt && talkers.every((id) => p.online.has(id)))?.after;
    const sendErrors = users.flatMap((d) => d.sendErrors);
    const leaverOfflineHeard = listeners.reduce((n, d) => n + d.statusEvents(leaverUser.id, 'offline').length, 0);
    t.diagnostic(
      `masters ${mastersBefore.join(',')}; killed ${victim} (slot ${eventsSlot} of ${EVENTS_CHANNEL}; lowest port: ` +
        `${victim === mastersBefore[0]}), its replica ${newMaster} took over ${failedOverAt - killedAt} ms after the kill; ` +
        `chats ${traffic.length} (${traffic.length - survivingChats.length} on the killed master, doomed ${doomed.id}, ` +
        `${extra.length} extra groups); ` +
        `fan-out A -> B in the doomed chat back ${doomedBackAt - killedAt} ms after the kill (${doomedProbes} probes), ` +
        `in every chat ${resumedAt - killedAt} ms (up to ${Math.max(...probesPerChat)} probes a chat)`,
    );
    t.diagnostic(
      `presence: during the failover the watcher's online list lacked up to ${worstMissing} of ${talkers.length} connected users ` +
        `(all back ${talkersBackAfter} ms after the kill); the newcomer heard everywhere within ${newcomerHeardAfter} ms; ` +
        `the leaver gone from the list ${leaverGoneAfter} ms after the kill (user_status offline heard for them ${leaverOfflineHeard} times); ` +
        `online list right ${presenceRightAfter} ms after the kill`,
    );
    t.diagnostic(
      `${storedByCmid.size} messages stored, ${acknowledged} sends acknowledged (${answeredAsDuplicate} answered as a duplicate of ` +
        `a stored one); resent on timeout ${users.reduce((n, d) => n + d.resends, 0)}; send errors ${sendErrors.length}` +
        `${sendErrors.length ? ` (${JSON.stringify(sendErrors.slice(0, 3).map((e) => e.data))})` : ''}; resumes: ` +
        `${users.flatMap((d) => d.resumes.map((r) => `${d.name} ${r.from}->${r.to} replayed ${r.replayed}`)).join(', ')}; ` +
        `holes filled by the final sync: ${holesBefore.length} (on ${new Set(holesBefore.map((h) => h.d.name)).size} devices); ` +
        `${devices.reduce((n, d) => n + d.overlaps, 0)} sync messages a device already had; ${Math.round((Date.now() - started) / 1000)} s in all`,
    );
    t.diagnostic(
      servers.map((s) => `${s.name}: ${redisLines(s).filter((l) => /warn|error|again|subscribed/i.test(l)).length} redis log lines`).join(', '),
    );
  }
});
