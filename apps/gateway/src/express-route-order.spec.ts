import { RouterLayer, hoistLayers } from './express-route-order';

const route = (path: string): RouterLayer => ({ route: { path } });
const middleware = (): RouterLayer => ({});
const paths = (stack: RouterLayer[]) => stack.map((l) => l.route?.path ?? 'mw');

describe('hoistLayers', () => {
  it('moves ingress routes to just after the every-route middleware, keeping everything else in order', () => {
    const stack = [middleware(), route('/docs'), route('/{*path}'), route('/health'), route('/api/v1/events'), route('/webhooks/a'), route('/mcp'), route('/webhooks/b'), middleware()];
    expect(hoistLayers(stack, (p) => p.startsWith('/webhooks/'))).toBe(2);
    expect(paths(stack)).toEqual(['mw', '/docs', '/{*path}', '/webhooks/a', '/webhooks/b', '/health', '/api/v1/events', '/mcp', 'mw']);
  });

  it('moves nothing when no every-route middleware precedes the ingress routes (request logging would be skipped)', () => {
    const stack = [middleware(), route('/health'), route('/webhooks/a'), route('/{*path}')];
    expect(hoistLayers(stack, (p) => p.startsWith('/webhooks/'))).toBe(0);
    expect(paths(stack)).toEqual(['mw', '/health', '/webhooks/a', '/{*path}']);
  });
});
