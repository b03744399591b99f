import { TestHub, startHub } from './utils/hub-test-app';
import { BRIDGE_SECRET, ingestBridgeEvent } from './utils/delivery-helpers';

jest.setTimeout(30_000);

type Layer = { route?: { path: string }; slash?: boolean; name?: string };

// Express only: Fastify finds routes with its radix tree, in no order.
const describeOnExpress = process.env.HTTP_ADAPTER === 'fastify' ? describe.skip : describe;

describeOnExpress('Express route order (ingress routes first)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startHub('route-order', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('puts the request logging first, the ingress dispatcher after the body parsing, and every ingress route right after the app-wide middleware once a request came in, and routes still answer', async () => {
    await ingestBridgeEvent(hub, 'message.received', { id: 'route-order-1' });
    const stack = (hub.app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } }).router.stack;
    const paths = stack.map((layer) => layer.route?.path);
    const afterMiddleware = stack.findIndex((layer) => !(layer.slash && !layer.route));
    // Before the routes only app-wide middleware: no path-mounted app or docs route to match first.
    expect(afterMiddleware).toBeGreaterThan(0);
    const names = stack.slice(0, afterMiddleware).map((layer) => layer.name);
    // The body parser and the route-order hook are anonymous: the logging comes before them, the dispatcher after.
    expect(names.indexOf('hubRequestLogging')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('hubIngressDispatch')).toBeGreaterThan(names.indexOf('hubRequestLogging') + 1);
    const ingress = ['/webhooks/whatsapp', '/webhooks/digitalsamba', '/webhooks/telegram', '/api/tavus/webhook', '/webhook/events'];
    for (const path of ingress) {
      const at = paths.indexOf(path);
      expect(at).toBeGreaterThanOrEqual(afterMiddleware);
      expect(at).toBeLessThan(paths.indexOf('/health'));
    }
    expect((await hub.http().get('/health')).status).toBe(200);
    expect((await hub.http().get('/api/v1/events')).status).toBe(401);
  });
});
