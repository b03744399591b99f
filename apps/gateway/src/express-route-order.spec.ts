import { RouterLayer, hoistLayers, ingressDispatcher } from './express-route-order';

const route = (path: string): RouterLayer => ({ route: { path } });
const middleware = (): RouterLayer => ({});
const appWide = (): RouterLayer => ({ slash: true });
const paths = (stack: RouterLayer[]) => stack.map((l) => l.route?.path ?? (l.slash ? 'app' : 'mw'));

describe('hoistLayers', () => {
  it('moves the ingress routes to just after the app-wide middleware, keeping everything else in order', () => {
    const stack = [appWide(), appWide(), middleware(), route('/docs'), route('/health'), route('/api/v1/events'), route('/webhooks/a'), route('/mcp'), route('/webhooks/b'), middleware()];
    expect(hoistLayers(stack, (p) => p.startsWith('/webhooks/'))).toBe(2);
    expect(paths(stack)).toEqual(['app', 'app', '/webhooks/a', '/webhooks/b', 'mw', '/docs', '/health', '/api/v1/events', '/mcp', 'mw']);
  });

  it('moves nothing when nothing app-wide (the request logging, the body parsing) comes first', () => {
    const stack = [middleware(), route('/health'), route('/webhooks/a')];
    expect(hoistLayers(stack, (p) => p.startsWith('/webhooks/'))).toBe(0);
    expect(paths(stack)).toEqual(['mw', '/health', '/webhooks/a']);
  });
});

describe('ingressDispatcher', () => {
  const handled: string[] = [];
  const handler = (name: string) => async (req: unknown) => void handled.push(`${name} ${JSON.stringify((req as { params?: unknown }).params ?? null)}`);
  const dispatch = ingressDispatcher([
    { path: '/webhooks/whatsapp', handler: handler('whatsapp') },
    { path: '/api/webhook/make.com/:scenario', handler: handler('makecom') },
  ]);
  const run = (method: string, path: string) => {
    let passed = false;
    void dispatch({ method, path }, {}, () => (passed = true));
    return passed ? 'next' : handled.pop();
  };

  it('answers the lean ingress routes as Express would route them: any case, one trailing slash, parameters decoded', () => {
    expect(run('POST', '/webhooks/whatsapp')).toBe('whatsapp null');
    expect(run('POST', '/Webhooks/WhatsApp/')).toBe('whatsapp null');
    expect(run('POST', '/api/webhook/make.com/crm%20sync')).toBe('makecom {"scenario":"crm sync"}');
    expect(run('POST', '/api/webhook/MAKE.COM/a.b-c/')).toBe('makecom {"scenario":"a.b-c"}');
  });

  it('leaves everything else to Express: other methods and paths, a literal dot, a parameter that does not decode', () => {
    expect(run('GET', '/webhooks/whatsapp')).toBe('next');
    expect(run('POST', '/webhooks/whatsapp/x')).toBe('next');
    expect(run('POST', '/webhooks/whatsapp//')).toBe('next');
    expect(run('POST', '/api/webhook/makeXcom/a')).toBe('next');
    expect(run('POST', '/api/webhook/make.com/')).toBe('next');
    expect(run('POST', '/api/webhook/make.com/a/b')).toBe('next');
    expect(run('POST', '/api/webhook/make.com/%E0')).toBe('next');
  });
});
