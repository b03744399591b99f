import { ADMIN_TOKEN, TestHub, fixture, startHub } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

/** The fixtures are signed with the document's example secret; here it is the older one of a rotation list. */
const OLD_SECRET = 'cct_webhook_secret_example';
const NEW_SECRET = 'cct_new_secret_2026';

/** A fixture's exact body bytes and the headers the bridge sends with it. */
function delivery(name: string): { body: Buffer; headers: Record<string, string> } {
  return {
    body: fixture('cctelegram', `${name}.json`),
    headers: JSON.parse(fixture('cctelegram', `${name}.headers.json`).toString()) as Record<string, string>,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('CCTelegram ingress (real app, real Redis)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startHub('cctelegram', { CCTELEGRAM_WEBHOOK_SECRET: `${NEW_SECRET},${OLD_SECRET}` });
  });
  afterAll(() => hub.close());

  const streamLength = () => hub.redis.xlen(`{${hub.config.prefix}}:events`);
  const getEvent = (id: string) => hub.http().get(`/api/v1/events/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  /** Posts the exact bytes with the given headers; the timestamp is fresh unless the caller sets one. */
  const post = (route: string, body: Buffer | string, headers: Record<string, string>, timestamp: number | null = nowSeconds()) => {
    const req = hub.http().post(`/webhook/${route}`);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    if (timestamp !== null) req.set('X-CCTelegram-Timestamp', String(timestamp));
    // A string, not a Buffer: superagent would JSON-encode a Buffer. The fixtures are UTF-8, so the bytes are unchanged.
    return req.send(typeof body === 'string' ? body : body.toString('utf8'));
  };
  const signed = (body: string, secret = NEW_SECRET) => ({ 'Content-Type': 'application/json', 'X-CCTelegram-Signature': sha256Header(secret, body) });

  it('accepts the reference vector with the document\'s answer {status: "received"}, then recognises its redelivery as a duplicate', async () => {
    const { body, headers } = delivery('vector-event-processed');
    expect(headers['X-CCTelegram-Signature']).toBe('sha256=96ad02bdfc0b44ebd5bd1a741c8678ba1573292fc604b4dfbaab751ccafaba02');
    const first = await post('events', body, headers);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'received', accepted: [expect.any(String)], duplicates: [] });

    const event = await getEvent(first.body.accepted[0]);
    expect(event.status).toBe(200);
    expect(event.body).toMatchObject({
      id: first.body.accepted[0],
      source: 'cctelegram',
      type: 'cctelegram.event_processed',
      occurredAt: '2025-01-15T10:30:00.000Z',
      data: { webhook_type: 'event_processed', event: { id: 'evt_abc123def456', status: 'delivered' } },
    });
    expect(event.body.subject).toBeUndefined();

    const again = await post('events', body, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'received', accepted: [], duplicates: [first.body.accepted[0]] });

    // The same event pretty-printed (verified over its own bytes) and as the document prints it: one event.
    const pretty = delivery('vector-event-processed-pretty');
    expect(pretty.headers['X-CCTelegram-Signature']).toBe('sha256=881e579be1232f9e3993334d8ede3ff8825dc428c5b0d87f912dbcb836fcc618');
    const prettyRes = await post('events', pretty.body, pretty.headers);
    expect(prettyRes.status).toBe(200);
    expect(prettyRes.body.duplicates).toEqual([first.body.accepted[0]]);
    const doc = delivery('doc-event-processed');
    const docRes = await post('events', doc.body, doc.headers);
    expect(docRes.status).toBe(200);
    expect(docRes.body.duplicates).toEqual([first.body.accepted[0]]);
  });

  it('stores the document payloads of all three routes with type, subject and occurredAt', async () => {
    const doc = delivery('doc-event-processed');
    const fresh = doc.body.toString().replace('evt_abc123def456', 'evt_doc_000001');
    const events = await post('events', fresh, signed(fresh));
    expect(events.status).toBe(200);
    expect((await getEvent(events.body.accepted[0])).body).toMatchObject({
      source: 'cctelegram',
      type: 'cctelegram.event_processed',
      subject: '-1001234567890',
      occurredAt: '2025-01-15T10:30:00.000Z',
      data: { event: { title: 'Build Complete' }, bridge_info: { version: '1.4.0' } },
    });

    const response = delivery('doc-user-response');
    const responses = await post('responses', response.body, response.headers);
    expect(responses.status).toBe(200);
    expect(responses.body).toMatchObject({ status: 'processed', accepted: [expect.any(String)] });
    expect((await getEvent(responses.body.accepted[0])).body).toMatchObject({
      source: 'cctelegram',
      type: 'cctelegram.user_response',
      subject: '-1001234567890',
      occurredAt: '2025-01-15T10:31:00.000Z',
      data: { response: { id: 'resp_xyz789abc123', callback_data: 'approve_deploy_prod_001' } },
    });

    const health = delivery('doc-health-update');
    const healthRes = await post('health', health.body, health.headers);
    expect(healthRes.status).toBe(200);
    expect(healthRes.body).toMatchObject({ status: 'received', accepted: [expect.any(String)] });
    const stored = (await getEvent(healthRes.body.accepted[0])).body;
    expect(stored).toMatchObject({ source: 'cctelegram', type: 'cctelegram.health_update', occurredAt: '2025-01-15T10:32:00.000Z', data: { health: { status: 'healthy' } } });
    expect(stored.subject).toBeUndefined();
    // No id in a health update: the same bytes again are a duplicate.
    expect((await post('health', health.body, health.headers)).status).toBe(200);
  });

  it('accepts a delivery signed with the newer and with the older secret of the rotation list', async () => {
    const compact = delivery('compact-user-response');
    expect((await post('responses', compact.body, compact.headers)).status).toBe(200); // signed with OLD_SECRET
    const body = '{"webhook_type":"user_response","response":{"id":"resp_new_secret_01","message":{"chat_id":42}}}';
    const res = await post('responses', body, signed(body, NEW_SECRET));
    expect(res.status).toBe(200);
    expect((await getEvent(res.body.accepted[0])).body.subject).toBe('42');
  });

  it('records the retry headers in the stored event meta as integers', async () => {
    const { body, headers } = delivery('compact-event-processed-retry');
    expect(headers['X-CCTelegram-Retry-Count']).toBe('2');
    const res = await post('events', body, headers);
    expect(res.status).toBe(200);
    const event = await getEvent(res.body.accepted[0]);
    expect(event.body.meta).toEqual({ retryCount: 2, maxRetries: 3, originalTimestamp: 1705400993 });
  });

  it('ignores malformed retry headers instead of failing', async () => {
    const body = '{"webhook_type":"event_processed","event":{"id":"evt_bad_retry_headers"}}';
    const res = await hub
      .http()
      .post('/webhook/events')
      .set(signed(body))
      .set('X-CCTelegram-Timestamp', String(nowSeconds()))
      .set('X-CCTelegram-Retry-Count', 'twice')
      .set('X-CCTelegram-Max-Retries', ['3', '4'] as unknown as string)
      .set('X-CCTelegram-Original-Timestamp', '2025-01-15T10:30:00Z')
      .send(body);
    expect(res.status).toBe(200);
    const event = (await getEvent(res.body.accepted[0])).body;
    expect(event.meta).toBeUndefined();
  });

  it('dates an event without a body timestamp by X-CCTelegram-Original-Timestamp', async () => {
    const original = nowSeconds() - 7;
    const body = '{"webhook_type":"event_processed","event":{"id":"evt_original_ts","chat_id":"-100777"}}';
    const res = await post('events', body, { ...signed(body), 'X-CCTelegram-Retry-Count': '3', 'X-CCTelegram-Original-Timestamp': String(original) });
    expect(res.status).toBe(200);
    expect((await getEvent(res.body.accepted[0])).body).toMatchObject({
      subject: '-100777',
      occurredAt: new Date(original * 1000).toISOString(),
      meta: { retryCount: 3, originalTimestamp: original },
    });
  });

  describe('rejects, storing nothing', () => {
    let before: number;
    beforeEach(async () => {
      before = await streamLength();
    });
    afterEach(async () => {
      expect(await streamLength()).toBe(before);
    });

    const fresh = () => {
      const body = `{"webhook_type":"event_processed","event":{"id":"evt_reject_${Math.random().toString(36).slice(2)}"}}`;
      return { body, headers: signed(body) };
    };

    it('a wrong secret: 401', async () => {
      const { body } = fresh();
      const res = await post('events', body, signed(body, 'not-the-secret'));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid X-CCTelegram-Signature signature' });
    });

    it('a stale timestamp: 401', async () => {
      const { body, headers } = fresh();
      const res = await post('events', body, headers, nowSeconds() - 400);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^X-CCTelegram-Timestamp rejected: timestamp is 40\ds old \(limit 300s\)$/);
      // The fixture as captured in January 2024 is long stale.
      const vector = delivery('vector-event-processed');
      expect((await post('events', vector.body, vector.headers, null)).status).toBe(401);
    });

    it('a future timestamp: 401', async () => {
      const { body, headers } = fresh();
      const res = await post('events', body, headers, nowSeconds() + 400);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^X-CCTelegram-Timestamp rejected: timestamp is (399|400)s in the future \(limit 300s\)$/);
    });

    it('a missing timestamp or signature: 401', async () => {
      const { body, headers } = fresh();
      const noTs = await post('events', body, headers, null);
      expect(noTs.status).toBe(401);
      expect(noTs.body.message).toBe('missing X-CCTelegram-Timestamp (unix seconds)');
      const noSig = await post('events', body, { 'Content-Type': 'application/json' });
      expect(noSig.status).toBe(401);
      expect(noSig.body.message).toBe('missing X-CCTelegram-Signature');
    });

    it('duplicated signature or timestamp headers: 401, never 500', async () => {
      const { body, headers } = fresh();
      const sig = headers['X-CCTelegram-Signature'];
      const twoSigs = await hub
        .http()
        .post('/webhook/events')
        .set('Content-Type', 'application/json')
        .set('X-CCTelegram-Signature', [sig, sig] as unknown as string)
        .set('X-CCTelegram-Timestamp', String(nowSeconds()))
        .send(body);
      expect(twoSigs.status).toBe(401);
      expect(twoSigs.body.message).toMatch(/^malformed X-CCTelegram-Signature/);
      const ts = String(nowSeconds());
      const twoTs = await hub
        .http()
        .post('/webhook/events')
        .set(headers)
        .set('X-CCTelegram-Timestamp', [ts, ts] as unknown as string)
        .send(body);
      expect(twoTs.status).toBe(401);
      expect(twoTs.body.message).toBe('X-CCTelegram-Timestamp rejected: timestamp is not unix seconds');
    });

    it('a tampered body: 401 (the signature covers the raw bytes)', async () => {
      const { body, headers } = delivery('vector-event-processed-pretty');
      const res = await post('events', body.toString().replace('"delivered"', '"failed"'), headers);
      expect(res.status).toBe(401);
    });

    it('a signed but malformed payload: 400 naming the fields', async () => {
      const body = '{"webhook_type":"event_processed","event":{"id":""}}';
      const res = await post('events', body, signed(body));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'event.id', message: 'must be a non-empty string of at most 256 characters' }]);

      const health = '{"webhook_type":"health_update","health":"ok"}';
      const healthRes = await post('health', health, signed(health));
      expect(healthRes.status).toBe(400);
      expect(healthRes.body.errors).toEqual([{ field: 'health', message: 'must be an object' }]);

      const array = await post('events', '[]', signed('[]'));
      expect([array.status, array.body.errors]).toEqual([400, [{ field: 'body', message: 'must be a JSON object' }]]);
      // Scalars never reach the adapter: the strict JSON parser answers 400 first.
      for (const odd of ['null', '"event"', '42']) expect((await post('events', odd, signed(odd))).status).toBe(400);
    });

    it('a webhook_type sent to the wrong route: 400 naming webhook_type', async () => {
      const { body, headers } = delivery('doc-user-response');
      const res = await post('events', body, headers);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toEqual({
        field: 'webhook_type',
        message: 'must be "event_processed" on /webhook/events; got "user_response" (send it to /webhook/responses)',
      });
      const health = delivery('doc-health-update');
      const onResponses = await post('responses', health.body, health.headers);
      expect(onResponses.status).toBe(400);
      expect(onResponses.body.errors.map((e: { field: string }) => e.field)).toEqual(['webhook_type', 'response']);
    });

    it('invalid JSON: 400', async () => {
      const body = '{"webhook_type":"event_processed",';
      const res = await post('events', body, signed(body));
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^invalid JSON/);
    });
  });

  it('lists its event types', async () => {
    const res = await hub.http().get('/api/v1/event-types').query({ source: 'cctelegram' }).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((t: { type: string }) => t.type)).toEqual(['cctelegram.event_processed', 'cctelegram.user_response', 'cctelegram.health_update']);
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('CCTelegram ingress without secrets', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('cctelegram-unconfigured', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  it('fails closed with 503 provider not configured on every route', async () => {
    const { body, headers } = delivery('vector-event-processed');
    for (const route of ['events', 'responses', 'health']) {
      const req = hub.http().post(`/webhook/${route}`);
      for (const [name, value] of Object.entries(headers)) req.set(name, value);
      const res = await req.set('X-CCTelegram-Timestamp', String(nowSeconds())).send(body.toString('utf8'));
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/^provider not configured/);
    }
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
