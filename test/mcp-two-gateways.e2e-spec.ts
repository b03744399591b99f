import { TestHub, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { BRIDGE_SECRET, ingestBridgeEvent } from './utils/delivery-helpers';
import { ConnectedClient, connectMcp, toolJson } from './utils/mcp-client';

jest.setTimeout(30_000);

/**
 * Scale-out: two gateways and a worker on one Redis and one HUB_PREFIX. An event ingested on gateway B
 * is processed by the worker, published on the live-events channel, and pushed by gateway A to its
 * own MCP sessions.
 */
describe('MCP across two gateways sharing one Redis', () => {
  const prefix = uniquePrefix('two-gw');
  let gatewayA: TestHub;
  let gatewayB: TestHub;
  let worker: TestHub;
  let onA: ConnectedClient;
  let onB: ConnectedClient;
  /** B's shutdown, once the test below started it. */
  let closingB: Promise<void> | undefined;

  /** Ends the session (DELETE) as a well-behaved client does, then closes the client. */
  async function disconnect(mcp: ConnectedClient | undefined): Promise<void> {
    await mcp?.transport.terminateSession().catch(() => undefined);
    await mcp?.client.close().catch(() => undefined);
  }

  /** Stops a hub without deleting the shared keys (gateway A does that, last). */
  async function stop(hub: TestHub): Promise<void> {
    await hub.app.close();
    hub.redis.disconnect();
  }

  beforeAll(async () => {
    // A first: its close() deletes the prefix's keys, so it is closed last.
    gatewayA = await startHub('two-gw-a', { HUB_PREFIX: prefix, HUB_ROLE: 'gateway', WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET });
    gatewayB = await startHub('two-gw-b', { HUB_PREFIX: prefix, HUB_ROLE: 'gateway', WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET });
    worker = await startHub('two-gw-worker', { HUB_PREFIX: prefix, HUB_ROLE: 'worker' });
    onA = await connectMcp(gatewayA);
    onB = await connectMcp(gatewayB);
  });
  afterAll(async () => {
    for (const mcp of [onA, onB]) await disconnect(mcp);
    // B and the worker without the key cleanup (A still runs on the same keys), then A with it.
    if (closingB) await closingB;
    else if (gatewayB) await stop(gatewayB);
    if (worker) await stop(worker);
    await gatewayA?.close();
  });

  it('runs three hubs on one prefix; the worker does not serve /mcp', async () => {
    expect([gatewayA.config.prefix, gatewayB.config.prefix, worker.config.prefix]).toEqual([prefix, prefix, prefix]);
    expect([gatewayA.config.role, gatewayB.config.role, worker.config.role]).toEqual(['gateway', 'gateway', 'worker']);
    expect((await worker.http().post('/mcp').send({})).status).toBe(404);
    expect((await worker.http().post('/webhooks/whatsapp').send({})).status).toBe(404);
  });

  it('an event ingested on gateway B reaches the MCP session on gateway A, once', async () => {
    const id = await ingestBridgeEvent(gatewayB, 'message.received', { id: 'two-gw-1' });
    expect(await waitFor(async () => onA.logged.some((l) => l.data.id === id), 15_000, 10)).toBe(true);
    const arrived = onA.logged.find((l) => l.data.id === id)!;
    expect(arrived.data).toMatchObject({ id, type: 'whatsapp.message.received' });
    // B's own session gets it too; each session exactly once (one worker publishes, each gateway pushes to its own).
    expect(await waitFor(async () => onB.logged.some((l) => l.data.id === id), 15_000, 10)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(onA.logged.filter((l) => l.data.id === id)).toHaveLength(1);
    expect(onB.logged.filter((l) => l.data.id === id)).toHaveLength(1);
  });

  it('sessions live on the gateway that opened them: A\'s session id is unknown to B (404)', async () => {
    const sessionId = onA.transport.sessionId!;
    const res = await gatewayB
      .http()
      .post('/mcp')
      .set('Authorization', `Bearer ${gatewayB.config.adminToken}`)
      .set('Accept', 'application/json, text/event-stream')
      .set('Mcp-Session-Id', sessionId)
      .send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
  });

  it('wait_for_event on gateway A resolves with an event ingested on gateway B', async () => {
    const waiting = onA.client.callTool({ name: 'wait_for_event', arguments: { filter: 'whatsapp.presence.*', timeoutSeconds: 10 } });
    await new Promise((r) => setTimeout(r, 300));
    const other = await ingestBridgeEvent(gatewayB, 'message.received', { id: 'two-gw-not-this' });
    const id = await ingestBridgeEvent(gatewayB, 'presence.update', { id: 'two-gw-2', status: 'online' });
    const result = toolJson(await waiting);
    expect(result).toMatchObject({ timedOut: false, event: { id, type: 'whatsapp.presence.update', source: 'whatsapp' } });
    expect(result.event.id).not.toBe(other);
    // And the event is readable on A (shared store), as get_event.
    const fetched = toolJson(await onA.client.callTool({ name: 'get_event', arguments: { id } }));
    expect(fetched).toMatchObject({ id, type: 'whatsapp.presence.update' });
  });

  it('gateway B shuts down promptly although its MCP client still holds the GET stream; A carries on', async () => {
    const started = Date.now();
    closingB = stop(gatewayB);
    let timer: NodeJS.Timeout | undefined;
    const took = await Promise.race([closingB.then(() => Date.now() - started), new Promise<number>((r) => (timer = setTimeout(() => r(Number.POSITIVE_INFINITY), 15_000)))]);
    clearTimeout(timer);
    // When McpSessionRegistry closed its sessions only in onApplicationShutdown (after Nest closes the
    // HTTP server), app.close() waited for the open SSE connection, i.e. until the client went away.
    // Bounded generously: the bug was waiting for the client, i.e. never on its own.
    expect(took).toBeLessThan(15_000);
    const id = await ingestBridgeEvent(gatewayA, 'message.received', { id: 'two-gw-after-b' });
    expect(await waitFor(async () => onA.logged.some((l) => l.data.id === id), 5_000, 10)).toBe(true);
  });

  it('sent no 500 on any of the three', () => {
    expect(gatewayA.serverErrors).toEqual([]);
    expect(gatewayB.serverErrors).toEqual([]);
    expect(worker.serverErrors).toEqual([]);
  });
});
