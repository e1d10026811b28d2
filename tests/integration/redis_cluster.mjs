// A Redis Cluster of a test's own on loopback: three masters with one replica each (six redis-server
// processes in a temporary folder), joined with `redis-cli --cluster create`, so that a test can kill a master
// and watch its replica take over. Each node gets a free port and a free cluster-bus port (the default,
// port + 10000, may be taken or out of range), a short node timeout (2 s) so that a failover takes seconds,
// and no persistence. The nodes are started in ascending port order, so the first master, with slots 0-5460,
// is the one on the lowest port.
//
//   const cluster = new RedisCluster();
//   await cluster.start();            // resolves once every node says cluster_state:ok and every replica
//                                     // is in sync with its master (one that never synced refuses to fail over)
//   cluster.urls                      // "redis://127.0.0.1:P1,redis://127.0.0.1:P2,..." (every node a seed)
//   await cluster.masterForSlot(s)    // the port of the master serving slot s now (CLUSTER NODES), 0 for none
//   await cluster.killMaster(port)    // SIGKILL
//   await cluster.waitFailedOver(s, port)   // the port of the master that took slot s over
//   await cluster.stop()              // SIGKILL every node, remove the folder (also after a failed start)

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { track } from '../support/children.mjs';
import { sleep } from './harness.mjs';

const START_DEADLINE_MS = 30_000;
const FAILOVER_DEADLINE_MS = 30_000;
const CLI_TIMEOUT_MS = 5_000;

/** CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum Redis Cluster hashes keys with. */
export function crc16(bytes) {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * The slot of a key or channel: CRC16 of its hash tag (the text inside the first non-empty "{...}"), else of the
 * whole key, mod 16384 (CLUSTER KEYSLOT).
 */
export function keySlot(key) {
  let part = key;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) part = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(part, 'utf8')) % 16384;
}

/** `count` distinct free TCP ports on loopback (all held open at once, then released). */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Runs redis-cli with `args`; resolves with its standard output, rejects when it fails. */
export function redisCli(args, timeout = CLI_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout }, (err, stdout, stderr) => {
      if (err) {
        err.message = `redis-cli ${args.join(' ')}: ${err.message} ${stdout} ${stderr}`.trim();
        reject(err);
      } else {
        resolve(stdout);
      }
    });
  });
}

/** The lines of CLUSTER NODES: {id, port, flags: [...], master, slots: [[first, last], ...]}. */
export function parseClusterNodes(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const address = f[1]; // ip:port@cport[,hostname]
    const hostPort = address.split('@')[0];
    const port = Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
    const slots = [];
    for (const range of f.slice(8)) {
      if (range.startsWith('[')) continue; // a slot being migrated
      const [first, last = first] = range.split('-').map(Number);
      slots.push([first, last]);
    }
    out.push({ id: f[0], port, flags: f[2].split(','), master: f[3], slots });
  }
  return out;
}

export class RedisCluster {
  constructor({ masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 2000 } = {}) {
    this.masters = masters;
    this.replicasPerMaster = replicasPerMaster;
    this.nodeTimeoutMs = nodeTimeoutMs;
    this.nodes = []; // {port, busPort, child, exited}
    this.dir = null;
  }

  get ports() {
    return this.nodes.map((n) => n.port);
  }

  /** Every node as a seed, comma-separated: REDIS_URL for a server process. */
  get urls() {
    return this.ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
  }

  async start() {
    if (this.dir) throw new Error('cluster already started');
    this.dir = mkdtempSync(path.join(tmpdir(), 'windi-cluster-'));
    const count = this.masters * (1 + this.replicasPerMaster);
    try {
      const ports = await freePorts(count * 2);
      const nodePorts = ports.slice(0, count).sort((x, y) => x - y);
      const busPorts = ports.slice(count);
      for (const [i, port] of nodePorts.entries()) this.spawnNode(port, busPorts[i]);
      for (const node of this.nodes) await this.waitPing(node);
      await redisCli(
        [
          '--cluster', 'create',
          ...this.ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas', String(this.replicasPerMaster),
          '--cluster-yes',
        ],
        START_DEADLINE_MS,
      );
      await this.waitUntil('the cluster is ok and every replica in sync', () => this.healthy(), START_DEADLINE_MS);
    } catch (err) {
      err.message += `\n${this.logTails()}`;
      await this.stop();
      throw err;
    }
    return this;
  }

  spawnNode(port, busPort) {
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      // A replica's first sync starts at once (by default a master waits 5 s for more replicas to join it).
      '--repl-diskless-sync-delay', '0',
      '--cluster-enabled', 'yes',
      '--cluster-config-file', path.join(this.dir, `nodes-${port}.conf`),
      '--cluster-port', String(busPort),
      '--cluster-node-timeout', String(this.nodeTimeoutMs),
      '--dir', this.dir,
      '--logfile', path.join(this.dir, `redis-${port}.log`),
    ];
    const child = track(spawn('redis-server', args, { stdio: 'ignore' }));
    const node = { port, busPort, child, exitStatus: null };
    node.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        node.exitStatus = { code, signal };
        resolve(node.exitStatus);
      });
      child.once('error', (err) => {
        node.exitStatus = { error: err.message };
        resolve(node.exitStatus);
      });
    });
    this.nodes.push(node);
  }

  async waitPing(node) {
    await this.waitUntil(
      `redis-server on ${node.port} answers`,
      async () => {
        if (node.exitStatus) throw new Error(`redis-server on ${node.port} exited: ${JSON.stringify(node.exitStatus)}`);
        return (await this.cli(node.port, ['PING']).catch(() => '')).startsWith('PONG');
      },
      START_DEADLINE_MS,
    );
  }

  async waitUntil(what, fn, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await fn()) return;
      if (Date.now() > deadline) throw new Error(`redis cluster: ${what}: not within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** redis-cli against one node. */
  cli(port, args) {
    return redisCli(['-p', String(port), ...args]);
  }

  /** Every node alive says cluster_state:ok, and every replica alive has its link to its master up. */
  async healthy() {
    for (const node of this.nodes) {
      if (node.exitStatus) continue;
      const info = await this.cli(node.port, ['CLUSTER', 'INFO']).catch(() => '');
      if (!info.includes('cluster_state:ok')) return false;
      const replication = await this.cli(node.port, ['INFO', 'replication']).catch(() => '');
      if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
    }
    return true;
  }

  /** CLUSTER NODES as one live node sees it (the first that answers), parsed; [] when none answers. */
  async clusterNodes() {
    for (const node of this.nodes) {
      if (node.exitStatus) continue;
      try {
        return parseClusterNodes(await this.cli(node.port, ['CLUSTER', 'NODES']));
      } catch {
        // a node that is down: ask the next
      }
    }
    return [];
  }

  /** The port of the master serving `slot` now, as CLUSTER NODES of a live node says (failed masters skipped); 0 for none. */
  async masterForSlot(slot) {
    for (const n of await this.clusterNodes()) {
      if (!n.flags.includes('master') || n.flags.some((f) => f.startsWith('fail'))) continue;
      if (n.slots.some(([first, last]) => slot >= first && slot <= last)) return n.port;
    }
    return 0;
  }

  /** The ports of the masters serving slots now. */
  async masterPorts() {
    return (await this.clusterNodes())
      .filter((n) => n.flags.includes('master') && !n.flags.some((f) => f.startsWith('fail')) && n.slots.length > 0)
      .map((n) => n.port)
      .sort((x, y) => x - y);
  }

  node(port) {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  }

  /** SIGKILL to the node on `port` (a master, as the caller found it); resolves once it is gone. */
  async killMaster(port) {
    const node = this.node(port);
    if (node.exitStatus) throw new Error(`redis-server on ${port} is not running`);
    node.child.kill('SIGKILL');
    return node.exited;
  }

  /**
   * Waits until a master other than `oldPort` serves `slot` and every live node says cluster_state:ok;
   * resolves with that master's port.
   */
  async waitFailedOver(slot, oldPort, timeoutMs = FAILOVER_DEADLINE_MS) {
    let now = 0;
    await this.waitUntil(
      `slot ${slot} taken over from ${oldPort}`,
      async () => {
        now = await this.masterForSlot(slot);
        if (now === 0 || now === oldPort) return false;
        for (const node of this.nodes) {
          if (node.exitStatus) continue;
          const info = await this.cli(node.port, ['CLUSTER', 'INFO']).catch(() => '');
          if (!info.includes('cluster_state:ok')) return false;
        }
        return true;
      },
      timeoutMs,
    );
    return now;
  }

  /** The last lines of a node's log (for a failure message). */
  logTail(port, chars = 2000) {
    try {
      return readFileSync(path.join(this.dir, `redis-${port}.log`), 'utf8').slice(-chars);
    } catch {
      return '(no log)';
    }
  }

  logTails(chars = 1000) {
    if (!this.dir) return '';
    return this.nodes.map((n) => `--- redis ${n.port} ---\n${this.logTail(n.port, chars)}`).join('\n');
  }

  /** SIGKILL every node still running and remove the folder. Safe to call more than once. */
  async stop() {
    for (const node of this.nodes) if (!node.exitStatus) node.child.kill('SIGKILL');
    await Promise.all(this.nodes.map((n) => n.exited));
    this.nodes = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
