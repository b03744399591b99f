import { gzipSync } from 'node:zlib';
import { ADMIN_TOKEN, TestHub, fixture, startHub } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

const APP_SECRET = 'test_app_secret_0123456789abcdef';
const OLD_APP_SECRET = 'old_app_secret_fedcba9876543210';
const BRIDGE_SECRET = 'wa_mcp_webhook_secret';
const VERIFY_TOKEN = 'verify-me-please';

describe('WhatsApp ingress (real app, real Redis)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startHub('whatsapp', {
      WHATSAPP_APP_SECRET: `${APP_SECRET},${OLD_APP_SECRET}`,
      WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      MAX_BODY_BYTES: '65536',
    });
  });
  afterAll(() => hub.close());

  const postMeta = (body: Buffer | string, secret = APP_SECRET, contentType = 'application/json') =>
    hub
      .http()
      .post('/webhooks/whatsapp')
      .set('Content-Type', contentType)
      .set('X-Hub-Signature-256', sha256Header(secret, body))
      .send(typeof body === 'string' ? body : body.toString('utf8'));

  const getEvent = (id: string) => hub.http().get(`/api/v1/events/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  it('stores a signed Meta delivery with two messages and one status as three events, and a resend as none', async () => {
    const body = fixture('whatsapp', 'meta-two-messages-one-status.json');
    const first = await postMeta(body);
    expect(first.status).toBe(200); // Meta retries anything but 200
    expect(first.body.accepted).toHaveLength(3);
    expect(first.body.duplicates).toEqual([]);

    const events = await Promise.all(first.body.accepted.map((id: string) => getEvent(id)));
    expect(events.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(events.map((r) => r.body.type)).toEqual([
      'whatsapp.message.received',
      'whatsapp.message.received',
      'whatsapp.message.status',
    ]);
    expect(events[0].body).toMatchObject({
      source: 'whatsapp',
      subject: '16505551234',
      occurredAt: '2025-06-08T20:59:43.000Z',
      data: { message: { text: { body: 'Hi there' } } },
    });

    const again = await postMeta(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ duplicate: true, id: first.body.accepted[0], ids: first.body.accepted });
    expect(await hub.redis.xlen(`{${hub.config.prefix}}:events`)).toBe(3);
    // Meta retries for 7 days: its dedupe keys outlive DEDUPE_TTL_SECONDS (72 h by default).
    const [key] = await hub.redis.keys(`{${hub.config.prefix}}:dedupe:whatsapp:*`);
    expect(await hub.redis.ttl(key)).toBeGreaterThan(6 * 86_400);
    // The other keys the ingest script makes expire too: the hour's stats (49 h) and the rate-limit window (two windows).
    const [stats] = await hub.redis.keys(`{${hub.config.prefix}}:stats:whatsapp:*`);
    expect(await hub.redis.hget(stats, 'duplicates')).toBe('3');
    expect(await hub.redis.ttl(stats)).toBeGreaterThan(48 * 3600);
    const windows = await hub.redis.keys(`{${hub.config.prefix}}:rate:whatsapp:*`);
    expect(windows.length).toBeGreaterThan(0);
    for (const window of windows) expect(await hub.redis.pttl(window)).toBeGreaterThan(0);
    // A duplicate can be an hour's first count: it makes the hash and gives it its lifetime.
    await hub.redis.del(stats);
    expect((await postMeta(body)).status).toBe(200);
    const [remade] = await hub.redis.keys(`{${hub.config.prefix}}:stats:whatsapp:*`);
    expect(await hub.redis.hget(remade, 'duplicates')).toBe('3');
    expect(await hub.redis.ttl(remade)).toBeGreaterThan(48 * 3600);
  });

  it('accepts raw bytes with escaped unicode and \\/ (a verifier that re-serialises JSON fails here)', async () => {
    const body = fixture('whatsapp', 'meta-escaped-unicode.json');
    expect(body.toString()).toContain('\\u00e9');
    expect(body.toString()).toContain('\\/');
    const res = await postMeta(body);
    expect(res.status).toBe(200);
    const event = await getEvent(res.body.accepted[0]);
    expect(event.body.data.message.text.body).toBe("J'ai mangé des pâtes / ok");
  });

  it('accepts a delivery signed with the older secret of a rotation list', async () => {
    const res = await postMeta(fixture('whatsapp', 'meta-text-message.json'), OLD_APP_SECRET);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toHaveLength(1);
  });

  it('accepts a bridge delivery ({event,timestamp,data}) with prefixed or bare hex signatures', async () => {
    const body = fixture('whatsapp', 'bridge-seed-messages-upsert.json');
    const res = await hub
      .http()
      .post('/webhooks/whatsapp')
      .set('Content-Type', 'application/json')
      .set('X-Webhook-Signature', sha256Header(BRIDGE_SECRET, body))
      .send(body.toString());
    expect(res.status).toBe(202);
    const event = await getEvent(res.body.accepted[0]);
    expect(event.body).toMatchObject({ type: 'whatsapp.message.received', subject: '5511999999999@s.whatsapp.net', occurredAt: '2024-01-05T16:00:00.000Z' });

    const bare = fixture('whatsapp', 'bridge-message-received.json');
    const res2 = await hub
      .http()
      .post('/webhooks/whatsapp')
      .set('Content-Type', 'text/plain')
      .set('X-Webhook-Signature', sha256Header(BRIDGE_SECRET, bare).slice('sha256='.length))
      .send(bare.toString());
    expect(res2.status).toBe(202);
  });

  it('a gzip-compressed delivery is inflated and verified over the inflated bytes; bombs and unknown encodings are refused', async () => {
    const body = fixture('whatsapp', 'meta-text-message.json').toString('utf8').replace(/wamid\.[A-Za-z0-9=_-]+/, 'wamid.gzip-1');
    const send = (encoding: string, bytes: Buffer, signedOver: string | Buffer = body) =>
      hub.http().post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('Content-Encoding', encoding).set('X-Hub-Signature-256', sha256Header(APP_SECRET, signedOver))
        // superagent would JSON-encode a Buffer sent as application/json: send the bytes as they are.
        .serialize((b: Buffer) => b as unknown as string)
        .send(bytes);
    const zipped = await send('gzip', gzipSync(body));
    expect(zipped.status).toBe(200);
    expect(zipped.body.accepted).toHaveLength(1);
    const bomb = await send('gzip', gzipSync(Buffer.alloc(1_000_000, 32)), Buffer.alloc(1_000_000, 32));
    expect(bomb.status).toBe(413);
    expect(bomb.body.message).toBe('request body exceeds the limit of 65536 bytes (MAX_BODY_BYTES)');
    const unknown = await send('zstd-ish', Buffer.from(body));
    expect(unknown.status).toBe(415);
    expect(unknown.body.message).toMatch(/unsupported content encoding/);
    const corrupt = await send('gzip', Buffer.from('not gzip at all'));
    expect(corrupt.status).toBe(400);
  });

  describe('rejects, changing nothing', () => {
    let before: number;
    beforeEach(async () => {
      before = await hub.redis.xlen(`{${hub.config.prefix}}:events`);
    });
    afterEach(async () => {
      expect(await hub.redis.xlen(`{${hub.config.prefix}}:events`)).toBe(before);
    });

    it('a tampered body: 401', async () => {
      const body = fixture('whatsapp', 'meta-text-message.json').toString();
      const res = await hub
        .http()
        .post('/webhooks/whatsapp')
        .set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', sha256Header(APP_SECRET, body))
        .send(body.replace('another color', 'another colour'));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid X-Hub-Signature-256 signature' });
    });

    it('a missing signature: 401', async () => {
      const res = await hub.http().post('/webhooks/whatsapp').set('Content-Type', 'application/json').send('{"object":"whatsapp_business_account","entry":[]}');
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^missing signature/);
    });

    it('a duplicated signature header: 401', async () => {
      const body = fixture('whatsapp', 'meta-text-message.json').toString();
      const res = await hub
        .http()
        .post('/webhooks/whatsapp')
        .set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', [sha256Header(APP_SECRET, body), sha256Header(APP_SECRET, body)] as unknown as string)
        .send(body);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^malformed X-Hub-Signature-256/);
    });

    it('invalid JSON: 400', async () => {
      const res = await postMeta('{"object":"whatsapp_business_account",');
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^invalid JSON/);
    });

    it('invalid JSON sent as text/plain: 400', async () => {
      const res = await postMeta('not json at all', APP_SECRET, 'text/plain');
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^invalid JSON/);
    });

    it('a signed but malformed payload: 400 naming the fields', async () => {
      const res = await postMeta('{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1"}]}}]}]}');
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'entry[0].changes[0].value.messages[0].id', message: 'must be a non-empty string (the wamid)' }]);
    });

    it('an oversize body: 413', async () => {
      const big = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(70_000) });
      const res = await postMeta(big);
      expect(res.status).toBe(413);
      expect(res.body.message).toBe('request body exceeds the limit of 65536 bytes (MAX_BODY_BYTES)');
    });

    it('a wrong content type: 415', async () => {
      const body = 'object=whatsapp_business_account';
      const res = await postMeta(body, APP_SECRET, 'application/x-www-form-urlencoded');
      expect(res.status).toBe(415);
      const xml = await postMeta('<a/>', APP_SECRET, 'application/xml');
      expect(xml.status).toBe(415);
      const none = await hub.http().post('/webhooks/whatsapp').set('X-Hub-Signature-256', sha256Header(APP_SECRET, '')).send();
      expect(none.status).toBe(415);
    });
  });

  describe('GET handshake', () => {
    it('echoes hub.challenge for the right verify token', async () => {
      const res = await hub.http().get('/webhooks/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
      expect(res.status).toBe(200);
      expect(res.text).toBe('1158201444');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    });

    it('answers 403 for a wrong token or mode, 400 for a missing challenge', async () => {
      const wrong = await hub.http().get('/webhooks/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' });
      expect(wrong.status).toBe(403);
      const mode = await hub.http().get('/webhooks/whatsapp').query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' });
      expect(mode.status).toBe(403);
      const missing = await hub.http().get('/webhooks/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN });
      expect(missing.status).toBe(400);
      const doubled = await hub.http().get('/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=a&hub.verify_token=b&hub.challenge=1');
      expect(doubled.status).toBe(403);
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await hub.http().post('/webhooks/nope').set('Content-Type', 'application/json').send('{}');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('WhatsApp ingress without secrets', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('whatsapp-unconfigured', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  it('fails closed with 503 provider not configured, for deliveries and the handshake', async () => {
    const body = fixture('whatsapp', 'meta-text-message.json').toString();
    const res = await hub
      .http()
      .post('/webhooks/whatsapp')
      .set('Content-Type', 'application/json')
      .set('X-Hub-Signature-256', sha256Header('', body))
      .send(body);
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/^provider not configured/);
    const handshake = await hub.http().get('/webhooks/whatsapp').query({ 'hub.mode': 'subscribe', 'hub.verify_token': '', 'hub.challenge': '1' });
    expect(handshake.status).toBe(503);
  });
});

describe('WhatsApp ingress rate limit', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('whatsapp-ratelimit', { HUB_ROLE: 'gateway', WHATSAPP_APP_SECRET: APP_SECRET, RATE_LIMIT_PER_SOURCE: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(() => hub.close());

  it('answers 429 with Retry-After once the source is over its limit', async () => {
    const body = fixture('whatsapp', 'meta-text-message.json').toString();
    const send = () =>
      hub.http().post('/webhooks/whatsapp').set('Content-Type', 'application/json').set('X-Hub-Signature-256', sha256Header(APP_SECRET, body)).send(body);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send()).status);
    expect(statuses).toEqual([200, 200, 200]); // one accepted, then duplicates
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });
});
