import { randomBytes } from 'node:crypto';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis, { Cluster } from 'ioredis';
import { waitFor } from './hub-test-app';

const exec = promisify(execFile);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` ports whose cluster-bus port (+10000) is free too, in 20000-29999. */
async function clusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count && tries < 500; tries++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (ports.includes(port)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) ports.push(port);
  }
  if (ports.length < count) throw new Error('no free loopback ports for a Redis Cluster');
  return ports;
}

/**
 * A Redis Cluster of `masters` masters (no replicas) on loopback ports, made the way an operator
 * would: `redis-server --cluster-enabled yes` per node, then `redis-cli --cluster create`.
 */
export class TestRedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'hub-cluster-'));
  ports: number[] = [];
  private nodes: ChildProcess[] = [];

  constructor(private readonly masters = 3) {}

  /** `host:port,...`, as REDIS_CLUSTER_NODES takes it. */
  get seeds(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  async start(): Promise<this> {
    this.ports = await clusterPorts(this.masters);
    for (const port of this.ports) {
      this.nodes.push(spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '5000', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--dbfilename', `dump-${port}.rdb`,
      ], { stdio: 'ignore' }));
    }
    for (const port of this.ports) {
      const probe = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
      probe.on('error', () => undefined);
      const up = await waitFor(async () => (await probe.ping().catch(() => '')) === 'PONG', 15_000, 50);
      probe.disconnect();
      if (!up) throw new Error(`cluster node ${port} did not start`);
    }
    await exec('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 });
    const check = this.client();
    try {
      const ok = await waitFor(async () => /cluster_state:ok/.test(await check.cluster('INFO').catch(() => '')) && (await check.set('cluster-probe', '1').then(() => true, () => false)), 30_000, 200);
      if (!ok) throw new Error('the cluster did not reach cluster_state:ok');
    } finally {
      check.disconnect();
    }
    return this;
  }

  client(): Cluster {
    const cluster = new Cluster(this.ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: 2 } });
    cluster.on('error', () => undefined);
    return cluster;
  }

  /** The node (port) serving a key's slot. */
  async nodeOf(key: string): Promise<number> {
    const probe = new Redis(this.ports[0], '127.0.0.1');
    try {
      const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
      const slots = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      return Number(range?.[2][1]);
    } finally {
      probe.disconnect();
    }
  }

  /**
   * A fresh hub prefix whose own tag is not on the first seed (so the client must follow MOVED) and
   * whose partition and delivery shard tags cover every master (a few tags over three masters may
   * miss one by chance; the count check is then about the hub, not the dice).
   */
  async spreadPrefix(name: string, partitions: number, deliveryQueues: number): Promise<string> {
    for (;;) {
      const prefix = `${name}-${randomBytes(3).toString('hex')}`;
      if ((await this.nodeOf(`{${prefix}}`)) === this.ports[0]) continue;
      const covers = async (tags: string[]) => new Set(await Promise.all(tags.map((tag) => this.nodeOf(tag)))).size === this.ports.length;
      const range = (n: number) => Array.from({ length: n }, (_, i) => i);
      if (!(await covers(range(partitions).map((p) => `{${prefix}:p${p}}`)))) continue;
      if (deliveryQueues > 1 && !(await covers(range(deliveryQueues).map((q) => `{${prefix}:q${q}}`)))) continue;
      return prefix;
    }
  }

  /** Keys on each node, by port. */
  async keysPerNode(pattern: string): Promise<Record<number, number>> {
    const counts: Record<number, number> = {};
    for (const port of this.ports) {
      const node = new Redis(port, '127.0.0.1');
      let cursor = '0';
      let n = 0;
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        n += keys.length;
      } while (cursor !== '0');
      node.disconnect();
      counts[port] = n;
    }
    return counts;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => new Promise<void>((resolve) => {
      if (node.exitCode !== null || node.signalCode !== null) return resolve();
      node.once('exit', () => resolve());
      node.kill('SIGKILL');
    })));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
