import { ADMIN_TOKEN, TestHub, startHub } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

const SECRET = 'events-api-bridge-secret';

describe('Events read API', () => {
  let hub: TestHub;
  const ids: Record<string, string> = {};

  const send = async (event: string, id: string, ts: number) => {
    const body = JSON.stringify({ event, timestamp: ts, data: { id, from: `${id}@s.whatsapp.net` } });
    const res = await hub
      .http()
      .post('/webhooks/whatsapp')
      .set('Content-Type', 'application/json')
      .set('X-Webhook-Signature', sha256Header(SECRET, body))
      .send(body);
    expect(res.status).toBe(202);
    ids[id] = res.body.accepted[0];
  };
  const get = (path: string, token = ADMIN_TOKEN) => hub.http().get(path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    hub = await startHub('events-api', { HUB_ROLE: 'gateway', WHATSAPP_WEBHOOK_SECRET: SECRET });
    await send('message.received', 'm1', 1750000000000);
    await send('connection.update', 'c1', 1750000001000);
    await send('message.received', 'm2', 1750000002000);
    await send('message.sent', 'm3', 1750000003000);
    await send('message.received', 'm4', 1750000004000);
  });
  afterAll(() => hub.close());

  it('requires the bearer admin token', async () => {
    expect((await hub.http().get('/api/v1/events')).status).toBe(401);
    const wrong = await get('/api/v1/events', 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid bearer token' });
    expect((await hub.http().get(`/api/v1/events/${ids.m1}`)).status).toBe(401);
  });

  it('lists newest first as {data, nextCursor}', async () => {
    const res = await get('/api/v1/events');
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { id: string }) => e.id)).toEqual([ids.m4, ids.m3, ids.m2, ids.c1, ids.m1]);
    expect(res.body.nextCursor).toBeNull();
  });

  it('pages with limit and cursor without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/api/v1/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([ids.m4, ids.m3, ids.m2, ids.c1, ids.m1]);
  });

  it('filters by source and by type glob', async () => {
    const received = await get('/api/v1/events?type=whatsapp.message.received');
    expect(received.body.data.map((e: { id: string }) => e.id)).toEqual([ids.m4, ids.m2, ids.m1]);
    const messages = await get('/api/v1/events?type=whatsapp.message.*&limit=2');
    expect(messages.body.data.map((e: { id: string }) => e.id)).toEqual([ids.m4, ids.m3]);
    const next = await get(`/api/v1/events?type=whatsapp.message.*&limit=2&cursor=${messages.body.nextCursor}`);
    expect(next.body.data.map((e: { id: string }) => e.id)).toEqual([ids.m2, ids.m1]);
    const suffix = await get('/api/v1/events?type=*.update');
    expect(suffix.body.data.map((e: { id: string }) => e.id)).toEqual([ids.c1]);
    const other = await get('/api/v1/events?source=tavus');
    expect(other.body).toEqual({ data: [], nextCursor: null });
  });

  it('filters by since (received at or after)', async () => {
    const all = await get('/api/v1/events');
    const thirdNewest = all.body.data[2];
    const res = await get(`/api/v1/events?since=${encodeURIComponent(thirdNewest.receivedAt)}`);
    const got = res.body.data.map((e: { id: string }) => e.id);
    expect(got).toEqual(expect.arrayContaining([ids.m4, ids.m3, ids.m2]));
    const future = await get(`/api/v1/events?since=${Date.now() + 60_000}`);
    expect(future.body.data).toEqual([]);
  });

  it('gets one event by id, 404 for unknown ids', async () => {
    const one = await get(`/api/v1/events/${ids.c1}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: ids.c1, source: 'whatsapp', type: 'whatsapp.connection.update', data: { id: 'c1' } });
    expect((await get('/api/v1/events/evt_01J00000000000000000000000')).status).toBe(404);
    expect((await get('/api/v1/events/..%2F..%2Fetc')).status).toBe(404);
  });

  it.each([
    ['limit=0', /limit must not be less than 1/],
    ['limit=abc', /limit must be an integer/],
    ['limit=501', /limit must not be greater than 500/],
    ['since=yesterday', /since must be an ISO 8601 time/],
    ['since=9999999999999999', /since must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z/],
    ['since=1969-12-31T23:59:59Z', /since must be between 1970/],
    ['since=' + 'x'.repeat(41), /since must be shorter than or equal to 40 characters/],
    ['cursor=abc', /cursor must be a nextCursor value/],
    ['cursor=9999999999999999-0', /cursor must be a nextCursor value/],
    ['type=%20bad%20', /type must be a type glob/],
    ['unknown=1', /property unknown should not exist/],
  ])('rejects %s with a clear 400', async (query, message) => {
    const res = await get(`/api/v1/events?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(res.body.errors?.length).toBeGreaterThan(0);
  });

  it('answers cursor=0-0 (nothing older) with an empty page, and bounded replays with a 400', async () => {
    const first = await get('/api/v1/events?cursor=0-0');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ data: [], nextCursor: null });
    const sub = await hub.http().post('/api/v1/subscriptions').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ url: 'https://example.com/bounded', events: ['*'] });
    for (const body of [{ until: 1e20 }, { since: -1e20 }, { since: '0001-01-01T00:00:00Z' }]) {
      const res = await hub.http().post(`/api/v1/subscriptions/${sub.body.id}/replay`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ ...body, dryRun: true });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/must be between 1970/);
    }
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
