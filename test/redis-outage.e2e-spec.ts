import Redis from 'ioredis';
import { ADMIN_TOKEN, TestHub, startHub, waitFor, within } from './utils/hub-test-app';
import { BRIDGE_SECRET } from './utils/delivery-helpers';
import { ConnectedClient, connectMcp } from './utils/mcp-client';
import { DedicatedRedis } from './utils/redis-server';
import { sha256Header } from './utils/signatures';

jest.setTimeout(90_000);

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'outage-probe', version: '1.0.0' } },
};

/**
 * Redis goes away (SIGKILL) and comes back on the same port: every client gets an answer meanwhile
 * (503, or an MCP error result), and the hub serves again once Redis is back, without a restart.
 */
describe('a Redis outage', () => {
  const server = new DedicatedRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  let hub: TestHub;
  let mcp: ConnectedClient;

  beforeAll(async () => {
    await server.start();
    hub = await startHub('redis-outage', { REDIS_URL: server.url, WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET });
    mcp = await connectMcp(hub);
  });
  afterAll(async () => {
    await mcp?.client.close().catch(() => undefined);
    await hub?.app.close();
    hub?.redis.disconnect();
    await server.stop();
  });

  const initialize = () =>
    hub.http().post('/mcp').set({ Authorization: `Bearer ${ADMIN_TOKEN}`, Accept: 'application/json, text/event-stream', 'Content-Type': 'application/json' })
      .timeout(15_000).send(INITIALIZE);
  const ingest = (id: string) => {
    const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id } });
    return hub.http().post('/webhooks/whatsapp').set({ 'Content-Type': 'application/json', 'X-Webhook-Signature': sha256Header(BRIDGE_SECRET, body) }).timeout(15_000).send(body);
  };

  it('answers MCP initialize, MCP tool calls and ingress while Redis is down, and serves again when it is back', async () => {
    expect((await ingest('before')).status).toBe(202);
    await server.kill();
    expect(await waitFor(async () => (await hub.http().get('/health')).status === 503, 15_000, 100)).toBe(true);

    const refused = await initialize();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/Redis/) } });

    // A session opened before the outage gets its answer: an error result, not silence.
    const during = await within(mcp.client.callTool({ name: 'list_events', arguments: { limit: 1 } }), 15_000, 'no answer to a tool call within 15 s of the outage');
    expect(during).toMatchObject({ isError: true });
    const ingressDuring = await ingest('during');
    expect(ingressDuring.status).toBe(503);

    await server.start();
    expect(await waitFor(async () => (await hub.http().get('/health')).status === 200, 20_000, 100)).toBe(true);
    const accepted = await initialize();
    expect(accepted.status).toBe(200);
    expect(accepted.headers['mcp-session-id']).toBeDefined();
    const after = await mcp.client.callTool({ name: 'list_events', arguments: { limit: 5 } });
    expect(after.isError).toBeFalsy();
    expect((await ingest('after')).status).toBe(202);
    // The event acknowledged before the outage survived it (append-only file, fsync always).
    const check = new Redis(server.url);
    try {
      const entries = (await check.xrange(`{${hub.config.prefix}}:events`, '-', '+')) as [string, string[]][];
      expect(entries.map(([, f]) => JSON.parse(f[f.indexOf('event') + 1]).data.id)).toEqual(['before', 'after']);
    } finally {
      check.disconnect();
    }
    expect(hub.serverErrors).toEqual([]);
  });
});
