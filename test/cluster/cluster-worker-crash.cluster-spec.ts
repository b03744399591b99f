import { join } from 'node:path';
import { ADMIN_TOKEN, freePort, waitFor } from '../utils/hub-test-app';
import { HttpSink } from '../utils/http-sink';
import { HubProcess } from '../utils/hub-process';
import { TestRedisCluster } from '../utils/redis-cluster';
import { RELIABILITY_DIR } from '../utils/reliability-report';
import { sha256Header } from '../utils/signatures';

jest.setTimeout(180_000);

const SECRET = 'cluster-crash-secret';
const EVENTS = 300;

/**
 * The crash test on the cluster: two gateways and two workers as processes on three masters; one
 * worker is SIGKILLed mid-delivery and nothing is lost (its stream entries are taken over through its
 * lapsed heartbeat, its jobs when their locks lapse).
 */
describe('a worker SIGKILLed on a Redis Cluster', () => {
  const cluster = new TestRedisCluster(3);
  const sink = new HttpSink();
  const processes: HubProcess[] = [];

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await sink.stop();
    await cluster.stop();
  });

  it('loses nothing: every event is delivered (at least once) by the workers that remain', async () => {
    await cluster.start();
    await sink.start();
    sink.reply = () => ({ status: 200, delayMs: 40 });
    const prefix = await cluster.spreadPrefix('cluster-crash', 8, 4);
    const env = (role: string, extra: Record<string, string>) => ({
      HUB_ROLE: role, HUB_PREFIX: prefix, REDIS_CLUSTER_NODES: cluster.seeds, REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}`,
      HUB_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1', LOG_LEVEL: 'warn', WHATSAPP_WEBHOOK_SECRET: SECRET,
      ALLOW_PRIVATE_TARGETS: 'true', DELIVERY_LOCK_MS: '2000', EVENT_PARTITIONS: '8', DELIVERY_QUEUES: '4', ...extra,
    });
    const ports = [await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) processes.push(await new HubProcess(env('gateway', { PORT: String(port) }), join(RELIABILITY_DIR, 'cluster-logs', `gateway-${i}.log`)).start());
    const workers = [];
    for (const name of ['worker-a', 'worker-b']) {
      const worker = await new HubProcess(env('worker', { PORT: '0', STREAM_CONSUMER_NAME: name }), join(RELIABILITY_DIR, 'cluster-logs', `${name}.log`)).start();
      processes.push(worker);
      workers.push(worker);
    }
    const created = await fetch(`http://127.0.0.1:${ports[0]}/api/v1/subscriptions`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: sink.url('/crash'), events: ['whatsapp.*'], retrySchedule: [1, 1, 1] }),
    });
    expect(created.status).toBe(201);

    // Events through both gateways, in small concurrent groups.
    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i += 20) {
      const group = await Promise.all(Array.from({ length: Math.min(20, EVENTS - i) }, async (_, j) => {
        const n = i + j;
        const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: `k-${n}` } });
        const res = await fetch(`http://127.0.0.1:${ports[n % 2]}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': sha256Header(SECRET, body) }, body });
        expect(res.status).toBe(202);
        return ((await res.json()) as { accepted: string[] }).accepted[0];
      }));
      ids.push(...group);
      if (i === 100) {
        await waitFor(async () => sink.received.length >= 40, 20_000);
        await workers[0].stop('SIGKILL');
      }
    }
    const delivered = () => new Set(sink.received.map((r) => JSON.parse(r.body).id as string));
    expect(await waitFor(async () => ids.every((id) => delivered().has(id)), 90_000, 250)).toBe(true);
    const duplicates = sink.received.length - delivered().size;
    process.stdout.write(`cluster worker crash: ${EVENTS} events through 2 gateways, 2 workers (one SIGKILLed), ${delivered().size} delivered, ${duplicates} duplicates\n`);
  });
});
