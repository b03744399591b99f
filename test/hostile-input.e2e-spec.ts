import { ADMIN_TOKEN, TestHub, startHub } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

/**
 * Whatever a client sends, the answer is a clear 4xx (or a normal 2xx), never a 500: odd bodies,
 * types, ids and headers against every ingress route and the ops API.
 */
describe('hostile input never causes a 500', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('hostile', {
      WHATSAPP_APP_SECRET: 'x'.repeat(20), WHATSAPP_WEBHOOK_SECRET: 'y'.repeat(20), DIGITAL_SAMBA_WEBHOOK_TOKEN: 'z'.repeat(20),
      MAKE_COM_API_KEY: 'k'.repeat(20), TAVUS_WEBHOOK_TOKEN: 't'.repeat(20), CCTELEGRAM_WEBHOOK_SECRET: 'c'.repeat(20),
      TELEGRAM_SECRET_TOKEN: 'tg_token_123', MAX_BODY_BYTES: '65536',
    });
  });
  afterAll(() => hub.close());

  const ingress = ['/webhooks/whatsapp', '/webhooks/digitalsamba', '/api/webhook/make.com/chatgpt-clients', '/api/tavus/webhook?t=tttttttttttttttttttt', '/webhook/events', '/webhook/responses', '/webhook/health', '/webhooks/telegram'];
  const bodies: [string, string][] = [
    ['application/json', '[]'], ['application/json', '"text"'], ['application/json', '42'], ['application/json', 'null'],
    ['application/json', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'],
    ['application/json', '['.repeat(5000) + ']'.repeat(5000)], ['application/json', '{"a":"\\ud800"}'],
    ['application/json; charset=latin1', '{}'], ['application/json', '\u0000\u0001'], ['text/plain', ''], ['application/json', ''],
    ['application/xml', '<x/>'], ['multipart/form-data; boundary=x', '--x--'],
  ];

  it('answers every odd ingress request with a 4xx', async () => {
    for (const path of ingress) {
      for (const [type, body] of bodies) {
        const res = await hub.http().post(path).set('Content-Type', type).set('X-Hub-Signature-256', 'sha256=zz').set('Authorization', 'Bearer ' + 'z'.repeat(20)).send(body);
        if (res.status >= 500) throw new Error(`${path} ${type} ${body.slice(0, 40)} -> ${res.status} ${JSON.stringify(res.body)}`);
      }
      const long = await hub.http().post(path).set('Content-Type', 'application/json').set('X-Webhook-Signature', 'a'.repeat(8000)).send('{}');
      expect(long.status).toBeLessThan(500);
    }
  });

  it('answers odd ops API requests with a 4xx', async () => {
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const requests: [string, string, unknown][] = [
      ['post', '/api/v1/subscriptions', []], ['post', '/api/v1/subscriptions', 'x'], ['post', '/api/v1/subscriptions', { url: 'http://x', events: 'whatsapp.*' }],
      ['post', '/api/v1/subscriptions', { url: 'http://x', filter: 'nope', retrySchedule: [-1], rateLimitPerSec: 1e9, headers: [] }],
      // Found by the fuzz run: class-transformer threw on a nested "constructor" key (a 500).
      ['post', '/api/v1/subscriptions', JSON.parse('{"url":{"constructor":{"prototype":{"x":1}}},"events":["a.*"]}')],
      ['patch', '/api/v1/subscriptions/sub_01M89PDKDBVWKY38BT0TR863KS', JSON.parse('{"constructor":{"prototype":{"x":1}},"__proto__":{"enabled":true}}')],
      ['patch', '/api/v1/subscriptions/sub_01M89PDKDBVWKY38BT0TR863KS', { events: ['*'] }], ['post', '/api/v1/subscriptions/%00/test', {}],
      ['post', '/api/v1/subscriptions/sub_x/rotate-secret', { graceSeconds: 'soon' }], ['post', '/api/v1/subscriptions/sub_x/replay', { since: 'yesterday' }],
      ['post', '/api/v1/dead-letters/redrive', { ids: 'dlv_x' }], ['post', '/api/v1/dead-letters/redrive', { ids: [1, 2] }],
      ['post', '/api/v1/events/evt_01M89PDKDMF1VE3FQ6SRP70R8W/replay', { subscriptionId: 42 }], ['get', '/api/v1/deliveries?cursor=1-2&status=odd', undefined],
      ['get', '/api/v1/events?limit=1e3&since=0x10', undefined], ['get', '/api/v1/deliveries/' + 'd'.repeat(3000), undefined],
      // Workflows: the Make.com actions, approvals and knowledge graphs.
      ['post', '/api/v1/actions/process_webhook_data', { webhook_data: deep(2000) }], ['post', '/api/v1/actions/process_webhook_data', []],
      ['post', '/api/v1/actions/extract_client_knowledge_graph', { webhook_data: { task: deep(2000) } }],
      ['post', '/api/v1/actions/send_webhook_response', { response_url: 'javascript:alert(1)', response_data: {}, client_id: 'c' }],
      ['post', '/api/v1/actions/send_webhook_response', { response_url: 'http://x', response_data: deep(100), client_id: '' }],
      ['post', '/api/v1/actions/validate_webhook_signature', { webhook_data: deep(2000), signature: 'sha256=' + 'f'.repeat(64) }],
      ['post', '/api/v1/actions/validate_webhook_signature', { webhook_data: '{}', signature: 42 }], ['post', '/api/v1/actions/nope', {}],
      ['get', '/api/v1/approvals?status=odd', undefined], ['get', '/api/v1/approvals?limit=1e9', undefined], ['get', '/api/v1/approvals?cursor=%00', undefined],
      ['post', '/api/v1/approvals/apr_01M89PDKDBVWKY38BT0TR863KS/approve', { reason: 5 }], ['post', '/api/v1/approvals/' + 'a'.repeat(3000) + '/reject', {}],
      ['get', '/api/v1/approvals/%00', undefined], ['get', '/api/v1/knowledge-graphs/%00', undefined], ['get', '/api/v1/knowledge-graphs/kg_01M89PDKDBVWKY38BT0TR863KS', undefined],
      ['get', '/api/v1/clients/' + 'c'.repeat(3000) + '/knowledge-graph', undefined],
    ];
    for (const [method, path, body] of requests) {
      const test = (hub.http() as unknown as Record<string, (p: string) => { set(h: object): { send(b?: unknown): Promise<{ status: number; body: unknown }> } }>)[method](path).set(auth);
      const res = await test.send(body as object);
      if (res.status >= 500) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('answers a Make.com scenario call that authenticates but carries odd task data with 200 or 400, never a 500', async () => {
    const bodies = [
      { client_id: 'c', action_id: 'get_client_data', task: { custom_fields: deep(1000), assignees: deep(1000), status: deep(500) } },
      { client_id: 'c', action_id: 'get_client_data', task: { assignees: Array.from({ length: 5000 }, (_, i) => ({ id: i })), custom_fields: 'x', status: 7 } },
      { client_id: 'c', action_id: 'get_client_data', task: { id: { nested: true }, name: 42, custom_fields: [null, 1, 'x', { value: deep(300) }] } },
    ];
    for (const body of bodies) {
      const res = await hub.http().post('/api/webhook/make.com/chatgpt-clients').set({ 'Content-Type': 'application/json', 'x-make-apikey': 'k'.repeat(20) }).send(body);
      if (res.status >= 500 || ![200, 400].includes(res.status)) throw new Error(`-> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
  });

  it('answers an authentic body nested thousands of levels deep with 400 on every ingress route and the ops API, storing nothing', async () => {
    const stream = `{${hub.config.prefix}}:events`;
    const before = await hub.redis.xlen(stream);
    for (const depth of [100, 4_200, 20_000]) {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const now = String(Math.floor(Date.now() / 1000));
      const routes: [string, string, Record<string, string>][] = [
        ['/webhooks/whatsapp', `{"event":"message.received","timestamp":1,"data":{"id":"deep-${depth}","x":${nested}}}`, {}],
        ['/webhooks/digitalsamba', `{"event":"participant_joined","timestamp":"2025-01-01T00:00:00Z","data":{"room_id":"r","x":${nested}}}`, { Authorization: 'Bearer ' + 'z'.repeat(20) }],
        ['/api/webhook/make.com/chatgpt-clients', `{"client_id":"c","action_id":"get_client_data","task":{"x":${nested}}}`, { 'x-make-apikey': 'k'.repeat(20) }],
        ['/api/tavus/webhook?t=tttttttttttttttttttt', `{"event_type":"conversation.message","conversation_id":"c","message":{"x":${nested}}}`, {}],
        ['/webhook/events', `{"webhook_type":"event_processed","event":{"id":"deep-${depth}","x":${nested}}}`, { 'X-CCTelegram-Timestamp': now }],
        ['/webhooks/telegram', `{"update_id":${depth},"message":{"x":${nested}}}`, { 'X-Telegram-Bot-Api-Secret-Token': 'tg_token_123' }],
      ];
      for (const [path, body, headers] of routes) {
        const signed = { ...headers, 'X-Webhook-Signature': sha256Header('y'.repeat(20), body), 'X-CCTelegram-Signature': sha256Header('c'.repeat(20), body) };
        for (const type of ['application/json', 'text/plain']) {
          const res = await hub.http().post(path).set('Content-Type', type).set(signed).send(body);
          if (res.status !== 400) throw new Error(`${path} (${type}, depth ${depth}) -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          expect(res.body.message).toMatch(/nested deeper than 64 levels/);
        }
      }
      const sub = await hub.http().post('/api/v1/subscriptions').set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('Content-Type', 'application/json')
        .send(`{"url":"https://example.com/deep","filter":[{"path":"a","op":"equals","value":${nested}}]}`);
      expect(sub.status).toBe(400);
    }
    expect(await hub.redis.xlen(stream)).toBe(before);
  });

  it('tells an unauthenticated sender of a broken body 401 first, an authentic one 400, and counts both refusals', async () => {
    const rejected = async () => Number(/^hub_ingress_requests_total\{source="whatsapp",outcome="rejected"\} (\S+)$/m.exec((await hub.http().get('/metrics')).text)?.[1] ?? 0);
    const before = await rejected();
    const broken = '{"event":"message.received", nope';
    const unsigned = await hub.http().post('/webhooks/whatsapp').set({ 'Content-Type': 'application/json', 'X-Webhook-Signature': 'sha256=' + '0'.repeat(64) }).send(broken);
    expect(unsigned.status).toBe(401);
    const signed = await hub.http().post('/webhooks/whatsapp').set({ 'Content-Type': 'application/json', 'X-Webhook-Signature': sha256Header('y'.repeat(20), broken) }).send(broken);
    expect(signed.status).toBe(400);
    expect(signed.body.message).toMatch(/JSON/);
    const tooLarge = await hub.http().post('/webhooks/whatsapp').set({ 'Content-Type': 'application/json' }).send(`{"x":"${'a'.repeat(70_000)}"}`);
    expect(tooLarge.status).toBe(413);
    expect(await rejected()).toBe(before + 3);
    // The ops API and MCP too: no token, 401 whatever the body; with the token, the body's 400.
    for (const path of ['/api/v1/subscriptions', '/mcp']) {
      expect((await hub.http().post(path).set('Content-Type', 'application/json').send('{"url":')).status).toBe(401);
      const authed = await hub.http().post(path).set({ 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_TOKEN}` }).send('{"url":');
      expect(authed.status).toBe(400);
    }
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});

/** A value nested `levels` deep: {"a":{"a":...}}. */
function deep(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}
