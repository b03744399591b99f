import { TestHub, startHub } from './utils/hub-test-app';

describe('OpenAPI at /docs', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub('openapi', { HUB_ROLE: 'gateway' });
  });
  afterAll(() => hub.close());

  it('documents every HTTP route of the gateway', async () => {
    const res = await hub.http().get('/docs/json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    for (const path of [
      '/webhooks/whatsapp', '/webhooks/digitalsamba', '/api/webhook/make.com/{scenario}', '/api/tavus/webhook',
      '/webhook/events', '/webhook/responses', '/webhook/health', '/webhooks/telegram',
      '/api/v1/events', '/api/v1/events/{id}', '/api/v1/events/{id}/replay', '/api/v1/event-types',
      '/api/v1/subscriptions', '/api/v1/subscriptions/{id}', '/api/v1/subscriptions/{id}/rotate-secret',
      '/api/v1/subscriptions/{id}/test', '/api/v1/subscriptions/{id}/replay', '/api/v1/deliveries', '/api/v1/deliveries/{id}',
      '/api/v1/dead-letters', '/api/v1/dead-letters/redrive', '/api/v1/stats', '/api/status', '/health', '/metrics', '/mcp',
    ]) {
      expect(paths).toContain(path);
    }
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await hub.http().get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });
});
