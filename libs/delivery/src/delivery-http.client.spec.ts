import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { loadHubConfig } from '@hub/config';
import { DeliveryHttpClient, RESPONSE_SNIPPET_BYTES } from './delivery-http.client';

/** Real loopback servers: what the client makes of answers that are late, large or never complete. */
describe('DeliveryHttpClient', () => {
  let server: Server;
  let base: string;
  let client: DeliveryHttpClient;
  let respond: (res: ServerResponse) => void;
  const open: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      open.push(res);
      req.resume();
      req.on('end', () => respond(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new DeliveryHttpClient(loadHubConfig({ ALLOW_PRIVATE_TARGETS: 'true', DELIVERY_TIMEOUT_MS: '300' }));
  });

  afterEach(() => open.splice(0).forEach((res) => res.destroy()));

  afterAll(async () => {
    await client.onApplicationShutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path = '/hook') => client.post(`${base}${path}`, { 'content-type': 'application/json' }, Buffer.from('{"a":1}'));

  it('reads the status, the start of the body and Retry-After', async () => {
    respond = (res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down');
    await expect(post()).resolves.toMatchObject({ ok: false, status: 429, retryAfter: '7', responseSnippet: 'slow down', errorKind: 'http', error: 'HTTP 429' });
  });

  it('keeps the first 4 KiB of a large body and drops the rest', async () => {
    respond = (res) => res.writeHead(200).end('x'.repeat(200_000));
    const attempt = await post();
    expect(attempt).toMatchObject({ ok: true, status: 200 });
    expect(attempt.responseSnippet).toHaveLength(RESPONSE_SNIPPET_BYTES);
  });

  it('times out an endpoint that never answers', async () => {
    respond = () => undefined;
    await expect(post()).resolves.toMatchObject({ ok: false, errorKind: 'timeout' });
  });

  it('times out a body that trickles past the limit, though each chunk comes in time', async () => {
    respond = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => (res.writable ? res.write('.') : clearInterval(timer)), 50);
      res.on('close', () => clearInterval(timer));
    };
    await expect(post()).resolves.toMatchObject({ ok: false, errorKind: 'timeout' });
  });

  it('answers the next request on the pool after a timeout', async () => {
    respond = () => undefined;
    await post();
    respond = (res) => res.writeHead(204).end();
    await expect(post()).resolves.toMatchObject({ ok: true, status: 204 });
  });

  it('refuses an invalid URL and, unless allowed, a private literal address, without sending', async () => {
    await expect(client.post('not a url', {}, Buffer.from(''))).resolves.toMatchObject({ ok: false, errorKind: 'other', error: 'invalid URL' });
    const guarded = new DeliveryHttpClient(loadHubConfig({}));
    const refused = await guarded.post(`${base}/hook`, {}, Buffer.from(''));
    expect(refused).toMatchObject({ ok: false, errorKind: 'ssrf' });
    // Asked again, the same URL gets the same answer.
    await expect(guarded.post(`${base}/hook`, {}, Buffer.from(''))).resolves.toEqual(refused);
    await guarded.onApplicationShutdown();
  });
});
