import { ADMIN_TOKEN, REDIS_URL, TestHub, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { HubProcess } from './utils/hub-process';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';

jest.setTimeout(90_000);

const EVENTS = 300;

function worker(prefix: string, name: string): HubProcess {
  return new HubProcess({
    HUB_ROLE: 'worker',
    HUB_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'error',
    HUB_ADMIN_TOKEN: ADMIN_TOKEN,
    REDIS_URL,
    ALLOW_PRIVATE_TARGETS: 'true',
    STREAM_CONSUMER_NAME: name,
    // The default 60 s idle time stays: the dead worker's entries must be taken over through its lapsed
    // heartbeat, long before XAUTOCLAIM's idle time would hand them over.
    DELIVERY_LOCK_MS: '2000',
  });
}

describe('a worker killed with SIGKILL in the middle of deliveries', () => {
  let gateway: TestHub;
  let sink: HttpSink;
  const workers: HubProcess[] = [];

  beforeAll(async () => {
    gateway = await startHub('crash', { HUB_PREFIX: uniquePrefix('crash'), HUB_ROLE: 'gateway', WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    sink = await new HttpSink().start();
    // Slow enough that many deliveries are in flight when the worker dies.
    sink.reply = () => ({ status: 200, delayMs: 40 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await sink.stop();
    await gateway.close();
  });

  it('loses nothing: after a new worker starts every event is delivered (at least once)', async () => {
    const prefix = gateway.config.prefix;
    const sub = await admin(gateway).post('/api/v1/subscriptions', { url: sink.url(), events: ['whatsapp.*'], retrySchedule: [1, 1, 1] });
    expect(sub.status).toBe(201);

    const first = await worker(prefix, 'worker-a').start();
    workers.push(first);
    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i += 25) {
      ids.push(...(await Promise.all(Array.from({ length: Math.min(25, EVENTS - i) }, (_, j) => ingestBridgeEvent(gateway, 'message.received', { id: `k-${i + j}` })))));
    }
    expect(await waitFor(async () => sink.received.length >= 60, 20_000)).toBe(true);
    const killedAt = Date.now();
    await first.stop('SIGKILL');
    const atKill = sink.received.length;

    const second = await worker(prefix, 'worker-b').start();
    workers.push(second);
    const delivered = () => new Set(sink.received.map((r) => JSON.parse(r.body).id as string));
    const complete = await waitFor(async () => ids.every((id) => delivered().has(id)), 45_000, 200);
    const recoveredAfterMs = Date.now() - killedAt;
    // Jobs the dead worker held are taken over once their lock lapses (DELIVERY_LOCK_MS): wait until
    // every delivery record has settled, so the duplicates that recovery costs are counted too.
    const settled = await waitFor(async () => {
      const open = await Promise.all(
        ['pending', 'retrying'].map((status) => admin(gateway).get(`/api/v1/deliveries?subscriptionId=${sub.body.id}&status=${status}&limit=1`)),
      );
      return open.every((res) => res.body.data.length === 0);
    }, 30_000, 250);
    const succeeded = await admin(gateway).get(`/api/v1/deliveries?subscriptionId=${sub.body.id}&status=succeeded&limit=500`);
    const missing = ids.filter((id) => !delivered().has(id));
    const duplicates = sink.received.length - delivered().size;
    // The report the issue asks for: at-least-once, with the duplicates it cost.
    process.stdout.write(
      `worker crash: ${EVENTS} events, ${atKill} deliveries before SIGKILL, ${sink.received.length} deliveries in all, ` +
        `${delivered().size} distinct, ${duplicates} duplicates, ${missing.length} missing, all delivered ${recoveredAfterMs} ms after the kill\n`,
    );
    expect(missing).toEqual([]);
    expect(complete).toBe(true);
    expect(settled).toBe(true);
    expect(succeeded.body.data).toHaveLength(EVENTS);
    const [pending] = (await gateway.redis.xpending(`{${prefix}}:events`, 'fanout')) as [number];
    expect(Number(pending)).toBe(0);
    // The dead consumer was taken over and forgotten; only the live one remains in the group.
    const consumersLeft = async () => ((await gateway.redis.xinfo('CONSUMERS', `{${prefix}}:events`, 'fanout')) as unknown[][]).map((c) => String(c[1]));
    expect(await waitFor(async () => (await consumersLeft()).join() === 'worker-b', 30_000, 250)).toBe(true);
  });
});
