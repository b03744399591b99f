import { createHmac } from 'node:crypto';
import { Job } from 'bullmq';
import { DeliveryJobData, DeliveryQueue, DeliveryQueues, SubscriptionsService, deliveryPayload } from '@hub/delivery';
import { TestHub, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, admin, eventually, explainDeliveries, ingestBridgeEvent, verifyStandardWebhook } from './utils/delivery-helpers';

jest.setTimeout(30_000);

describe('outbound delivery (real worker, real sink)', () => {
  let hub: TestHub;
  let sink: HttpSink;

  beforeAll(async () => {
    hub = await startHub('delivery', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true', DELIVERY_TIMEOUT_MS: '3000' });
  });
  afterAll(() => hub.close());
  beforeEach(async () => {
    sink = await new HttpSink().start();
  });
  afterEach(() => sink.stop());

  const subscribe = async (body: object) => {
    const res = await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  };

  // How fast is measured by npm run bench:delivery (ingest-to-receiver p50/p99 against same-run ceilings).
  it('delivers a stored event, signed per Standard Webhooks and the seed headers', async () => {
    const sub = await subscribe({ events: ['whatsapp.message.received'], description: 'first' });
    expect(sub.secret).toMatch(/^whsec_/);
    const eventId = await ingestBridgeEvent(hub, 'message.received', { id: 'd-1', text: 'hello é' });
    expect(await waitFor(async () => sink.received.length === 1, 15_000, 10)).toBe(true);

    const [req] = sink.received;
    const payload = verifyStandardWebhook(sub.secret, req) as { id: string; type: string; source: string; timestamp: string; data: { id: string } };
    expect(payload).toMatchObject({ id: eventId, type: 'whatsapp.message.received', source: 'whatsapp', data: { id: 'd-1', text: 'hello é' } });
    expect(Object.keys(payload)).toEqual(['id', 'type', 'source', 'timestamp', 'data']);
    expect(req.headers).toMatchObject({
      'webhook-id': eventId,
      'idempotency-key': eventId,
      'x-webhook-event': 'whatsapp.message.received',
      'content-type': 'application/json',
      'x-webhook-signature': `sha256=${createHmac('sha256', sub.secret).update(req.body).digest('hex')}`,
    });
    expect(req.headers['user-agent']).toMatch(/^webhook-hub\//);
    expect(req.headers['x-webhook-retry-count']).toBeUndefined();

    const list = await admin(hub).get(`/api/v1/deliveries?eventId=${eventId}`);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ eventId, subscriptionId: sub.id, status: 'succeeded', attemptCount: 1 });
  });

  it('retries 500, 500, 200 and delivers on the third attempt with three logged attempts and retry headers', async () => {
    const sub = await subscribe({ events: ['whatsapp.message.sent'], retrySchedule: [1, 1, 1] });
    sink.reply = (_req, i) => (i < 2 ? { status: 500, body: `boom ${i}` } : { status: 200, body: 'fine' });
    const eventId = await ingestBridgeEvent(hub, 'message.sent', { id: 'r-1' });
    await eventually('three attempts', async () => sink.received.length === 3, 15_000, () => explainDeliveries(hub, sub.id, sink));
    for (const req of sink.received) verifyStandardWebhook(sub.secret, req);
    expect(sink.received.map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId, eventId]);
    expect(sink.received.map((r) => r.headers['x-webhook-retry-count'])).toEqual([undefined, '1', '2']);
    expect(sink.received[2].headers['x-webhook-max-retries']).toBe('3');
    expect(Number(sink.received[2].headers['x-webhook-original-timestamp'])).toBeLessThanOrEqual(Number(sink.received[0].headers['webhook-timestamp']));
    const gap = sink.received[1].at - sink.received[0].at;
    expect(gap).toBeGreaterThanOrEqual(700);

    const { body: page } = await admin(hub).get(`/api/v1/deliveries?eventId=${eventId}`);
    const delivery = await waitFor(async () => {
      const res = await admin(hub).get(`/api/v1/deliveries/${page.data[0].id}`);
      return res.body.status === 'succeeded' ? res.body : null;
    });
    expect(delivery.attempts.map((a: { statusCode: number; errorKind?: string }) => [a.statusCode, a.errorKind ?? null])).toEqual([
      [500, 'http'],
      [500, 'http'],
      [200, null],
    ]);
    expect(delivery.attempts[0].responseSnippet).toBe('boom 0');
    expect(delivery.attempts.every((a: { durationMs: number }) => a.durationMs >= 0)).toBe(true);
    expect(delivery.subscriptionId).toBe(sub.id);
    // Success clears what the failures left on the record.
    expect(delivery).toMatchObject({ attemptCount: 3, lastStatusCode: 200 });
    expect(delivery).not.toHaveProperty('lastError');
    expect(delivery).not.toHaveProperty('nextAttemptAt');
  });

  it('honours Retry-After on 429 (clamped to twice the scheduled wait)', async () => {
    const sub = await subscribe({ events: ['whatsapp.group.update'], retrySchedule: [1] });
    sink.reply = (_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 204 });
    await ingestBridgeEvent(hub, 'group.update', { id: 'ra-1' });
    await eventually('the retry after a 429', async () => sink.received.length === 2, 15_000, () => explainDeliveries(hub, sub.id, sink));
    const gap = sink.received[1].at - sink.received[0].at;
    // Without Retry-After the wait would be 0.8-1.2 s; with it, 2 s (a stalled machine only adds to it).
    expect(gap).toBeGreaterThanOrEqual(1_900);
  });

  it('applies type globs and payload filters', async () => {
    const sub = await subscribe({ events: ['whatsapp.presence.*'], filter: [{ path: 'status', op: 'in', value: ['online', 'away'] }] });
    await ingestBridgeEvent(hub, 'presence.update', { id: 'f-1', status: 'offline' });
    await ingestBridgeEvent(hub, 'presence.update', { id: 'f-2', status: 'online' });
    await ingestBridgeEvent(hub, 'connection.update', { id: 'f-3', status: 'online' });
    await ingestBridgeEvent(hub, 'presence.update', { id: 'f-4', status: 'away' });
    expect(await waitFor(async () => sink.received.length === 2, 10_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received.map((r) => JSON.parse(r.body).data.id)).toEqual(['f-2', 'f-4']);
    const bad = await admin(hub).patch(`/api/v1/subscriptions/${sub.id}`, { filter: [{ path: 'x', op: 'like' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'filter' });
  });

  it('disables an endpoint that answers 410, records later events as skipped, and replays them after enable', async () => {
    const sub = await subscribe({ events: ['whatsapp.message.update'] });
    sink.reply = () => ({ status: 410, body: 'gone' });
    await ingestBridgeEvent(hub, 'message.update', { id: 'g-1' });
    const disabled = await waitFor(async () => {
      const res = await admin(hub).get(`/api/v1/subscriptions/${sub.id}`);
      return res.body.enabled === false ? res.body : null;
    }, 5_000);
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'endpoint answered 410 Gone' });
    expect(sink.received).toHaveLength(1);

    await ingestBridgeEvent(hub, 'message.update', { id: 'g-2' });
    await ingestBridgeEvent(hub, 'message.update', { id: 'g-3' });
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received).toHaveLength(1);

    sink.reply = () => ({ status: 200 });
    const enabled = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/enable`);
    expect(enabled.body).toMatchObject({ enabled: true, missed: { skipped: 2 } });
    const dry = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/replay`, { status: 'skipped', since: 0, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, counts: { skipped: 2 }, enqueued: 0 });
    const replay = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/replay`, { status: 'skipped', since: 0 });
    expect(replay.status).toBe(202);
    expect(replay.body.enqueued).toBe(2);
    expect(await waitFor(async () => sink.received.length === 3, 10_000)).toBe(true);
    expect(sink.received.slice(1).map((r) => JSON.parse(r.body).data.id).sort()).toEqual(['g-2', 'g-3']);
  });

  it('turns an always-failing delivery into a dead letter and redrives it after the sink recovers', async () => {
    const sub = await subscribe({ events: ['whatsapp.connection.*'], retrySchedule: [0, 0] });
    sink.reply = () => ({ status: 503, body: 'down' });
    await ingestBridgeEvent(hub, 'connection.update', { id: 'dl-1' });
    const dead = await eventually('a dead letter', async () => {
      const res = await admin(hub).get(`/api/v1/dead-letters?subscriptionId=${sub.id}`);
      return res.body.data.length === 1 ? res.body.data[0] : null;
    }, 15_000, () => explainDeliveries(hub, sub.id, sink));
    expect(dead).toMatchObject({ status: 'dead', attemptCount: 3, lastStatusCode: 503, subscriptionId: sub.id });
    expect(sink.received).toHaveLength(3);

    sink.reply = () => ({ status: 200 });
    const redrive = await admin(hub).post('/api/v1/dead-letters/redrive', { ids: [dead.id] });
    expect(redrive.body).toMatchObject({ matched: 1, redriven: 1, skipped: [] });
    expect(await waitFor(async () => sink.received.length === 4, 10_000)).toBe(true);
    const after = await waitFor(async () => {
      const res = await admin(hub).get(`/api/v1/deliveries/${dead.id}`);
      return res.body.status === 'succeeded' ? res.body : null;
    });
    expect(after.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect((await admin(hub).get(`/api/v1/dead-letters?subscriptionId=${sub.id}`)).body.data).toEqual([]);
    // The redrive sent the same bytes, its body stored again for it and dropped once it succeeded.
    expect(sink.received[3].body).toBe(sink.received[0].body);
    expect(await hub.redis.keys(`{${hub.config.prefix}}:payload:${dead.eventId}:*`)).toEqual([]);
  });

  const payloadKeys = (eventId: string) => hub.redis.keys(`{${hub.config.prefix}}:payload:${eventId}:*`);

  it('stores one body per event and format however many endpoints get it, jobs carry only its key, and it goes when every delivery is done', async () => {
    // A hub of its own: no other test's subscription takes a share of the body.
    const own = await startHub('delivery-bodies', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    const slow = await new HttpSink().start();
    slow.reply = () => ({ status: 200, delayMs: 1_500 });
    try {
      const created = await Promise.all([
        admin(own).post('/api/v1/subscriptions', { url: sink.url(), events: ['whatsapp.*'] }),
        admin(own).post('/api/v1/subscriptions', { url: slow.url('/a'), events: ['whatsapp.*'] }),
        admin(own).post('/api/v1/subscriptions', { url: slow.url('/b'), events: ['whatsapp.*'], payloadFormat: 'seed' }),
      ]);
      expect(created.map((r) => r.status)).toEqual([201, 201, 201]);
      const eventId = await ingestBridgeEvent(own, 'message.received', { id: 'shared-1', text: 'x'.repeat(10_000) });
      const payloadKeys = () => own.redis.keys(`{${own.config.prefix}}:payload:${eventId}:*`);
      // While the slow endpoint holds its deliveries, two bodies exist (hub and seed format), one copy each.
      const keys = await waitFor(async () => ((await payloadKeys()).length === 2 ? payloadKeys() : null), 15_000);
      expect(keys).toHaveLength(2);
      const deliveries = (await admin(own).get(`/api/v1/deliveries?eventId=${eventId}`)).body.data as { id: string }[];
      expect(deliveries).toHaveLength(3);
      const queues = own.app.get(DeliveryQueues, { strict: false });
      for (const d of deliveries as { id: string; subscriptionId: string }[]) {
        const job = (await queues.forSubscription(d.subscriptionId).getJob(d.id)) as Job<DeliveryJobData> | undefined;
        expect(job?.data.payload).toBeUndefined();
        expect(keys).toContain(job?.data.payloadKey);
      }
      expect(await waitFor(async () => sink.received.length === 1 && slow.received.length === 2, 15_000)).toBe(true);
      expect(await waitFor(async () => (await payloadKeys()).length === 0, 15_000)).toBe(true);
      expect(JSON.parse(sink.received[0].body).data.text).toHaveLength(10_000);
      expect(JSON.parse(slow.received.find((r) => r.path === '/b')!.body)).toMatchObject({ event: 'message.received', data: { id: 'shared-1' } });
    } finally {
      await slow.stop();
      await own.close();
    }
  });

  it('signs with both secrets during a rotation grace period', async () => {
    const sub = await subscribe({ events: ['whatsapp.message.received'], filter: [{ path: 'id', op: 'equals', value: 'rot-1' }] });
    const rotated = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/rotate-secret`, { graceSeconds: 3600 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(sub.secret);
    await ingestBridgeEvent(hub, 'message.received', { id: 'rot-1' });
    expect(await waitFor(async () => sink.received.length === 1, 5_000)).toBe(true);
    const [req] = sink.received;
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(rotated.body.secret, req)).toBeTruthy();
    expect(verifyStandardWebhook(sub.secret, req)).toBeTruthy();
    expect(() => verifyStandardWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', req)).toThrow();
  });

  it('throttles to rateLimitPerSec without dropping anything (measured over 5 s)', async () => {
    await subscribe({ events: ['whatsapp.message.received'], filter: [{ path: 'batch', op: 'equals', value: 'throttle' }], rateLimitPerSec: 2 });
    for (let i = 0; i < 10; i++) await ingestBridgeEvent(hub, 'message.received', { id: `t-${i}`, batch: 'throttle' });
    expect(await waitFor(async () => sink.received.length === 10, 9_000)).toBe(true);
    const times = sink.received.map((r) => r.at);
    const span = times[times.length - 1] - times[0];
    expect(span).toBeGreaterThanOrEqual(3_000); // 10 at 2/s: 4 seconds after the first pair, never a burst
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(3); // 2 per second at send time; a slot taken at x.999 may land at the next second
    expect(new Set(sink.received.map((r) => JSON.parse(r.body).data.id)).size).toBe(10);
  });

  it('tests an endpoint synchronously and reports status, latency and the response snippet', async () => {
    const sub = await subscribe({ events: ['nothing.*'] });
    sink.reply = () => ({ status: 202, body: 'x'.repeat(5000) });
    const res = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, statusCode: 202 });
    expect(res.body.responseSnippet).toHaveLength(4096);
    expect(res.body.latencyMs).toBeGreaterThanOrEqual(0);
    expect(verifyStandardWebhook(sub.secret, sink.received[0])).toMatchObject({ type: 'webhook.test' });
  });

  it('replays one stored event on request', async () => {
    const sub = await subscribe({ events: ['whatsapp.message.received'], filter: [{ path: 'id', op: 'equals', value: 'rp-1' }] });
    const eventId = await ingestBridgeEvent(hub, 'message.received', { id: 'rp-1' });
    expect(await waitFor(async () => sink.received.length === 1, 5_000)).toBe(true);
    const res = await admin(hub).post(`/api/v1/events/${eventId}/replay`, { subscriptionId: sub.id });
    expect(res.status).toBe(202);
    expect(res.body.data[0]).toMatchObject({ eventId, subscriptionId: sub.id, trigger: 'replay' });
    expect(await waitFor(async () => sink.received.length === 2, 5_000)).toBe(true);
    expect(sink.received[1].headers['webhook-id']).toBe(eventId);
  });

  it('manages subscriptions: upsert by URL, validation, 404s, secrets hidden', async () => {
    const first = await subscribe({ events: ['a.*'] });
    const again = await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), events: ['b.*'] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.id, events: ['b.*'] });
    expect(again.body.secret).toBeUndefined();
    const list = await admin(hub).get('/api/v1/subscriptions');
    expect(list.body.data.find((s: { id: string }) => s.id === first.id)).toBeTruthy();
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const invalid = await admin(hub).post('/api/v1/subscriptions', { url: 'ftp://x', events: [], retrySchedule: ['a'], headers: { 'webhook-id': 'x' } });
    expect(invalid.status).toBe(400);
    expect([...new Set(invalid.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual(['events', 'headers.webhook-id', 'retrySchedule', 'url']);
    expect((await admin(hub).get('/api/v1/subscriptions/sub_nope')).status).toBe(404);
    expect((await admin(hub).delete(`/api/v1/subscriptions/${first.id}`)).status).toBe(204);
    expect((await admin(hub).get(`/api/v1/subscriptions/${first.id}`)).status).toBe(404);
    expect((await hub.http().get('/api/v1/subscriptions')).status).toBe(401);
  });

  it('refuses nulls and malformed whsec_ secrets instead of storing them', async () => {
    const sub = await subscribe({ events: ['nothing.*'] });
    for (const body of [{ events: null }, { url: null }, { enabled: null }, { headers: null }]) {
      const res = await admin(hub).patch(`/api/v1/subscriptions/${sub.id}`, body);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(Object.keys(body)[0]);
    }
    const bad = await admin(hub).patch(`/api/v1/subscriptions/${sub.id}`, { secret: 'whsec_not-base64!' });
    expect(bad.status).toBe(400);
    expect((await admin(hub).get(`/api/v1/subscriptions/${sub.id}`)).body.events).toEqual(['nothing.*']);
  });

  it('revokes every older secret when rotating with graceSeconds 0, and never shows old secrets', async () => {
    const sub = await subscribe({ events: ['whatsapp.message.received'], filter: [{ path: 'id', op: 'equals', value: 'rot-0' }] });
    const first = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/rotate-secret`, {});
    expect(first.body.previousSecretsExpireAt).toHaveLength(1);
    expect(JSON.stringify(first.body)).not.toContain(sub.secret);
    const second = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/rotate-secret`, { graceSeconds: 0 });
    expect(second.body.previousSecretsExpireAt).toEqual([]);
    await ingestBridgeEvent(hub, 'message.received', { id: 'rot-0' });
    expect(await waitFor(async () => sink.received.length === 1, 5_000)).toBe(true);
    expect(String(sink.received[0].headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyStandardWebhook(second.body.secret, sink.received[0])).toBeTruthy();
    expect(() => verifyStandardWebhook(first.body.secret, sink.received[0])).toThrow();
  });

  it('leaves a finished delivery alone when its fan-out runs again (crash recovery)', async () => {
    const sub = await subscribe({ events: ['whatsapp.message.received'], filter: [{ path: 'id', op: 'equals', value: 'again-1' }] });
    const eventId = await ingestBridgeEvent(hub, 'message.received', { id: 'again-1' });
    const done = await waitFor(async () => {
      const res = await admin(hub).get(`/api/v1/deliveries?eventId=${eventId}&status=succeeded`);
      return res.body.data[0];
    }, 3_000);
    const event = (await admin(hub).get(`/api/v1/events/${eventId}`)).body;
    const subscription = (await hub.app.get(SubscriptionsService).get(sub.id))!;
    await hub.app.get(DeliveryQueue).enqueue([{ event, subscription, payload: deliveryPayload(event), trigger: 'fanout' }]);
    await new Promise((r) => setTimeout(r, 300));
    const after = await admin(hub).get(`/api/v1/deliveries/${done.id}`);
    expect(after.body).toMatchObject({ status: 'succeeded', attemptCount: 1 });
    expect(sink.received).toHaveLength(1);
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
