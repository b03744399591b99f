import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryQueues } from '@hub/delivery';
import { RedisKeys } from '@hub/store';
import { ADMIN_TOKEN, REDIS_URL, TestHub, freePort, startHub, waitFor } from './utils/hub-test-app';
import { HubProcess } from './utils/hub-process';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';

jest.setTimeout(90_000);

const SUBSCRIPTIONS = 8;
const EVENTS = 12;

interface ListedDelivery {
  id: string;
  eventId: string;
  subscriptionId: string;
  status: string;
  createdAt: string;
}

/**
 * DELIVERY_QUEUES=4 on one Redis: each subscription's deliveries, their records, bodies and dead
 * letters live in its shard's tag and its own BullMQ queue, and everything the API offers (listing
 * across shards page after page, by event, dead letters, redrive, stats, the dashboard) behaves as
 * with one queue.
 */
describe('sharded delivery queues (DELIVERY_QUEUES=4)', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let keys: RedisKeys;
  const subscriptionIds: string[] = [];
  const eventIds: string[] = [];
  let failing = true;

  beforeAll(async () => {
    hub = await startHub('delivery-queues', { DELIVERY_QUEUES: '4', EVENT_PARTITIONS: '2', WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    keys = hub.app.get(RedisKeys);
    sink = await new HttpSink().start();
    // Paths /fail-* answer 500 until `failing` is cleared.
    sink.reply = (req) => (failing && req.path.startsWith('/fail') ? { status: 500, body: 'down' } : { status: 200, body: 'ok' });
  });
  afterAll(async () => {
    await sink.stop();
    await hub.close();
  });

  it('delivers every event to every subscription once, each subscription in its own shard', async () => {
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const res = await admin(hub).post('/api/v1/subscriptions', { url: sink.url(`/ok-${i}`), events: ['whatsapp.*'] });
      expect(res.status).toBe(201);
      subscriptionIds.push(res.body.id);
    }
    const shards = new Set(subscriptionIds.map((id) => keys.deliveryShardOf(id)));
    // Eight ids over four shards: FNV-1a spreads them (a fixed seed-free hash, so check rather than assume).
    expect(shards.size).toBeGreaterThan(1);
    for (let i = 0; i < EVENTS; i++) eventIds.push(await ingestBridgeEvent(hub, 'message.received', { id: `q-${i}` }));
    const expected = SUBSCRIPTIONS * EVENTS;
    expect(await waitFor(async () => sink.received.length >= expected, 30_000)).toBe(true);
    const pairs = sink.received.map((r) => `${r.path} ${JSON.parse(r.body).id}`);
    expect(new Set(pairs).size).toBe(expected);
    expect(pairs).toHaveLength(expected);

    // Records and jobs sit under the shards' tags, none under the prefix's own tag.
    const prefix = hub.config.prefix;
    expect(await hub.redis.keys(`{${prefix}}:delivery:*`)).toEqual([]);
    for (const shard of shards) {
      expect((await hub.redis.keys(`{${prefix}:q${shard}}:delivery:*`)).length).toBeGreaterThan(0);
      expect((await hub.redis.keys(`{${prefix}:q${shard}}:bull:deliveries-${shard}:*`)).length).toBeGreaterThan(0);
    }
    for (const id of subscriptionIds) {
      const shard = keys.deliveryShardOf(id);
      expect(await hub.redis.zcard(`{${prefix}:q${shard}}:deliveries:subscription:${id}`)).toBe(EVENTS);
    }
  });

  it('lists deliveries newest first across shards, each once, page after page; by event and by subscription', async () => {
    const seen: ListedDelivery[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin(hub).get(`/api/v1/deliveries?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(SUBSCRIPTIONS * EVENTS);
    expect(new Set(seen.map((d) => d.id)).size).toBe(SUBSCRIPTIONS * EVENTS);
    const times = seen.map((d) => Date.parse(d.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const ofEvent = (await admin(hub).get(`/api/v1/deliveries?eventId=${eventIds[5]}&limit=100`)).body.data as ListedDelivery[];
    expect(ofEvent.map((d) => d.subscriptionId).sort()).toEqual([...subscriptionIds].sort());
    const ofSubscription = (await admin(hub).get(`/api/v1/deliveries?subscriptionId=${subscriptionIds[3]}&limit=100`)).body.data as ListedDelivery[];
    expect(ofSubscription.map((d) => d.eventId).sort()).toEqual([...eventIds].sort());
    const one = (await admin(hub).get(`/api/v1/deliveries/${ofSubscription[0].id}`)).body;
    expect(one).toMatchObject({ id: ofSubscription[0].id, status: 'succeeded', attempts: [expect.objectContaining({ statusCode: 200 })] });
  });

  it('keeps dead letters in their shards, lists and counts them all, and redrives them', async () => {
    // Failing subscriptions until two of them land in different shards.
    const failingIds: string[] = [];
    for (let i = 0; new Set(failingIds.map((id) => keys.deliveryShardOf(id))).size < 2; i++) {
      const res = await admin(hub).post('/api/v1/subscriptions', { url: sink.url(`/fail-${i}`), events: ['whatsapp.dead.*'], retrySchedule: [] });
      expect(res.status).toBe(201);
      failingIds.push(res.body.id);
    }
    const eventId = await ingestBridgeEvent(hub, 'dead.letter', { id: 'q-dead' });
    const dead = await waitFor(async () => {
      const res = await admin(hub).get('/api/v1/dead-letters?limit=2');
      const all = await admin(hub).get('/api/v1/dead-letters?limit=100');
      return all.body.data.length === failingIds.length ? { firstPage: res.body, all: all.body.data as ListedDelivery[] } : null;
    }, 30_000);
    expect(dead).toBeTruthy();
    expect(dead!.all.map((d) => d.subscriptionId).sort()).toEqual([...failingIds].sort());
    expect(dead!.all.every((d) => d.eventId === eventId && d.status === 'dead')).toBe(true);
    if (failingIds.length > 2) expect(dead!.firstPage.nextCursor).toEqual(expect.any(String));
    expect((await admin(hub).get('/api/v1/stats')).body.deliveries.deadLetters).toBe(failingIds.length);
    const metrics = (await hub.http().get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).text;
    expect(metrics).toMatch(new RegExp(`^hub_dead_letters ${failingIds.length}$`, 'm'));
    const ofOne = (await admin(hub).get(`/api/v1/dead-letters?subscriptionId=${failingIds[1]}`)).body.data as ListedDelivery[];
    expect(ofOne.map((d) => d.subscriptionId)).toEqual([failingIds[1]]);

    failing = false;
    const fixedAt = Date.now();
    const redrive = await admin(hub).post('/api/v1/dead-letters/redrive', {});
    expect(redrive.body).toMatchObject({ matched: failingIds.length, redriven: failingIds.length });
    const delivered = await waitFor(async () => {
      const paths = sink.received.filter((r) => r.path.startsWith('/fail') && r.at >= fixedAt).map((r) => r.path);
      return new Set(paths).size === failingIds.length ? paths : null;
    }, 30_000);
    expect(delivered).toBeTruthy();
    expect(await waitFor(async () => (await admin(hub).get('/api/v1/dead-letters')).body.data.length === 0, 15_000)).toBe(true);
  });

  it('shows every shard in the queue dashboard and sums the shards in stats', async () => {
    const queues = hub.app.get(DeliveryQueues, { strict: false });
    expect(queues.queues.map((q) => q.name)).toEqual(['deliveries-0', 'deliveries-1', 'deliveries-2', 'deliveries-3']);
    const board = await hub.http().get('/admin/queues/api/queues').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(board.status).toBe(200);
    const names = (board.body.queues as { name: string }[]).map((q) => q.name);
    for (const name of ['deliveries-0', 'deliveries-1', 'deliveries-2', 'deliveries-3']) expect(names).toContain(name);
    const stats = (await admin(hub).get('/api/v1/stats')).body;
    const perShard = await Promise.all(queues.queues.map((q) => q.getJobCounts('completed')));
    expect(stats.deliveries.completed).toBe(perShard.reduce((sum, c) => sum + (c.completed ?? 0), 0));
    expect(stats.deliveries.completed).toBeGreaterThanOrEqual(SUBSCRIPTIONS * EVENTS);
    expect((await hub.http().get('/health/ready')).status).toBe(200);
    expect(hub.serverErrors).toEqual([]);
  });

  it('refuses to start the same prefix with another DELIVERY_QUEUES, saying what to do', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'hub-delivery-queues-')), 'hub.log');
    const other = new HubProcess(
      { HUB_PREFIX: hub.config.prefix, EVENT_PARTITIONS: '2', DELIVERY_QUEUES: '2', REDIS_URL, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'error' },
      log,
    );
    await expect(other.start()).rejects.toThrow(/exited during start/);
    expect(readFileSync(log, 'utf8')).toMatch(/DELIVERY_QUEUES is 2 but prefix \S+ was started with 4: the count cannot change on a running system/);
  });
});
