import { ADMIN_TOKEN, TestHub, fixture, startHub } from './utils/hub-test-app';

/** The fixtures carry the reference token; here it is the older one of a rotation list. */
const OLD_TOKEN = 'hub_Tg-Secret_42';
const NEW_TOKEN = 'hub_Tg-New_43';

/** A fixture's exact body bytes and the headers the Bot API sends with it. */
function update(name: string): { body: string; headers: Record<string, string> } {
  return {
    // A string, not a Buffer: superagent would JSON-encode a Buffer. The fixtures are UTF-8, so the bytes are unchanged.
    body: fixture('telegram', `${name}.json`).toString('utf8'),
    headers: JSON.parse(fixture('telegram', `${name}.headers.json`).toString()) as Record<string, string>,
  };
}

describe('Telegram Bot API ingress (real app, real Redis)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startHub('telegram', { TELEGRAM_SECRET_TOKEN: `${NEW_TOKEN},${OLD_TOKEN}` });
  });
  afterAll(() => hub.close());

  const streamLength = () => hub.redis.xlen(`{${hub.config.prefix}}:events`);
  const getEvent = (id: string) => hub.http().get(`/api/v1/events/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const post = (body: string, headers: Record<string, string>, path = '/webhooks/telegram') => {
    const req = hub.http().post(path);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    return req.send(body);
  };
  const withToken = (token: string) => ({ 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': token });

  it('accepts the reference update (202), then answers its redelivery as a duplicate (200)', async () => {
    const { body, headers } = update('reference-message');
    const first = await post(body, headers);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ accepted: [expect.any(String)], duplicates: [] });

    const event = await getEvent(first.body.accepted[0]);
    expect(event.status).toBe(200);
    expect(event.body).toMatchObject({
      source: 'telegram',
      type: 'telegram.message',
      subject: '111111111',
      occurredAt: '2025-06-15T15:06:40.000Z',
      data: { update_id: 987654321, message: { text: '/start', chat: { type: 'private' } } },
    });

    const again = await post(body, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ duplicate: true, id: first.body.accepted[0], ids: [first.body.accepted[0]] });
  });

  it.each([
    ['group-message', 'telegram.message', '-1001234567890', '2025-06-15T15:08:20.000Z'],
    ['edited-message', 'telegram.edited_message', '111111111', '2025-06-15T15:10:00.000Z'],
    ['callback-query', 'telegram.callback_query', '-1001234567890', undefined],
    ['inline-callback-query', 'telegram.callback_query', '111111111', undefined],
    ['channel-post', 'telegram.channel_post', '-1009876543210', '2025-06-15T15:13:20.000Z'],
    ['my-chat-member', 'telegram.my_chat_member', '-1001234567890', '2025-06-15T15:15:00.000Z'],
    ['message-reaction', 'telegram.message_reaction', '-1001234567890', '2025-06-15T15:16:40.000Z'],
    ['inline-query', 'telegram.inline_query', '111111111', undefined],
    ['poll-answer', 'telegram.poll_answer', '111111111', undefined],
    ['future-field', 'telegram.paid_star_gift', '-1001234567890', '2025-06-15T15:18:20.000Z'],
  ])('stores %s as %s', async (name, type, subject, occurredAt) => {
    const { body, headers } = update(name);
    const res = await post(body, headers);
    expect(res.status).toBe(202);
    const event = (await getEvent(res.body.accepted[0])).body;
    expect(event).toMatchObject({ source: 'telegram', type, subject, data: JSON.parse(body) });
    if (occurredAt) expect(event.occurredAt).toBe(occurredAt);
    else expect(event.occurredAt).toBe(event.receivedAt); // no date in the update: when the hub received it
  });

  it('keeps UTF-8 text exactly as sent (stored above from group-message)', async () => {
    const page = await hub
      .http()
      .get('/api/v1/events')
      .query({ source: 'telegram', type: 'telegram.message', limit: 10 })
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((e: { data: { message: { text?: string } } }) => e.data.message.text)).toContain('Déployer la version 2.4 ? ✅');
  });

  it('accepts the newer and the older token of the rotation list', async () => {
    const fresh = '{"update_id":555000001,"message":{"message_id":1,"chat":{"id":42,"type":"private"},"date":1750000000,"text":"hi"}}';
    expect((await post(fresh, withToken(NEW_TOKEN))).status).toBe(202);
    const older = '{"update_id":555000002,"message":{"message_id":2,"chat":{"id":42,"type":"private"},"date":1750000000,"text":"hi"}}';
    expect((await post(older, withToken(OLD_TOKEN))).status).toBe(202);
  });

  it('dedupes per bot when the webhook URL names it with ?bot=<bot id>', async () => {
    const body = '{"update_id":555000010,"message":{"message_id":1,"chat":{"id":7,"type":"private"},"date":1750000000}}';
    expect((await post(body, withToken(NEW_TOKEN), '/webhooks/telegram?bot=7000000001')).status).toBe(202);
    expect((await post(body, withToken(NEW_TOKEN), '/webhooks/telegram?bot=7000000002')).status).toBe(202);
    expect((await post(body, withToken(NEW_TOKEN), '/webhooks/telegram?bot=7000000001')).status).toBe(200);
  });

  it('keeps updates of two bots with the same update_id on one route without ?bot=, and still dedupes a redelivery', async () => {
    const botA = '{"update_id":555000020,"message":{"message_id":11,"chat":{"id":7,"type":"private"},"date":1750000000,"text":"a"}}';
    const botB = '{"update_id":555000020,"message":{"message_id":3,"chat":{"id":8,"type":"private"},"date":1750000009,"text":"b"}}';
    expect((await post(botA, withToken(NEW_TOKEN))).status).toBe(202);
    expect((await post(botB, withToken(OLD_TOKEN))).status).toBe(202);
    // Bot A's redelivery, after a secret rotation and serialised differently: still the same update.
    const again = await post(JSON.stringify({ message: JSON.parse(botA).message, update_id: 555000020 }, null, 1), withToken(OLD_TOKEN));
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
  });

  describe('rejects, storing nothing', () => {
    let before: number;
    beforeEach(async () => {
      before = await streamLength();
    });
    afterEach(async () => {
      expect(await streamLength()).toBe(before);
    });

    const body = '{"update_id":555000099,"message":{"message_id":9,"chat":{"id":1,"type":"private"},"date":1750000000}}';

    it('a wrong token: 401', async () => {
      const res = await post(body, withToken('hub_Tg-Wrong_00'));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'invalid X-Telegram-Bot-Api-Secret-Token' });
    });

    it('a missing token: 401', async () => {
      const res = await post(body, { 'Content-Type': 'application/json' });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('missing X-Telegram-Bot-Api-Secret-Token: set secret_token in setWebhook');
    });

    it('a duplicated token header: 401, never 500', async () => {
      const res = await hub
        .http()
        .post('/webhooks/telegram')
        .set('Content-Type', 'application/json')
        .set('X-Telegram-Bot-Api-Secret-Token', [OLD_TOKEN, OLD_TOKEN] as unknown as string)
        .send(body);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/^malformed X-Telegram-Bot-Api-Secret-Token/);
    });

    it('a malformed update: 400 naming the fields', async () => {
      const noId = await post('{"message":{"chat":{"id":1}}}', withToken(NEW_TOKEN));
      expect(noId.status).toBe(400);
      expect(noId.body.errors).toEqual([{ field: 'update_id', message: 'must be a positive integer' }]);

      const negative = await post('{"update_id":-1,"message":{}}', withToken(NEW_TOKEN));
      expect(negative.status).toBe(400);
      expect(negative.body.errors.map((e: { field: string }) => e.field)).toEqual(['update_id']);

      const empty = await post('{"update_id":1}', withToken(NEW_TOKEN));
      expect(empty.status).toBe(400);
      expect(empty.body.errors).toEqual([
        { field: 'body', message: 'must hold one Update field besides update_id (message, edited_message, callback_query, ...)' },
      ]);

      for (const odd of ['[]', '{"update_id":1,"__proto__":{"x":1}}']) {
        const res = await post(odd, withToken(NEW_TOKEN));
        expect(res.status).toBe(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['body']);
      }
      // Scalars never reach the adapter: the strict JSON parser answers 400 first.
      for (const odd of ['null', '"update"', '7']) expect((await post(odd, withToken(NEW_TOKEN))).status).toBe(400);

      const badBot = await post(body, withToken(NEW_TOKEN), '/webhooks/telegram?bot=abc');
      expect(badBot.status).toBe(400);
      expect(badBot.body.errors.map((e: { field: string }) => e.field)).toEqual(['bot']);
    });

    it('invalid JSON: 400', async () => {
      const res = await post('{"update_id":1,', withToken(NEW_TOKEN));
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^invalid JSON/);
    });
  });

  it('lists every Update field as an event type', async () => {
    const res = await hub.http().get('/api/v1/event-types').query({ source: 'telegram' }).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(23);
    expect(res.body.data[0]).toEqual({ source: 'telegram', type: 'telegram.message', description: expect.any(String) });
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

describe('Telegram Bot API ingress without a secret token', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('telegram-unconfigured', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  it('fails closed with 503 provider not configured', async () => {
    const { body, headers } = update('reference-message');
    const req = hub.http().post('/webhooks/telegram');
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req.send(body);
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/^provider not configured/);
  });

  it('sent no 500 to any client request in this suite', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
