// A lost server process. Three processes share one PostgreSQL and one Redis; the test places every user's
// one WebSocket connection round-robin over them, keeps every user sending (each send with its own
// client_message_id), and kills one process with SIGKILL in the middle of that traffic (never restarted).
// The users of the dead process reconnect round-robin to the two survivors, resume by change number from
// what they had, and resend every send that was never acknowledged, with the same client_message_id.
//
// What it proves, once the traffic has stopped:
//   - every send is acknowledged exactly once, and every acknowledged message is in the history of its chat
//     exactly once, with the acknowledged id: nothing lost, nothing stored twice (ids and client_message_ids
//     unique), and every send resent after the crash (some of them committed by the dead process before it
//     could answer, some never received by it) is stored once; a send the dead process did acknowledge,
//     sent once more through a survivor, is answered as a duplicate of the stored message;
//   - every connection gets each message at most once live, a resume (sync from the device's cursor) carries
//     only what is after the cursor, and no live event repeats what a device already had; a device ends with
//     exactly the history of each of its chats. A device on a surviving process may miss live what the dead
//     process committed and never published (the bus is a hint; the store is the truth): such a hole must be a
//     message sent through the dead process, and the device's sync from its gapless cursor fills it.
//
// Presence, as the server defines it: a user is online while some connection of theirs is counted in
// Redis (`<prefix>:presence:<user>`, connection ids scored by expiry; src/bus/redis_scripts.hpp). A
// crashed process removes nothing: its connections stay counted until their expiry, at most
// presence_ttl = 30 s after the last refresh (every 10 s), so 20 to 30 s after the kill. There is no
// setting to shorten it (src/bus/bus.hpp redis_bus_options, not among the keys of src/config/settings.cpp).
// The dead process also stops refreshing its place in the registry of live processes; a survivor claims it
// once it expired (a second after its connections) at its next refresh, and announces user_status "offline"
// for those of its users connected nowhere else. Hence two kinds of users of the dead process:
//   - "prompt" users reconnect at once, long before their old connection expires. They are never shown
//     offline (some connection of theirs always counts) and their return announces nothing (it is not
//     their first connection). The test asserts they are in every online list and never announced offline.
//   - "late" users come back only after a watcher sees them gone from online_user_ids and hears them go
//     offline (a phone that lost the network with the process). Their first connection afterwards is
//     announced: every member connected at that time gets user_status "online" for them, and the online list
//     has them again.
// The watcher is a user with a private chat (no messages) with each of them, so that presence is visible to
// it while its own message stream stays empty. Because of the 30 s expiry this test takes about 45 s.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, startServer, sleep } from './harness.mjs';
import { RedisServer } from './redis_server.mjs';
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
const USERS = 12; // four per process
const DEAD = 2; // the process killed
const BURST = 20; // sends of each user of the dead process just before the kill, to have some in flight
const PRESENCE_EXPIRY_MS = 30_000; // bus.hpp presence_ttl: a crashed process's connections count this long
const WAIT_MS = 20_000; // generous: the machine is small and busy
// After the connections expired: the registry entry a second later, then a survivor's next refresh (10 s).
const PRESENCE_REAP_MS = 11_000 + WAIT_MS;

async function until(what, fn, timeoutMs = WAIT_MS, everyMs = 100, detail = () => '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms ${detail()}`);
    await sleep(everyMs);
  }
}

const allSends = new Map(); // cmid -> send, of every device

/**
 * A device that may be on the process to be killed (`expectLoss`): then losing its connection is no problem;
 * it resumes on a survivor, and sends `reconfirm` once more along with what was never acknowledged.
 */
class Device extends ResumingDevice {
  constructor(name, user) {
    super(name, user, { sends: allSends });
    this.expectLoss = false; // on the process that is killed
    this.inFlightAtKill = new Set();
    this.reconfirm = null; // a send the dead process acknowledged, resent once more after the resume
    this.placement = null; // () => the survivor to resume on (set by the test)
    this.mayReturn = Promise.resolve(); // the resume waits for it (the late users' gate)
    this.resumed = null; // the resume, once the connection was lost
  }

  lost(conn, e) {
    if (!this.expectLoss) {
      super.lost(conn, e);
      return;
    }
    this.resumed = (async () => {
      await this.mayReturn;
      await this.resume(this.placement);
    })();
    this.resumed.catch(() => {}); // awaited by the test
  }

  resendPending() {
    super.resendPending();
    if (this.reconfirm) {
      const s = this.sent.get(this.reconfirm);
      this.pending.set(s.cmid, s);
      this.transmit(s);
    }
  }
}

describe('a server process lost under traffic [postgresql]', { skip }, () => {
  const redis = new RedisServer();
  const servers = [];
  const devices = [];

  before(async () => {
    await redis.start();
    const backend = { name: 'postgresql', kind: 'postgresql', fresh: false, url: pgUrl };
    // A resume after the crash replays everything since the device's cursor in one answer.
    const env = { REDIS_URL: redis.url, WS_SYNC_MAX_MESSAGES: '100000' };
    for (let i = 0; i < PROCESSES; i++) {
      const server = await startServer(backend, { env, secretKey: servers[0]?.secretKey });
      server.name = `process ${i}`;
      servers.push(server);
    }
  });
  after(async () => {
    for (const d of devices) d.close();
    for (const s of servers) await s.stop();
    await redis.stop();
  });

  it('its users reconnect to the others and resume: nothing lost, nothing twice, offline and online again', { timeout: 240_000 }, async (t) => {
    const started = Date.now();
    const api = [new Api(servers[0]), new Api(servers[1])]; // REST only through survivors
    const people = await api[0].users(USERS + 1, 'lost');
    const watcherUser = people.pop();
    const group = await api[0].groupChat(people[0], 'everyone', people.slice(1));
    const pairs = [];
    for (let i = 0; i < USERS; i++) pairs.push(await api[i % 2].privateChat(people[i], people[(i + 1) % USERS]));
    for (let i = 0; i < USERS; i++) await api[i % 2].privateChat(watcherUser, people[i]);

    // Round-robin placement: user i on process i % 3; the watcher, the 13th, on process 0.
    const users = people.map((u, i) => new Device(`user ${i}`, u));
    const watcher = new Device('watcher', watcherUser);
    devices.push(...users, watcher);
    await Promise.all([...users, watcher].map((d, i) => d.connect(servers[i % PROCESSES])));
    for (const d of [...users, watcher]) d.online = true;
    const onDead = users.filter((_, i) => i % PROCESSES === DEAD);
    const prompt = onDead.slice(0, onDead.length / 2);
    const late = onDead.slice(onDead.length / 2);
    const stayed = users.filter((d) => !onDead.includes(d));
    const survivors = servers.filter((_, i) => i !== DEAD);
    let next = 0;
    const placement = () => survivors[next++ % survivors.length];
    let letLateReturn;
    const lateGate = new Promise((resolve) => {
      letLateReturn = resolve;
    });
    for (const d of onDead) {
      d.expectLoss = true;
      d.placement = placement;
      d.mayReturn = late.includes(d) ? lateGate : Promise.resolve();
    }

    const onlineNow = async () => new Set((await watcher.sync()).data.online_user_ids);
    const allIds = users.map((d) => d.user.id);
    await until('the watcher sees everyone online', async () => {
      const online = await onlineNow();
      return allIds.every((id) => online.has(id));
    });

    // Traffic: each user to the group and to its two private chats.
    const traffic = { on: true };
    for (const [i, d] of users.entries()) {
      d.runTraffic([group.id, pairs[i].id, pairs[(i + USERS - 1) % USERS].id], traffic);
    }
    await sleep(3000);

    // Sends in flight on the process to be killed: a burst from each of its users, and at the first
    // acknowledgement of any of them (the process is committing the bursts: some committed and not answered
    // yet, some not read yet), three more each, then SIGKILL at once.
    const firstBurstAck = new Promise((resolve) => {
      for (const d of onDead) d.onAck = (ack) => ack.text.includes(' burst #') && resolve();
    });
    for (const d of onDead) for (let i = 0; i < BURST; i++) d.sendNew(group.id, 'burst ');
    let noAck;
    await Promise.race([
      firstBurstAck,
      new Promise((_, reject) => {
        noAck = setTimeout(() => reject(new Error('the doomed process acknowledged none of the burst')), WAIT_MS);
      }),
    ]);
    clearTimeout(noAck);
    for (const d of onDead) {
      d.onAck = null;
      for (let i = 0; i < 3; i++) d.sendNew(pairs[users.indexOf(d)].id, 'last ');
      d.inFlightAtKill = new Set(d.pending.keys());
      // Also resent after the resume, though acknowledged: a message the dead process stored is recognised
      // by another process as the same send, whatever the race above left in flight.
      d.reconfirm = [...d.sent.keys()].filter((cmid) => d.acks.has(cmid)).at(-1);
      assert.ok(d.reconfirm, `${d.name} had a send acknowledged by the doomed process`);
    }
    const killedAt = Date.now();
    const status = await servers[DEAD].signalAndWait('SIGKILL', WAIT_MS);
    assert.equal(status?.signal, 'SIGKILL', `${servers[DEAD].name} killed`);

    // Until the late users may come back: the survivors and the prompt users stay in every online list;
    // the late users drop out once their dead connections expire.
    const polls = [];
    await until(
      'the late users show offline once the dead process\'s connections expire',
      async () => {
        const online = await onlineNow();
        polls.push({ after: Date.now() - killedAt, online });
        return late.every((d) => !online.has(d.user.id));
      },
      PRESENCE_EXPIRY_MS + WAIT_MS,
      500,
      () => `(last online list: ${JSON.stringify([...(polls.at(-1)?.online ?? [])])}, late: ${late.map((d) => d.user.id)})`,
    );
    const offlineAfter = polls.at(-1).after;
    // A survivor reaps the dead process and says so: the watcher hears each late user go offline, once.
    await until(
      'the watcher hears the late users go offline',
      () => late.every((d) => watcher.statusEvents(d.user.id, 'offline').length > 0),
      PRESENCE_REAP_MS,
      200,
      () => `(offline events: ${late.map((d) => watcher.statusEvents(d.user.id, 'offline').length)})`,
    );
    const heardOfflineAfter = Date.now() - killedAt;
    for (const p of polls) {
      for (const d of [...stayed, ...prompt]) {
        assert.ok(p.online.has(d.user.id), `${d.name} is online ${p.after} ms after the kill`);
      }
    }
    for (const d of onDead) assert.ok(d.resumed, `${d.name} noticed the loss of its connection`);
    await Promise.all(prompt.map((d) => d.resumed));
    for (const d of prompt) {
      assert.notEqual(d.conn.server, servers[DEAD], `${d.name} moved to a survivor`);
      assert.equal(d.connections.length, 2);
    }

    // The late users come back; everyone connected then hears it.
    const listeners = [watcher, ...stayed, ...prompt];
    const marks = new Map(listeners.map((d) => [d, d.mark()]));
    letLateReturn();
    await Promise.all(late.map((d) => d.resumed));
    for (const d of late) assert.equal(d.connections.length, 2, `${d.name} reconnected once`);
    await until(
      'every connected member hears the late users online again',
      () => listeners.every((l) => late.every((d) => l.statusEvents(d.user.id, 'online', marks.get(l)).length > 0)),
      WAIT_MS,
      100,
      () => listeners.map((l) => `${l.name}: ${late.map((d) => l.statusEvents(d.user.id, 'online', marks.get(l)).length)}`).join(', '),
    );
    await until('the late users are in the online list again', async () => {
      const online = await onlineNow();
      return allIds.every((id) => online.has(id));
    });
    for (const l of listeners) {
      for (const d of prompt) {
        assert.deepEqual(l.statusEvents(d.user.id, 'offline'), [], `${l.name} never heard ${d.name} (back at once) offline`);
      }
    }
    for (const d of late) {
      assert.equal(watcher.statusEvents(d.user.id, 'offline').length, 1, `the watcher heard ${d.name} offline once`);
    }

    // A little more traffic with everyone back, then stop and let every send be acknowledged.
    await sleep(2000);
    traffic.on = false;
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
    for (const s of survivors) assert.equal(s.exitStatus, null, `${s.name} is still running`);

    // The histories, each read by every member through a surviving process.
    const chatsOf = membersByChat(users); // chat -> member devices
    const sentTo = sendsByChat(users);
    const histories = new Map();
    let stored = 0;
    for (const [chat, members] of chatsOf) {
      for (const [k, member] of members.entries()) {
        const history = await fullHistory(api[k % 2], member.user, chat);
        const ids = history.map((m) => m.id);
        assertHistory(chat, history, sentTo.get(chat), member.name);
        if (histories.has(chat)) {
          assert.deepEqual(ids, histories.get(chat).map((m) => m.id), `chat ${chat}: every member reads the same history`);
        } else {
          histories.set(chat, history);
          stored += history.length;
        }
      }
    }
    const { acknowledged } = assertAcknowledged(users, histories, (d, s, acks) => {
      if (s.cmid === d.reconfirm) {
        assert.equal(acks.length, 2, `${d.name}: ${s.cmid}, sent again on purpose, answered twice`);
        assert.equal(acks[1].duplicate, true, `${d.name}: ${s.cmid} sent again is a duplicate`);
        assert.equal(acks[1].id, acks[0].id, `${d.name}: ${s.cmid} sent again answers the stored message`);
        assert.deepEqual(s.via, [servers[DEAD].name, s.via[1]]);
      } else {
        assert.equal(acks.length, 1, `${d.name}: ${s.cmid} acknowledged once (sent through ${s.via})`);
      }
    });

    // The sends resent after the crash: each stored once, under one id.
    const retried = onDead.flatMap((d) => [...d.retried].map((cmid) => ({ d, cmid })));
    assert.ok(retried.length > 0, 'some sends were in flight when the process died, and were resent');
    for (const d of onDead) {
      for (const cmid of d.inFlightAtKill) {
        const answeredBeforeClose = !d.retried.has(cmid);
        assert.ok(d.retried.has(cmid) || d.acks.get(cmid)?.[0]?.duplicate === false, `${d.name}: ${cmid} resent or answered`);
        if (answeredBeforeClose) assert.ok(d.sent.get(cmid).via.length === 1);
      }
    }
    let alreadyStored = 0;
    for (const { d, cmid } of retried) {
      const s = d.sent.get(cmid);
      assert.equal(s.via[0], servers[DEAD].name, `${d.name}: ${cmid} was first sent to the dead process`);
      assert.equal(s.via.length, 2, `${d.name}: ${cmid} resent once`);
      assert.ok(survivors.some((x) => x.name === s.via[1]), `${d.name}: ${cmid} resent to a survivor`);
      if (d.acks.get(cmid)[0].duplicate) alreadyStored++;
    }

    // Every device's stream: a device may lack only what the dead process committed and never published.
    // That includes a commit the dead process had sent to PostgreSQL before it died and PostgreSQL finished
    // after, possibly after a resumed device's sync. A hole in the change numbers is how the device knows:
    // its sync from the gapless cursor fills it.
    const throughDead = new Set(
      users.flatMap((d) => [...d.sent.values()].filter((s) => s.via.includes(servers[DEAD].name)).map((s) => s.cmid)),
    );
    const unexplained = () => {
      const out = [];
      for (const [chat, members] of chatsOf) {
        for (const d of members) {
          for (const m of d.missing(chat, histories.get(chat))) {
            if (!throughDead.has(m.client_message_id)) {
              out.push(`${d.name}: chat ${chat} message ${m.id} (${m.client_message_id}, sent through ${allSends.get(m.client_message_id)?.via})`);
            }
          }
        }
      }
      return out;
    };
    await until('live deliveries settle', () => unexplained().length === 0, WAIT_MS, 200, () => unexplained().slice(0, 10).join('; '));
    const holes = { stayed: 0, resumed: 0 };
    for (const d of users) {
      const gaps = [...chatsOf].filter(([chat, members]) => members.includes(d) && d.missing(chat, histories.get(chat)).length > 0);
      if (gaps.length === 0) continue;
      holes[onDead.includes(d) ? 'resumed' : 'stayed'] += gaps.reduce((n, [chat]) => n + d.missing(chat, histories.get(chat)).length, 0);
      await d.sync(); // the gapless cursor sits below the hole
    }
    assertHaveHistories(chatsOf, histories);
    for (const chat of watcher.have.keys()) assert.equal(watcher.have.get(chat).size, 0, 'no messages to the watcher');
    assert.deepEqual(problems(), [], 'no device saw anything wrong');

    t.diagnostic(
      `${stored} messages stored, ${acknowledged} acknowledged; killed ${Math.round((killedAt - started) / 1000)} s in; ` +
        `late users offline ${offlineAfter} ms after the kill (user_status offline heard ${heardOfflineAfter} ms after it); ` +
        `${retried.length} sends resent, ${alreadyStored} of them already stored by the dead process; ` +
        `messages the dead process committed and never published, filled by a sync: ${holes.stayed} on devices that ` +
        `stayed, ${holes.resumed} on devices that resumed; ` +
        `${devices.reduce((n, d) => n + d.overlaps, 0)} sync messages a device already had; ` +
        `${Math.round((Date.now() - started) / 1000)} s in all`,
    );
  });
});
