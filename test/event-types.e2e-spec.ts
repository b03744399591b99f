import { ADMIN_TOKEN, TestHub, startHub } from './utils/hub-test-app';

describe('GET /api/v1/event-types', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('event-types', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  const get = (path: string) => hub.http().get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  it('lists every source with its known types, each with a description', async () => {
    const res = await get('/api/v1/event-types');
    expect(res.status).toBe(200);
    const data = res.body.data as { source: string; type: string; description: string }[];
    const sources = new Set(data.map((t) => t.source));
    expect([...sources].sort()).toEqual(['cctelegram', 'digitalsamba', 'hub', 'makecom', 'tavus', 'telegram', 'whatsapp']);
    expect(data.filter((t) => t.source === 'hub').map((t) => t.type)).toEqual(['hub.approval.requested', 'hub.approval.decided', 'hub.approval.expired', 'hub.alert']);
    for (const t of data) {
      expect(t.type.startsWith(`${t.source}.`)).toBe(true);
      expect(t.description.length).toBeGreaterThan(10);
    }
    const types = data.map((t) => t.type);
    expect(types).toEqual(expect.arrayContaining([
      'digitalsamba.participant_joined', 'digitalsamba.session.started', 'tavus.application.transcription_ready',
      'tavus.conversation.tool_called', 'whatsapp.message.received', 'cctelegram.user_response', 'telegram.callback_query',
    ]));
    expect(data.filter((t) => t.source === 'digitalsamba' && !t.type.slice(13).includes('.'))).toHaveLength(39);
    expect(new Set(types).size).toBe(types.length);
  });

  it('filters by source, checks the token and the query', async () => {
    const res = await get('/api/v1/event-types?source=telegram');
    expect(res.body.data.every((t: { source: string }) => t.source === 'telegram')).toBe(true);
    expect((await hub.http().get('/api/v1/event-types')).status).toBe(401);
    expect((await get('/api/v1/event-types?source=NOPE!')).status).toBe(400);
  });
});
