import { request } from 'node:http';
import { AddressInfo } from 'node:net';
import { TestHub, startHub, uniquePrefix } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

const SECRET = 'rate-limit-bridge-secret';

/** A POST from a chosen loopback address (127.0.0.2 is another client than 127.0.0.1). */
function post(hub: TestHub, from: string, body: string, signed: boolean): Promise<number> {
  const { port } = hub.app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/webhooks/whatsapp', method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', ...(signed ? { 'x-webhook-signature': sha256Header(SECRET, body) } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Waits until at least `marginMs` remain in the current rate window. The limits slide over fixed,
 * epoch-aligned windows: a burst crossing a boundary rightly gets a little of the new window's share,
 * which would make exact counts below depend on the wall clock (a CI failure about 1 run in 50).
 */
async function awayFromWindowEdge(windowMs: number, marginMs = 15_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

const bridgeBody = (id: string) => JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id } });

describe('rate limits: junk cannot starve signed deliveries, and the per-source limit is shared', () => {
  it('keeps accepting signed deliveries from one address while another floods unsigned requests', async () => {
    const hub = await startHub('rate-flood', { WHATSAPP_WEBHOOK_SECRET: SECRET, RATE_LIMIT_PER_SOURCE: '20', RATE_LIMIT_WINDOW_MS: '60000', HUB_ROLE: 'gateway' });
    try {
      await awayFromWindowEdge(60_000);
      const flood: number[] = [];
      for (let i = 0; i < 60; i++) flood.push(await post(hub, '127.0.0.2', bridgeBody(`junk-${i}`), false));
      expect(flood.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(flood.slice(20).every((s) => s === 429)).toBe(true);
      const signed: number[] = [];
      for (let i = 0; i < 10; i++) signed.push(await post(hub, '127.0.0.1', bridgeBody(`real-${i}`), true));
      expect(signed).toEqual(Array(10).fill(202));
    } finally {
      await hub.close();
    }
  });

  it('counts authenticated requests of a source across gateways', async () => {
    const prefix = uniquePrefix('rate-shared');
    const env = { HUB_PREFIX: prefix, WHATSAPP_WEBHOOK_SECRET: SECRET, RATE_LIMIT_PER_SOURCE: '6', RATE_LIMIT_WINDOW_MS: '60000', HUB_ROLE: 'gateway' };
    const a = await startHub('rate-shared-a', env);
    const b = await startHub('rate-shared-b', env);
    try {
      await awayFromWindowEdge(60_000);
      const statuses: number[] = [];
      // Three from each address per gateway: no address is over its own limit; the source is.
      for (let i = 0; i < 4; i++) {
        statuses.push(await post(a, '127.0.0.1', bridgeBody(`a-${i}`), true));
        statuses.push(await post(b, '127.0.0.2', bridgeBody(`b-${i}`), true));
      }
      expect(statuses.filter((s) => s === 202)).toHaveLength(6);
      expect(statuses.slice(6)).toEqual([429, 429]);
      // Nothing was stored by a refused request.
      expect(await a.redis.xlen(`{${prefix}}:events`)).toBe(6);
    } finally {
      // b shares a's prefix: a.close() removes the keys; b's own client must still be let go.
      await b.app.close();
      b.redis.disconnect();
      await a.close();
    }
  });
});
