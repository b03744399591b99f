import { RouterLayer, hoistLayers } from './express-route-order';

const route = (path: string): RouterLayer => ({ route: { path } });
const middleware = (): RouterLayer => ({});
const appWide = (): RouterLayer => ({ slash: true });
const paths = (stack: RouterLayer[]) => stack.map((l) => l.route?.path ?? (l.slash ? 'app' : 'mw'));

describe('hoistLayers', () => {
  it('moves the every-route middleware and the ingress routes to just after the app-wide middleware, keeping everything else in order', () => {
    const stack = [appWide(), appWide(), middleware(), route('/docs'), route('/{*path}'), route('/health'), route('/api/v1/events'), route('/webhooks/a'), route('/mcp'), route('/webhooks/b'), middleware()];
    expect(hoistLayers(stack, (p) => p.startsWith('/webhooks/'))).toBe(2);
    expect(paths(stack)).toEqual(['app', 'app', '/{*path}', '/webhooks/a', '/webhooks/b', 'mw', '/docs', '/health', '/api/v1/events', '/mcp', 'mw']);
  });

  it('keeps the every-route middleware in place when nothing app-wide precedes it', () => {
    const stack = [route('/{*path}'), route('/health'), route('/webhooks/a')];
    expect(hoistLayers(stack, (p) => p.startsWith('/webhooks/'))).toBe(1);
    expect(paths(stack)).toEqual(['/{*path}', '/webhooks/a', '/health']);
  });

  it('moves nothing when no every-route middleware precedes the ingress routes (request logging would be skipped)', () => {
    const stack = [middleware(), route('/health'), route('/webhooks/a'), route('/{*path}')];
    expect(hoistLayers(stack, (p) => p.startsWith('/webhooks/'))).toBe(0);
    expect(paths(stack)).toEqual(['mw', '/health', '/webhooks/a', '/{*path}']);
  });
});
