import { ADMIN_TOKEN, TestHub, startHub } from './utils/hub-test-app';
import { FixtureDelivery, loadDelivery, wireBody } from './utils/fixture-delivery';
import { sha256Header } from './utils/signatures';

const TOKEN = 'ds_token_Qm9vdHN0cmFwLXRva2VuLTAxMjM0NTY3';
const OLD_TOKEN = 'Asf#k$%lfCaPe93$a';
const SECRET = 'ds_document_secret_0123';
const OLD_SECRET = 'ds_document_secret_old';
const ROOM = '7f8c8eac-6643-47db-8d93-e7633e6e53ec';

describe('Digital Samba ingress (real app, real Redis)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startHub('digitalsamba', {
      DIGITAL_SAMBA_WEBHOOK_TOKEN: `${TOKEN},${OLD_TOKEN}`,
      DIGITAL_SAMBA_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`,
    });
  });
  afterAll(() => hub.close());

  const post = (delivery: FixtureDelivery) => hub.http().post('/webhooks/digitalsamba').set(delivery.headers).send(wireBody(delivery));
  const getEvent = (id: string) => hub.http().get(`/api/v1/events/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const streamLength = () => hub.redis.xlen(`{${hub.config.prefix}}:events`);

  describe('platform deliveries (Authorization: Bearer <token>)', () => {
    it('stores participant_joined with type, source, subject and occurredAt; a resend is a duplicate', async () => {
      const delivery = loadDelivery('digitalsamba', 'platform-participant-joined', { token: TOKEN });
      const first = await post(delivery);
      expect(first.status).toBe(202);
      expect(first.body).toEqual({ accepted: [expect.stringMatching(/^evt_/)], duplicates: [] });
      const id = first.body.accepted[0];

      const event = await getEvent(id);
      expect(event.status).toBe(200);
      expect(event.body).toMatchObject({
        id,
        source: 'digitalsamba',
        type: 'digitalsamba.participant_joined',
        subject: ROOM,
        occurredAt: '2023-02-07T17:19:47.000Z',
        data: {
          eventType: 'participant_joined',
          sessionId: '4fcc375c-e0ce-4f52-9b35-3a034042ab5a',
          participantId: '8b085f23-9a2a-465d-bdbb-73a233c7df90',
          data: { name: 'John Smith', role: 'moderator' },
        },
      });

      const again = await post(delivery);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ duplicate: true, id, ids: [id] });
    });

    it('recognises a redelivery that the platform re-serialised (composite key), not only identical bytes', async () => {
      const original = loadDelivery('digitalsamba', 'platform-participant-joined', { token: TOKEN });
      const reformatted = Buffer.from(JSON.stringify(JSON.parse(original.body.toString()), null, 2));
      const res = await post({ body: reformatted, headers: original.headers });
      expect(res.status).toBe(200);
      expect(res.body.duplicate).toBe(true);
    });

    it('accepts the token sent verbatim (no "Bearer "), with exact non-ASCII bytes', async () => {
      const res = await post(loadDelivery('digitalsamba', 'platform-recording-ready', { token: TOKEN }));
      expect(res.status).toBe(202);
      const event = await getEvent(res.body.accepted[0]);
      expect(event.body).toMatchObject({ type: 'digitalsamba.recording_ready', subject: ROOM, data: { data: { name: "Zoë's weekly sync" } } });
    });

    it('accepts the older token of a rotation list', async () => {
      const res = await post(loadDelivery('digitalsamba', 'platform-session-ended', { token: OLD_TOKEN }));
      expect(res.status).toBe(202);
      const event = await getEvent(res.body.accepted[0]);
      expect(event.body).toMatchObject({ type: 'digitalsamba.session_ended', subject: ROOM, occurredAt: '2023-02-07T18:20:00.000Z' });
    });
  });

  describe('document deliveries (X-DigitalSamba-Signature HMAC)', () => {
    it('stores session.started from a sha256= signature; a resend is a duplicate', async () => {
      const delivery = loadDelivery('digitalsamba', 'document-session-started', { secret: SECRET });
      expect(delivery.body.toString()).toContain('\n  "event"'); // pretty-printed: verified over the bytes as sent
      const first = await post(delivery);
      expect(first.status).toBe(202);
      const id = first.body.accepted[0];
      const event = await getEvent(id);
      expect(event.body).toMatchObject({
        source: 'digitalsamba',
        type: 'digitalsamba.session.started',
        subject: 'c1d2e3f4-0a1b-4c2d-8e3f-5a6b7c8d9e0f',
        occurredAt: '2025-05-19T10:00:00.000Z',
        data: { event: 'session.started', sessionId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d', data: { room_name: 'Weekly sync' } },
      });

      const again = await post(delivery);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ duplicate: true, id });
    });

    it('accepts a bare-hex signature made with the older secret of a rotation list', async () => {
      const res = await post(loadDelivery('digitalsamba', 'document-participant-joined', { secret: OLD_SECRET }));
      expect(res.status).toBe(202);
      const event = await getEvent(res.body.accepted[0]);
      expect(event.body).toMatchObject({ type: 'digitalsamba.participant.joined', subject: 'c1d2e3f4-0a1b-4c2d-8e3f-5a6b7c8d9e0f' });
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

    it('a wrong bearer token: 401', async () => {
      const res = await post(loadDelivery('digitalsamba', 'platform-participant-joined', { token: 'not-the-token' }));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid Authorization token' });
    });

    it('a signature made with a wrong secret: 401', async () => {
      const res = await post(loadDelivery('digitalsamba', 'document-session-started', { secret: 'wrong-secret' }));
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('invalid X-DigitalSamba-Signature signature');
    });

    it('a tampered body under a valid signature: 401', async () => {
      const { body, headers } = loadDelivery('digitalsamba', 'document-session-started', { secret: SECRET });
      const res = await post({ body: Buffer.from(body.toString().replace('Weekly', 'Daily')), headers });
      expect(res.status).toBe(401);
    });

    it('no credentials: 401 saying what to send', async () => {
      const res = await hub.http().post('/webhooks/digitalsamba').set('Content-Type', 'application/json').send('{"eventType":"session_started"}');
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^missing credentials: send Authorization: Bearer/);
    });

    it('a duplicated signature header: 401, never 500', async () => {
      const { body } = loadDelivery('digitalsamba', 'document-session-started', { secret: SECRET });
      const header = sha256Header(SECRET, body);
      const res = await hub
        .http()
        .post('/webhooks/digitalsamba')
        .set('Content-Type', 'application/json')
        .set('X-DigitalSamba-Signature', [header, header] as unknown as string)
        .send(body.toString());
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^malformed X-DigitalSamba-Signature/);
    });

    it('a duplicated Authorization header: 401 when the first one is wrong', async () => {
      const res = await hub
        .http()
        .post('/webhooks/digitalsamba')
        .set('Content-Type', 'application/json')
        .set('Authorization', ['Bearer wrong', `Bearer ${TOKEN}`] as unknown as string)
        .send('{"eventType":"session_started"}');
      expect(res.status).toBe(401);
    });

    it('an authentic but malformed payload: 400 naming every bad field', async () => {
      const body = '{"eventType":"participant joined","timestamp":"yesterday","data":[1],"roomId":7}';
      const res = await hub
        .http()
        .post('/webhooks/digitalsamba')
        .set('Content-Type', 'application/json')
        .set('Authorization', `Bearer ${TOKEN}`)
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['eventType', 'data', 'timestamp', 'roomId']);
      expect(res.body.errors[0]).toEqual({
        field: 'eventType',
        message: 'must be an event name of 1-64 characters [A-Za-z0-9_.] starting with a letter, e.g. "participant_joined"',
      });
    });

    it('an event without a name: 400', async () => {
      const res = await hub
        .http()
        .post('/webhooks/digitalsamba')
        .set('Content-Type', 'application/json')
        .set('Authorization', `Bearer ${TOKEN}`)
        .send('{"timestamp":1675790387,"data":{}}');
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'eventType', message: expect.stringMatching(/^is required/) }]);
    });

    it('invalid JSON: 400', async () => {
      const body = '{"eventType":';
      const res = await hub.http().post('/webhooks/digitalsamba').set('Content-Type', 'application/json').set('Authorization', `Bearer ${TOKEN}`).send(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^invalid JSON/);
    });
  });

  it('lists its 55 event types in GET /api/v1/event-types', async () => {
    const res = await hub.http().get('/api/v1/event-types').query({ source: 'digitalsamba' }).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(55);
    expect(res.body.data).toContainEqual({
      source: 'digitalsamba',
      type: 'digitalsamba.participant_joined',
      description: 'A participant joined a session.',
    });
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Digital Samba ingress without secrets', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('digitalsamba-unconfigured', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  it('fails closed with 503 provider not configured', async () => {
    const res = await post(hub, loadDelivery('digitalsamba', 'platform-participant-joined', { token: TOKEN }));
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/^provider not configured/);
    const signed = await post(hub, loadDelivery('digitalsamba', 'document-session-started', { secret: '' }));
    expect(signed.status).toBe(503);
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

function post(hub: TestHub, delivery: FixtureDelivery) {
  return hub.http().post('/webhooks/digitalsamba').set(delivery.headers).send(wireBody(delivery));
}
