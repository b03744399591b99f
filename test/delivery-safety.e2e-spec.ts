import { TestHub, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';

jest.setTimeout(30_000);

describe('SSRF guard (ALLOW_PRIVATE_TARGETS=false, 127.0.0.2 allow-listed)', () => {
  let hub: TestHub;
  let allowed: HttpSink;
  let internal: HttpSink;

  beforeAll(async () => {
    hub = await startHub('ssrf', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'false', DELIVERY_ALLOWLIST: '127.0.0.2' });
    allowed = await new HttpSink('127.0.0.2').start();
    internal = await new HttpSink('127.0.0.1').start();
  });
  afterAll(async () => {
    await allowed.stop();
    await internal.stop();
    await hub.close();
  });

  const testUrl = async (url: string) => {
    const sub = await admin(hub).post('/api/v1/subscriptions', { url, events: ['never.*'] });
    expect(sub.status).toBe(201);
    return (await admin(hub).post(`/api/v1/subscriptions/${sub.body.id}/test`)).body;
  };

  it('refuses a literal private or metadata IP without connecting', async () => {
    expect(await testUrl('http://10.255.255.1:9/hook')).toMatchObject({ ok: false, errorKind: 'ssrf', latencyMs: 0 });
    expect(await testUrl('http://169.254.169.254/latest/meta-data')).toMatchObject({ ok: false, errorKind: 'ssrf' });
    expect(await testUrl(internal.url())).toMatchObject({ ok: false, errorKind: 'ssrf' });
    expect(await testUrl(`http://[::ffff:127.0.0.1]:${internal.port}/hook`)).toMatchObject({ ok: false, errorKind: 'ssrf' });
    expect(internal.received).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback, judged on the address actually resolved', async () => {
    const result = await testUrl(`http://localhost:${internal.port}/hook`);
    expect(result).toMatchObject({ ok: false, errorKind: 'ssrf' });
    expect(result.error).toMatch(/localhost resolves to/);
    expect(internal.received).toHaveLength(0);
  });

  it('lets an allow-listed address through and does not follow its redirect to a private one', async () => {
    allowed.reply = () => ({ status: 302, headers: { location: internal.url('/stolen') } });
    const result = await testUrl(allowed.url());
    expect(result).toMatchObject({ ok: false, statusCode: 302, errorKind: 'http' });
    expect(allowed.received).toHaveLength(1);
    expect(internal.received).toHaveLength(0);
  });

  it('records a refused delivery as ssrf and dead-letters it at once (no retries)', async () => {
    const sub = await admin(hub).post('/api/v1/subscriptions', { url: internal.url(), events: ['whatsapp.message.received'] });
    await ingestBridgeEvent(hub, 'message.received', { id: 'ssrf-1' });
    const dead = await waitFor(async () => {
      const res = await admin(hub).get(`/api/v1/dead-letters?subscriptionId=${sub.body.id}`);
      return res.body.data[0];
    }, 5_000);
    const delivery = await admin(hub).get(`/api/v1/deliveries/${dead.id}`);
    expect(delivery.body.attempts).toHaveLength(1);
    expect(delivery.body.attempts[0]).toMatchObject({ errorKind: 'ssrf' });
    expect(internal.received).toHaveLength(0);
  });
});

describe('endpoint health', () => {
  let hub: TestHub;
  let sink: HttpSink;

  beforeAll(async () => {
    hub = await startHub('endpoint-health', {
      WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET,
      ALLOW_PRIVATE_TARGETS: 'true',
      CIRCUIT_BREAKER_MIN_REQUESTS: '4',
      CIRCUIT_BREAKER_FAILURE_RATE: '100',
      CIRCUIT_BREAKER_COOLDOWN_MS: '700',
      CIRCUIT_BREAKER_TRIPS_TO_DISABLE: '2',
      // One delivery at a time, so the breaker's effect on the next attempt is exact.
      DELIVERY_CONCURRENCY: '1',
    });
  });
  afterAll(() => hub.close());
  beforeEach(async () => {
    sink = await new HttpSink().start();
  });
  afterEach(() => sink.stop());

  it('disables an endpoint whose exhausted deliveries have had no success for the failure window', async () => {
    const sub = (await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), events: ['whatsapp.group.update'], retrySchedule: [] })).body;
    sink.reply = () => ({ status: 500 });
    // The clock started 6 days ago (default window 5 days): the next exhausted delivery disables.
    await hub.redis.set(`{${hub.config.prefix}}:subscription:${sub.id}:failing-since`, String(Date.now() - 6 * 86_400_000));
    await ingestBridgeEvent(hub, 'group.update', { id: 'clock-1' });
    const disabled = await waitFor(async () => {
      const res = await admin(hub).get(`/api/v1/subscriptions/${sub.id}`);
      return res.body.enabled === false ? res.body : null;
    }, 5_000);
    expect(disabled.disabledReason).toBe('every delivery failed for 120 h');
  });

  it('keeps the clock stopped while deliveries succeed', async () => {
    const sub = (await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), events: ['whatsapp.presence.update'], retrySchedule: [] })).body;
    const clock = `{${hub.config.prefix}}:subscription:${sub.id}:failing-since`;
    await hub.redis.set(clock, String(Date.now() - 6 * 86_400_000));
    await ingestBridgeEvent(hub, 'presence.update', { id: 'ok-1' });
    expect(await waitFor(async () => (await hub.redis.exists(clock)) === 0, 3_000)).toBe(true);
    expect((await admin(hub).get(`/api/v1/subscriptions/${sub.id}`)).body.enabled).toBe(true);
  });

  it('pauses a failing endpoint with the circuit breaker, then disables it after repeated trips', async () => {
    const sub = (await admin(hub).post('/api/v1/subscriptions', { url: sink.url(), events: ['whatsapp.message.sent'], retrySchedule: [3600] })).body;
    sink.reply = () => ({ status: 500 });
    for (let i = 0; i < 10; i++) await ingestBridgeEvent(hub, 'message.sent', { id: `cb-${i}` });
    const disabled = await waitFor(async () => {
      const res = await admin(hub).get(`/api/v1/subscriptions/${sub.id}`);
      return res.body.enabled === false ? res.body : null;
    }, 8_000);
    expect(disabled.disabledReason).toBe('circuit breaker tripped 2 times in a row');
    // Four attempts open the breaker; the rest wait out the cooldown instead of hammering the endpoint.
    expect(sink.received.length).toBe(8);
    const pause = sink.received[4].at - sink.received[3].at;
    expect(pause).toBeGreaterThanOrEqual(600);
    // The two events it did not get are kept for replay.
    const missed = await waitFor(async () => {
      const dry = await admin(hub).post(`/api/v1/subscriptions/${sub.id}/replay`, { status: 'skipped', since: 0, dryRun: true });
      return dry.body.counts?.skipped === 2 ? dry.body : null;
    }, 3_000);
    expect(missed).toMatchObject({ counts: { skipped: 2 } });
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('a type glob that a RegExp would backtrack on', () => {
  let hub: TestHub;
  let sink: HttpSink;

  beforeAll(async () => {
    hub = await startHub('glob-backtrack', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true' });
    sink = await new HttpSink().start();
  });
  afterAll(async () => {
    await sink.stop();
    await hub.close();
  });

  it('holds up neither fan-out to other endpoints nor the events API', async () => {
    expect((await admin(hub).post('/api/v1/subscriptions', { url: sink.url('/evil'), events: ['************Z'] })).status).toBe(201);
    expect((await admin(hub).post('/api/v1/subscriptions', { url: sink.url('/good'), events: ['whatsapp.*'] })).status).toBe(201);
    // As a RegExp, twelve `.*` against "whatsapp.presence.update" backtrack through ~10^9 ways to fail.
    for (let i = 0; i < 20; i++) await ingestBridgeEvent(hub, 'presence.update', { id: `glob-${i}` });
    expect(await waitFor(async () => sink.received.filter((r) => r.path === '/good').length === 20, 15_000)).toBe(true);
    expect(sink.received.filter((r) => r.path === '/evil')).toHaveLength(0);
    const listed = await admin(hub).get(`/api/v1/events?type=${encodeURIComponent('************Z')}&limit=10`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([]);
    expect((await hub.http().get('/health')).status).toBe(200);
  });
});
