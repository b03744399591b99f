import { loadDelivery, wireBody } from './utils/fixture-delivery';
import { ADMIN_TOKEN, TestHub, fixture, startHub } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

/** The secret and token the fixtures were made with; each is the first (current) entry of its rotation list. */
const SECRET = 'tavus_hmac_secret_for_tests';
const TOKEN = 'tavus_url_token_for_tests';
const OLD_SECRET = 'tavus_hmac_secret_before_rotation';
const OLD_TOKEN = 'tavus_url_token_before_rotation';
const PUBLIC_URL = 'https://hub.example.com';
const ROUTE = '/api/tavus/webhook';

/**
 * test/fixtures/tavus/<name>.json is the exact body, <name>.headers.json the headers its sender sends.
 * `real-*` are the platform's callbacks: unsigned, sent to callback_url, i.e. `?t=<token>`. The
 * others are signed like the seed document (`{{hmac_sha256_hex}}` in their headers).
 */
const fixtureUrl = (name: string) => (name.startsWith('real-') ? `${ROUTE}?t=${TOKEN}` : ROUTE);
const fixtureBody = (name: string) => fixture('tavus', `${name}.json`).toString('utf8');

describe('Tavus ingress (real app, real Redis)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startHub('tavus', {
      TAVUS_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`,
      TAVUS_WEBHOOK_TOKEN: `${TOKEN},${OLD_TOKEN}`,
      PUBLIC_URL: `${PUBLIC_URL}/`,
    });
  });
  afterAll(() => hub.close());

  const storedTypes = async () => ((await hub.redis.xrange(`{${hub.config.prefix}}:events`, '-', '+')) as [string, string[]][]).map(([, f]) => f[f.indexOf('type') + 1]);
  /** Stored events of one type: the worker adds its own (a tool_called event gets a tool_result) at any moment. */
  const storedOfType = async (type: string) => (await storedTypes()).filter((t) => t === type).length;
  /** Events stored by ingress: all but the tool results the worker adds on its own, at any moment. */
  const streamLength = async () => (await storedTypes()).filter((t) => t !== 'tavus.tool_result').length;
  const getEvent = (id: string) => hub.http().get(`/api/v1/events/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const stats = () => hub.http().get(ROUTE);

  /** Sends a fixture exactly as its sender does: same URL, same headers, same bytes. */
  const sendFixture = (name: string) => {
    const delivery = loadDelivery('tavus', name, { secret: SECRET });
    return hub.http().post(fixtureUrl(name)).set(delivery.headers).send(wireBody(delivery));
  };

  const post = (url: string, body: string, headers: Record<string, string | string[]> = {}) =>
    hub
      .http()
      .post(url)
      .set({ 'Content-Type': 'application/json', ...headers } as Record<string, string>)
      .send(body);

  /** The two schemes, each with the fixture its real sender posts and a way to authenticate any body. */
  const schemes = [
    {
      scheme: 'HMAC x-tavus-signature',
      fixture: 'doc-conversation-tool-called',
      expected: { type: 'tavus.conversation.tool_called', subject: 'conv_123456789', occurredAt: '2024-01-15T10:32:00.000Z' },
      send: (body: string, credential = SECRET) => post(ROUTE, body, { 'x-tavus-signature': sha256Header(credential, body) }),
      old: OLD_SECRET,
      wrong: { credential: 'not-the-secret', message: 'invalid x-tavus-signature signature' },
    },
    {
      scheme: 'URL token ?t=',
      fixture: 'real-system-shutdown',
      expected: { type: 'tavus.system.shutdown', subject: 'c123456', occurredAt: '2025-07-11T06:48:37.566Z' },
      send: (body: string, credential = TOKEN) => post(`${ROUTE}?t=${encodeURIComponent(credential)}`, body),
      old: OLD_TOKEN,
      wrong: { credential: 'not-the-token', message: 'invalid t query parameter token' },
    },
  ];

  describe.each(schemes)('$scheme', ({ scheme, fixture: name, expected, send, old, wrong }) => {
    let firstId: string;
    const tag = scheme.startsWith('HMAC') ? 'hmac' : 'token';

    it('stores a valid delivery: 202 with its id, readable through the events API', async () => {
      const res = await sendFixture(name);
      expect(res.status).toBe(202);
      expect(res.body.accepted).toHaveLength(1);
      expect(res.body.duplicates).toEqual([]);
      firstId = res.body.accepted[0];
      const event = await getEvent(firstId);
      expect(event.status).toBe(200);
      expect(event.body).toMatchObject({ id: firstId, source: 'tavus', ...expected });
    });

    it('answers the same delivery again with 200 duplicate, storing nothing', async () => {
      const before = await storedOfType(expected.type);
      const res = await sendFixture(name);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ duplicate: true, id: firstId, ids: [firstId] });
      expect(await storedOfType(expected.type)).toBe(before);
    });

    it('refuses a wrong credential with 401', async () => {
      const before = await streamLength();
      const res = await send(fixtureBody(name), wrong.credential);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: wrong.message });
      expect(await streamLength()).toBe(before);
    });

    it('accepts the older entry of the rotation list', async () => {
      const body = JSON.stringify({ event_type: 'conversation.updated', conversation_id: `c-rotation-${tag}`, status: 'active' });
      const res = await send(body, old);
      expect(res.status).toBe(202);
      expect(res.body.accepted).toHaveLength(1);
    });

    it('answers a malformed payload with 400 naming the fields', async () => {
      const res = await send('{"event_type":42,"conversation_id":7}');
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: 'event_type', message: 'must be a string such as "system.shutdown" or "conversation.tool_called"' },
        { field: 'conversation_id', message: 'must be a non-empty string of at most 256 characters' },
      ]);
      const notObject = await send('["system.shutdown"]');
      expect(notObject.status).toBe(400);
      expect(notObject.body.errors).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    });

    it('stores an unknown but well-named event type as tavus.<event_type>', async () => {
      const body = JSON.stringify({
        event_type: 'application.guardrail_triggered',
        conversation_id: `c-unknown-${tag}`,
        message_type: 'application',
        properties: { guardrail_name: 'no_pricing' },
        timestamp: '2025-07-11T07:00:00.000000Z',
      });
      const res = await send(body);
      expect(res.status).toBe(202);
      const event = await getEvent(res.body.accepted[0]);
      expect(event.body).toMatchObject({
        source: 'tavus',
        type: 'tavus.application.guardrail_triggered',
        subject: `c-unknown-${tag}`,
        occurredAt: '2025-07-11T07:00:00.000Z',
        data: { properties: { guardrail_name: 'no_pricing' } },
      });
    });
  });

  it.each([
    ['real-system-replica-joined', 'tavus.system.replica_joined', 'c123456', '2025-07-11T06:45:02.104Z'],
    ['real-transcription-ready', 'tavus.application.transcription_ready', 'c123456', '2025-07-11T06:48:52.009Z'],
    ['real-recording-ready', 'tavus.application.recording_ready', 'c123456', '2025-07-11T06:49:10.771Z'],
    ['real-perception-analysis', 'tavus.application.perception_analysis', 'c123456', '2025-07-11T06:49:31.250Z'],
    ['real-post-call-action', 'tavus.application.post_call_action_executed', 'c123456', '2025-07-11T06:49:40.000Z'],
    ['real-replica-training-ready', 'tavus.replica.ready', 'r79e1c033f', undefined],
    ['real-replica-training-error', 'tavus.replica.error', 'r4a7c2d1e9', undefined],
    ['real-video-ready', 'tavus.video.ready', '783a5b3bbb', '2025-07-11T06:34:12.000Z'],
    ['doc-conversation-updated', 'tavus.conversation.updated', 'conv_123456789', '2024-01-15T10:35:00.000Z'],
    ['doc-conversation-ended', 'tavus.conversation.ended', 'conv_123456789', '2024-01-15T10:35:00.000Z'],
    ['doc-conversation-tool-result', 'tavus.conversation.tool_result', 'conv_123456789', undefined],
    ['doc-conversation-message', 'tavus.conversation.message', 'conv_123456789', '2024-01-15T10:31:00.000Z'],
  ])('accepts fixture %s as sent and stores it as %s', async (name, type, subject, occurredAt) => {
    const res = await sendFixture(name);
    expect(res.status).toBe(202);
    const event = await getEvent(res.body.accepted[0]);
    expect(event.body).toMatchObject({ source: 'tavus', type, subject });
    // Without a time field the event happened when it was received.
    expect(event.body.occurredAt).toBe(occurredAt ?? event.body.receivedAt);
  });

  it('never stores the URL token Tavus echoes in webhook_url / callback_url', async () => {
    const res = await hub.http().get(`/api/v1/events?source=tavus&limit=100`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    const shutdown = res.body.data.find((e: { type: string }) => e.type === 'tavus.system.shutdown');
    expect(shutdown.data.webhook_url).toBe(`${PUBLIC_URL}${ROUTE}?t=[redacted]`);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
  });

  it('recognises a retried callback with different bytes by (conversation_id, event_type)', async () => {
    const retried = JSON.stringify(JSON.parse(fixtureBody('real-system-shutdown')));
    const res = await post(`${ROUTE}?t=${TOKEN}`, retried);
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(true);
  });

  describe('rejects, changing nothing', () => {
    let before: number;
    beforeEach(async () => {
      before = await streamLength();
    });
    afterEach(async () => {
      expect(await streamLength()).toBe(before);
    });

    const body = '{"event_type":"conversation.updated","conversation_id":"c-rejected","status":"active"}';

    it('no credentials: 401', async () => {
      const res = await post(ROUTE, body);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^missing authentication: add \?t=<TAVUS_WEBHOOK_TOKEN>/);
    });

    it('a present but invalid signature, even beside a valid token: 401', async () => {
      const res = await post(`${ROUTE}?t=${TOKEN}`, body, { 'x-tavus-signature': sha256Header('forged', body) });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('invalid x-tavus-signature signature');
    });

    it('a repeated t parameter: 401', async () => {
      const res = await post(`${ROUTE}?t=${TOKEN}&t=${TOKEN}`, body);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('malformed t query parameter: give the token exactly once');
    });

    it('a duplicated signature header, joined or as an array: 401', async () => {
      const sig = sha256Header(SECRET, body);
      const joined = await post(ROUTE, body, { 'x-tavus-signature': `${sig}, ${sig}` });
      expect(joined.status).toBe(401);
      const array = await post(ROUTE, body, { 'tavus-signature': [sig, sig] });
      expect(array.status).toBe(401);
      expect(array.body.message).toMatch(/^malformed tavus-signature/);
    });

    it('a signature over other bytes (the body re-serialised): 401', async () => {
      const signed = loadDelivery('tavus', 'doc-conversation-updated', { secret: SECRET });
      const reserialised = JSON.stringify(JSON.parse(wireBody(signed)), null, 2);
      const res = await post(ROUTE, reserialised, { 'x-tavus-signature': signed.headers['x-tavus-signature'] });
      expect(res.status).toBe(401);
    });

    it('an event type that cannot be a type name: 400', async () => {
      const bad = '{"event_type":"system.*","conversation_id":"c1"}';
      const res = await post(ROUTE, bad, { 'x-tavus-signature': sha256Header(SECRET, bad) });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'event_type', message: 'must be dot-separated segments of [A-Za-z0-9_-], at most 100 characters' }]);
    });

    it('invalid JSON: 400', async () => {
      const res = await post(`${ROUTE}?t=${TOKEN}`, '{"event_type":');
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^invalid JSON/);
    });
  });

  describe('GET /api/tavus/webhook (the document\'s monitoring view)', () => {
    it('is public, counts what happened, and shows no credential', async () => {
      const before = (await stats()).body;
      const body = JSON.stringify({ event_type: 'conversation.tool_called', conversation_id: 'c-stats', tool_call: { function: { name: 'display_cta' } } });
      const signed = { 'x-tavus-signature': sha256Header(SECRET, body) };
      expect((await post(ROUTE, body, signed)).status).toBe(202);
      expect((await post(ROUTE, body, signed)).status).toBe(200);
      expect((await post(ROUTE, body, { 'x-tavus-signature': sha256Header('wrong', body) })).status).toBe(401);
      expect((await post(`${ROUTE}?t=${TOKEN}`, '{"event_type":1}')).status).toBe(400);
      expect((await sendFixture('interactions-tool-call')).status).toBe(202);

      const res = await stats();
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        status: 'healthy',
        webhook_url: `${PUBLIC_URL}${ROUTE}`,
        token_required: true,
        signature_accepted: true,
        last_24h: {
          total_events: before.last_24h.total_events + 5,
          successful_events: before.last_24h.successful_events + 2,
          failed_events: before.last_24h.failed_events + 2,
          duplicate_events: before.last_24h.duplicate_events + 1,
          tool_calls: before.last_24h.tool_calls + 2,
        },
        analytics: expect.objectContaining({ conversations: expect.any(Object), messages_by_role: expect.any(Object), tool_calls: expect.any(Object) }),
        uptime: expect.any(Number),
      });
      // Both tool-call fixtures (the document's and the Interactions Protocol one) are counted.
      expect(res.body.last_24h.tool_calls).toBe(3);
      for (const credential of [TOKEN, OLD_TOKEN, SECRET, OLD_SECRET]) expect(res.text).not.toContain(credential);
    });
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Tavus ingress without secrets', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('tavus-unconfigured', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  it('fails closed with 503 provider not configured, whatever the credential', async () => {
    const real = loadDelivery('tavus', 'real-system-shutdown');
    const res = await hub.http().post(fixtureUrl('real-system-shutdown')).set(real.headers).send(wireBody(real));
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/^provider not configured/);
    const signed = loadDelivery('tavus', 'doc-conversation-updated', { secret: SECRET });
    const res2 = await hub.http().post(ROUTE).set(signed.headers).send(wireBody(signed));
    expect(res2.status).toBe(503);
  });

  it('reports not_configured in the monitoring view', async () => {
    const res = await hub.http().get(ROUTE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'not_configured',
      webhook_url: `http://localhost:3000${ROUTE}`,
      token_required: false,
      signature_accepted: false,
      last_24h: { total_events: 2, successful_events: 0, failed_events: 2, duplicate_events: 0, tool_calls: 0 },
    });
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Tavus monitoring view with Redis unreachable', () => {
  let hub: TestHub;
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    hub = await startHub('tavus-redis-down', { REDIS_URL: 'redis://127.0.0.1:1', HUB_ROLE: 'gateway', TAVUS_WEBHOOK_TOKEN: TOKEN });
  });
  afterAll(() => hub.close());

  it('answers 503 with Retry-After, not 500 and not zero counts', async () => {
    const res = await hub.http().get(ROUTE);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'event store unavailable; retry later' });
  });

  it('answers a valid callback with 503 too', async () => {
    const real = loadDelivery('tavus', 'real-system-replica-joined');
    const res = await hub.http().post(fixtureUrl('real-system-replica-joined')).set(real.headers).send(wireBody(real));
    expect(res.status).toBe(503);
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Tavus fixtures', () => {
  it('hold exact bytes: the platform callbacks are byte for byte what Python json.dumps writes', () => {
    const body = fixtureBody('real-system-shutdown');
    expect(body).toContain('{"properties": {"replica_id": ');
    expect(body.endsWith('}')).toBe(true);
    expect(loadDelivery('tavus', 'real-system-shutdown').headers).toEqual({ 'content-type': 'application/json' });
  });
});
