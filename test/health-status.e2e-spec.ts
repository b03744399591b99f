import { TestHub, fixture, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { BRIDGE_SECRET, ingestBridgeEvent } from './utils/delivery-helpers';
import { sha256Header } from './utils/signatures';

const APP_SECRET = 'test_app_secret_0123456789abcdef';

describe('health and status', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('health', { WHATSAPP_APP_SECRET: APP_SECRET });
  });
  afterAll(() => hub.close());

  it('serves through the adapter HTTP_ADAPTER names (the e2e-fastify project runs every suite on Fastify)', async () => {
    expect(hub.config.httpAdapter).toBe(process.env.HTTP_ADAPTER ?? 'express');
    expect(hub.app.getHttpAdapter().getType()).toBe(hub.config.httpAdapter);
    const res = await hub.http().get('/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('GET /health is public and reports Redis up', async () => {
    const res = await hub.http().get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { redis: { status: 'up' }, deliveryQueue: { status: 'up', waiting: 0 } } });
  });

  it('GET /api/status gives the overall status without secrets', async () => {
    const res = await hub.http().get('/api/status');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', redis: 'up', role: 'all', storedEvents: 0 });
    expect(res.body.providers).toEqual(
      expect.arrayContaining([
        { source: 'whatsapp', configured: true },
        { source: 'telegram', configured: false },
        { source: 'cctelegram', configured: false },
      ]),
    );
    expect(JSON.stringify(res.body)).not.toContain(APP_SECRET);
  });
});

describe('Redis unreachable', () => {
  let hub: TestHub;
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    hub = await startHub('redis-down', { REDIS_URL: 'redis://127.0.0.1:1', HUB_ROLE: 'gateway', WHATSAPP_APP_SECRET: APP_SECRET });
  });
  afterAll(() => hub.close());

  it('answers a valid delivery with 503 and Retry-After, not 500', async () => {
    const body = fixture('whatsapp', 'meta-text-message.json').toString();
    const res = await hub
      .http()
      .post('/webhooks/whatsapp')
      .set('Content-Type', 'application/json')
      .set('X-Hub-Signature-256', sha256Header(APP_SECRET, body))
      .send(body);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'event store unavailable; retry later' });
  });

  it('reports itself unhealthy: /health 503, /api/status degraded', async () => {
    const health = await hub.http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'error', error: { redis: { status: 'down' }, deliveryQueue: { status: 'down' } } });
    const status = await hub.http().get('/api/status');
    expect(status.body).toMatchObject({ status: 'degraded', redis: 'down', storedEvents: null });
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('GET /health/ready', () => {
  it('answers 503 with the reason while the stream consumer is stopped and its lag grows, and 200 again once it caught up', async () => {
    const prefix = uniquePrefix('ready');
    const env = { HUB_PREFIX: prefix, WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, READY_MAX_STREAM_LAG: '5' };
    const gateway = await startHub('ready-gateway', { ...env, HUB_ROLE: 'gateway' });
    let worker = await startHub('ready-worker', { ...env, HUB_ROLE: 'worker' });
    try {
      await ingestBridgeEvent(gateway, 'message.received', { id: 'r-0' });
      expect(await waitFor(async () => (await gateway.http().get('/health/ready')).status === 200, 15_000)).toBe(true);

      await worker.app.close();
      worker.redis.disconnect();
      for (let i = 1; i <= 8; i++) await ingestBridgeEvent(gateway, 'message.received', { id: `r-${i}` });
      const over = await gateway.http().get('/health/ready');
      expect(over.status).toBe(503);
      expect(over.body.error.eventStream.message).toMatch(/consumer group fanout is \d+ entries behind \(READY_MAX_STREAM_LAG 5\)/);
      // Liveness is not readiness: the process itself is fine.
      expect((await gateway.http().get('/health')).status).toBe(200);

      worker = await startHub('ready-worker', { ...env, HUB_ROLE: 'worker' });
      expect(await waitFor(async () => (await gateway.http().get('/health/ready')).status === 200, 15_000)).toBe(true);
      const ready = await gateway.http().get('/health/ready');
      expect(ready.body.info).toMatchObject({ eventStream: { status: 'up', maxLag: 5 }, deliveryBacklog: { status: 'up' } });
    } finally {
      await worker.close();
      await gateway.close();
    }
  });
});
