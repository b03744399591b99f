import Redis from 'ioredis';
import { TestHub, sleep, startHub, waitFor } from './utils/hub-test-app';
import { BRIDGE_SECRET, ingestBridgeEvent } from './utils/delivery-helpers';
import { HttpSink } from './utils/http-sink';
import { DedicatedRedis } from './utils/redis-server';
import { sha256Header } from './utils/signatures';

/**
 * A Redis that answers errors other than connection loss: a dedicated redis-server (a spare loopback
 * port) kept BUSY by a long script. The hub must answer 503 with Retry-After, and the worker must
 * keep the event for later instead of dead-lettering it.
 */
describe('Redis replies that mean "not now" (BUSY) are outages, not faults', () => {
  const server = new DedicatedRedis(['--appendonly', 'no', '--busy-reply-threshold', '100']);
  let admin: Redis;
  let hub: TestHub;
  let sink: HttpSink;
  let url: string;

  beforeAll(async () => {
    url = (await server.start()).url;
    admin = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
    admin.on('error', () => undefined);
    sink = await new HttpSink().start();
    hub = await startHub('redis-busy', { REDIS_URL: url, WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true', STREAM_CLAIM_IDLE_MS: '500', STREAM_MAX_DELIVERIES: '2' });
    expect((await hub.http().post('/api/v1/subscriptions').set('Authorization', `Bearer ${hub.config.adminToken}`).send({ url: sink.url('/busy'), events: ['whatsapp.*'] })).status).toBe(201);
  });
  afterAll(async () => {
    // After a BUSY reply to its blocking fetch, a BullMQ worker's close() used to wait for a connection
    // end that never came (taskforcesh/bullmq#4656, redis/ioredis#1247); closeWithin ends it, so the
    // hub closes in well under a second here and leaves nothing behind that keeps jest running.
    await hub?.app.close();
    hub?.redis.disconnect();
    admin?.disconnect();
    await server.stop();
    await sink?.stop();
  });

  it('answers 503 with Retry-After while Redis is busy, loses nothing and dead-letters nothing', async () => {
    // A script that runs ~4 s on its own connection: every other command meanwhile gets BUSY.
    const busy = new Redis(url, { maxRetriesPerRequest: 0 });
    busy.on('error', () => undefined);
    const running = busy.eval("local t = redis.call('TIME') local s = tonumber(t[1]) while tonumber(redis.call('TIME')[1]) < s + 4 do end return 1", 0).catch(() => undefined);
    await sleep(300);
    const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: 'during-busy' } });
    const refused = await hub.http().post('/webhooks/whatsapp').set({ 'Content-Type': 'application/json', 'X-Webhook-Signature': sha256Header(BRIDGE_SECRET, body) }).send(body);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(hub.serverErrors).toEqual([]);
    await running;
    busy.disconnect();
    // Afterwards the same delivery is accepted and delivered; nothing went to the dead-event stream.
    await ingestBridgeEvent(hub, 'message.received', { id: 'during-busy' });
    expect(await waitFor(async () => sink.received.some((r) => r.body.includes('during-busy')), 15_000)).toBe(true);
    expect(await admin.xlen(`{${hub.config.prefix}}:events:dead`)).toBe(0);
  });

  it('keeps an event the worker met during a BUSY spell pending, then delivers it', async () => {
    const id = await ingestBridgeEvent(hub, 'message.received', { id: 'before-busy' });
    const busy = new Redis(url, { maxRetriesPerRequest: 0 });
    busy.on('error', () => undefined);
    await busy.eval("local t = redis.call('TIME') local s = tonumber(t[1]) while tonumber(redis.call('TIME')[1]) < s + 3 do end return 1", 0).catch(() => undefined);
    busy.disconnect();
    expect(await waitFor(async () => sink.received.some((r) => r.body.includes(id) || r.body.includes('before-busy')), 20_000)).toBe(true);
    expect(await admin.xlen(`{${hub.config.prefix}}:events:dead`)).toBe(0);
  });
});
