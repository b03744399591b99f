import { ADMIN_TOKEN, TestHub, startHub } from './utils/hub-test-app';
import { FixtureDelivery, loadDelivery, wireBody } from './utils/fixture-delivery';
import { sha256Header } from './utils/signatures';

const API_KEY = 'mk_live_4c9d2e1f0a8b7c6d';
const OLD_API_KEY = 'mk_old_0f1e2d3c4b5a6978';
// Reference §2.2 test vector secret.
const SECRET = 'make_hub_secret_7f3a';
const OLD_SECRET = 'make_hub_secret_old_19c2';
const SEED_ROUTE = '/api/webhook/make.com/chatgpt-clients';

function post(hub: TestHub, delivery: FixtureDelivery, path = SEED_ROUTE) {
  return hub.http().post(path).set(delivery.headers).send(wireBody(delivery));
}

describe('Make.com ingress (real app, real Redis, MAKE_COM_AUTH=either)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startHub('makecom', {
      MAKE_COM_API_KEY: `${API_KEY},${OLD_API_KEY}`,
      MAKE_COM_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`,
    });
  });
  afterAll(() => hub.close());

  const getEvent = (id: string) => hub.http().get(`/api/v1/events/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const streamLength = () => hub.redis.xlen(`{${hub.config.prefix}}:events`);

  describe('x-make-apikey', () => {
    it('accepts the seed payload with the seed reply shape and stores makecom.get_client_data; a resend answers the same reply', async () => {
      const delivery = loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY });
      const first = await post(hub, delivery);
      expect(first.status).toBe(200);
      const id = first.body.webhook_id;
      expect(first.body).toMatchObject({ webhook_id: expect.stringMatching(/^evt_/), status: 'processed', client_id: 'client-123', result: { webhook_id: id } });

      const event = await getEvent(id);
      expect(event.status).toBe(200);
      expect(event.body).toMatchObject({
        id,
        source: 'makecom',
        type: 'makecom.get_client_data',
        subject: 'client-123',
        data: { client_id: 'client-123', action_id: 'get_client_data', scenario: 'chatgpt-clients', task: { id: 'task_123', status: { color: '#ff6b6b' } } },
        meta: { scenario: 'chatgpt-clients', idempotencyKey: '8c1f0e7d2b3a4c5d:task_123' },
      });
      // Make sends no time of its own: the event happened when it arrived.
      expect(event.body.occurredAt).toBe(event.body.receivedAt);

      const again = await post(hub, delivery);
      expect(again.status).toBe(200);
      expect(again.text).toBe(first.text);
      expect(await streamLength()).toBeGreaterThan(0);
    });

    it('honours Idempotency-Key: the same key with another body is still the first event', async () => {
      const seed = loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY });
      const other = loadDelivery('makecom', 'seed-curl-test-client', { secret: SECRET });
      const res = await post(hub, { body: other.body, headers: seed.headers });
      expect(res.status).toBe(200);
      // The first event's reply: the key names the delivery, whatever the body says this time.
      expect(res.body).toMatchObject({ status: 'processed', client_id: 'client-123' });
    });

    it('accepts the older API key of a rotation list', async () => {
      const delivery = loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: OLD_API_KEY });
      const res = await post(hub, { ...delivery, headers: { ...delivery.headers, 'Idempotency-Key': 'run-2:task_123' } });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('processed');
    });
  });

  describe('X-Hub-Signature-256', () => {
    it('accepts the seed curl payload signed over its bytes; a resend without Idempotency-Key is a duplicate by body', async () => {
      const delivery = loadDelivery('makecom', 'seed-curl-test-client', { secret: SECRET });
      const first = await post(hub, delivery);
      expect(first.status).toBe(200);
      const event = await getEvent(first.body.webhook_id);
      expect(event.body).toMatchObject({ source: 'makecom', type: 'makecom.get_client_data', subject: 'test-client' });
      expect(event.body.occurredAt).toBe(event.body.receivedAt);

      const again = await post(hub, delivery);
      expect(again.status).toBe(200);
      expect(again.text).toBe(first.text);
    });

    it('scopes dedupe by scenario: the same bytes on another scenario route are a new event', async () => {
      const delivery = loadDelivery('makecom', 'seed-curl-test-client', { secret: SECRET });
      const res = await post(hub, delivery, '/api/webhook/make.com/lead-sync');
      expect(res.status).toBe(200);
      const event = await getEvent(res.body.webhook_id);
      expect(event.body.data.scenario).toBe('lead-sync');
    });

    it('accepts the older secret of a rotation list, with both credentials present', async () => {
      const res = await post(hub, loadDelivery('makecom', 'signed-update-client', { secret: OLD_SECRET, apikey: API_KEY }));
      expect(res.status).toBe(200);
      const event = await getEvent(res.body.webhook_id);
      expect(event.body).toMatchObject({ type: 'makecom.update_client', subject: 'client-456' });
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

    it('a wrong API key: 401', async () => {
      const res = await post(hub, loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: 'mk_wrong' }));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid x-make-apikey' });
    });

    it('a signature made with a wrong secret: 401', async () => {
      const res = await post(hub, loadDelivery('makecom', 'seed-curl-test-client', { secret: 'wrong' }));
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('invalid X-Hub-Signature-256 signature');
    });

    it('a right API key beside a wrong signature: 401', async () => {
      const res = await post(hub, loadDelivery('makecom', 'signed-update-client', { secret: 'wrong', apikey: API_KEY }));
      expect(res.status).toBe(401);
    });

    it('no credentials: 401 saying what to send', async () => {
      const res = await hub.http().post(SEED_ROUTE).set('Content-Type', 'application/json').send('{"client_id":"c","action_id":"a","task":{}}');
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^missing credentials: send x-make-apikey or X-Hub-Signature-256/);
    });

    it('duplicated credential headers: 401, never 500', async () => {
      const { body } = loadDelivery('makecom', 'seed-curl-test-client', { secret: SECRET });
      const signature = sha256Header(SECRET, body);
      const sig = await hub
        .http()
        .post(SEED_ROUTE)
        .set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', [signature, signature] as unknown as string)
        .send(body.toString());
      expect(sig.status).toBe(401);
      expect(sig.body.message).toMatch(/^malformed X-Hub-Signature-256/);
      const key = await hub
        .http()
        .post(SEED_ROUTE)
        .set('Content-Type', 'application/json')
        .set('x-make-apikey', [API_KEY, API_KEY] as unknown as string)
        .send(body.toString());
      expect(key.status).toBe(401);
      expect(key.body.message).toBe('invalid x-make-apikey');
    });

    it('an authentic body that is not a client action (reference vector): 400 naming every missing field', async () => {
      const delivery = loadDelivery('makecom', 'reference-lead-sync', { secret: SECRET });
      expect(delivery.headers['X-Hub-Signature-256']).toBe('sha256=49f392b331862f401ccb16af4551311a5941318ec897cd8ab1091ca223621e6b');
      const res = await post(hub, delivery);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: 'client_id', message: 'is required: a non-empty string' },
        { field: 'action_id', message: 'is required: a non-empty string' },
        { field: 'task', message: 'is required: an object (the task the action is about)' },
      ]);
    });

    it('bad field types and an unsafe action_id: 400 naming each', async () => {
      const res = await hub
        .http()
        .post(SEED_ROUTE)
        .set('Content-Type', 'application/json')
        .set('x-make-apikey', API_KEY)
        .send('{"client_id":"","action_id":"get data/*","task":"t-1"}');
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['client_id', 'action_id', 'task']);
    });

    it('a malformed Idempotency-Key: 400', async () => {
      const delivery = loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY });
      const res = await post(hub, { ...delivery, headers: { ...delivery.headers, 'Idempotency-Key': 'k'.repeat(256) } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'header must be 1-255 printable ASCII characters' }]);
    });

    it('an unsafe scenario name: 404 with the rule', async () => {
      const delivery = loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY });
      for (const path of ['/api/webhook/make.com/-leading-dash', '/api/webhook/make.com/has%20space', `/api/webhook/make.com/${'x'.repeat(65)}`]) {
        const res = await post(hub, delivery, path);
        expect(res.status).toBe(404);
        expect(res.body.message).toMatch(/^no Make\.com scenario route .*: scenario names are 1-64 characters/);
      }
      const nested = await post(hub, delivery, '/api/webhook/make.com/a/b');
      expect(nested.status).toBe(404);
    });

    it('invalid JSON: 400', async () => {
      const res = await hub.http().post(SEED_ROUTE).set('Content-Type', 'application/json').set('x-make-apikey', API_KEY).send('{"client_id":');
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^invalid JSON/);
    });
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Make.com ingress without credentials', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('makecom-unconfigured', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  it('fails closed with 503 provider not configured', async () => {
    const res = await post(hub, loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY }));
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/^provider not configured/);
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Make.com ingress, MAKE_COM_AUTH=apikey with only a secret set', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('makecom-apikey-unset', { HUB_ROLE: 'gateway', MAKE_COM_AUTH: 'apikey', MAKE_COM_WEBHOOK_SECRET: SECRET });
  });
  afterAll(() => hub.close());

  it('fails closed with 503 even for a valid signature', async () => {
    const res = await post(hub, loadDelivery('makecom', 'seed-curl-test-client', { secret: SECRET }));
    expect(res.status).toBe(503);
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Make.com ingress, MAKE_COM_AUTH=both', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('makecom-both', { HUB_ROLE: 'gateway', MAKE_COM_AUTH: 'both', MAKE_COM_API_KEY: API_KEY, MAKE_COM_WEBHOOK_SECRET: SECRET });
  });
  afterAll(() => hub.close());

  it('refuses one credential alone and accepts both', async () => {
    const keyOnly = await post(hub, loadDelivery('makecom', 'seed-chatgpt-clients', { apikey: API_KEY }));
    expect(keyOnly.status).toBe(401);
    expect(keyOnly.body.message).toBe('missing X-Hub-Signature-256 (MAKE_COM_AUTH=both requires x-make-apikey and X-Hub-Signature-256)');
    const signatureOnly = await post(hub, loadDelivery('makecom', 'seed-curl-test-client', { secret: SECRET }));
    expect(signatureOnly.status).toBe(401);
    const both = await post(hub, loadDelivery('makecom', 'signed-update-client', { apikey: API_KEY, secret: SECRET }));
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ status: 'processed', client_id: 'client-456' });
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
