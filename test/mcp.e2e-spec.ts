import { TestHub, startHub, waitFor } from './utils/hub-test-app';
import { HttpSink } from './utils/http-sink';
import { BRIDGE_SECRET, ingestBridgeEvent } from './utils/delivery-helpers';
import { ConnectedClient, connectMcp, mcpUrl, toolJson } from './utils/mcp-client';

jest.setTimeout(30_000);

const HUB_TOOLS = [
  'list_sources', 'list_event_types', 'list_events', 'get_event', 'wait_for_event', 'subscribe_events',
  'register_webhook', 'update_webhook', 'unregister_webhook', 'list_webhooks', 'test_webhook', 'rotate_webhook_secret',
  'list_deliveries', 'get_delivery', 'replay_event', 'replay_webhook', 'list_dead_letters', 'redrive_dead_letters', 'list_approvals', 'decide_approval', 'get_stats',
];
const SEED_TOOLS = ['process_webhook_data', 'extract_client_knowledge_graph', 'send_webhook_response', 'validate_webhook_signature', 'get_knowledge_graph', 'register-webhook', 'list-webhooks', 'delete-webhook', 'list-webhook-events', 'whatsapp_webhook_register', 'whatsapp_webhook_unregister', 'whatsapp_webhook_list', 'whatsapp_webhook_test'];

describe('MCP over Streamable HTTP (SDK client, real hub)', () => {
  let hub: TestHub;
  let sink: HttpSink;
  let mcp: ConnectedClient;

  beforeAll(async () => {
    hub = await startHub('mcp', { WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET, ALLOW_PRIVATE_TARGETS: 'true', DIGITAL_SAMBA_WEBHOOK_TOKEN: 'ds-token-for-mcp-test' });
    sink = await new HttpSink().start();
    mcp = await connectMcp(hub);
  });
  afterAll(async () => {
    await mcp.client.close().catch(() => undefined);
    await sink.stop();
    await hub.close();
  });

  it('lists every tool with an input schema and a description', async () => {
    const { tools } = await mcp.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining([...HUB_TOOLS, ...SEED_TOOLS]));
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect((tool.description ?? '').length).toBeGreaterThan(20);
    }
  });

  it('registers, lists, tests and unregisters a webhook', async () => {
    const registered = toolJson(await mcp.client.callTool({ name: 'register_webhook', arguments: { url: sink.url('/mcp-hook'), events: ['whatsapp.*'] } }));
    expect(registered.created).toBe(true);
    expect(registered.webhook.secret).toMatch(/^whsec_/);
    const list = toolJson(await mcp.client.callTool({ name: 'list_webhooks', arguments: {} }));
    expect(list.webhooks.map((w: { url: string }) => w.url)).toContain(sink.url('/mcp-hook'));
    expect(JSON.stringify(list)).not.toContain('whsec_');
    const test = toolJson(await mcp.client.callTool({ name: 'test_webhook', arguments: { id: registered.webhook.id } }));
    expect(test).toMatchObject({ ok: true, statusCode: 200 });
    expect(sink.received.at(-1)?.headers['x-webhook-event']).toBe('webhook.test');
    const removed = toolJson(await mcp.client.callTool({ name: 'unregister_webhook', arguments: { url: sink.url('/mcp-hook') } }));
    expect(removed.deleted.id).toBe(registered.webhook.id);
  });

  it('disables a webhook, tells what it missed on enable, and replays it (everything the REST API does)', async () => {
    const call = async (name: string, args: Record<string, unknown>) => toolJson(await mcp.client.callTool({ name, arguments: args }));
    const { webhook } = await call('register_webhook', { url: sink.url('/mcp-replay'), events: ['whatsapp.presence.*'] });
    expect(await call('update_webhook', { id: webhook.id, enabled: false })).toMatchObject({ enabled: false });
    await ingestBridgeEvent(hub, 'presence.update', { id: 'missed-1' });
    await ingestBridgeEvent(hub, 'presence.update', { id: 'missed-2' });
    const counted = await waitFor(async () => {
      const dry = await call('replay_webhook', { id: webhook.id, dryRun: true });
      return dry.counts.skipped === 2 ? dry : null;
    }, 5_000);
    expect(counted).toMatchObject({ dryRun: true, status: 'skipped', enqueued: 0 });
    expect(sink.received.filter((r) => r.path === '/mcp-replay')).toHaveLength(0);

    const disabledReplay = await mcp.client.callTool({ name: 'replay_webhook', arguments: { id: webhook.id } });
    expect(disabledReplay.isError).toBe(true);
    expect(JSON.stringify(disabledReplay.content)).toContain('enable it first');

    expect(await call('update_webhook', { id: webhook.id, enabled: true })).toMatchObject({ enabled: true, missed: { skipped: 2 } });
    expect(await call('replay_webhook', { id: webhook.id, status: 'skipped' })).toMatchObject({ dryRun: false, enqueued: 2 });
    expect(await waitFor(async () => sink.received.filter((r) => r.path === '/mcp-replay').length === 2, 5_000)).toBe(true);
    const replayed = sink.received.filter((r) => r.path === '/mcp-replay').map((r) => JSON.parse(r.body).data.id).sort();
    expect(replayed).toEqual(['missed-1', 'missed-2']);
    const badStatus = await mcp.client.callTool({ name: 'replay_webhook', arguments: { id: webhook.id, status: 'everything' } });
    expect(badStatus.isError).toBe(true);
  });

  it('answers bad input with an isError result and a clear message', async () => {
    const bad = await mcp.client.callTool({ name: 'register_webhook', arguments: { url: 'ftp://nope', events: ['*'] } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('url must be an http(s) URL');
    const missing = await mcp.client.callTool({ name: 'get_event', arguments: { id: 'evt_nope' } });
    expect(missing.isError).toBe(true);
    expect(JSON.stringify(missing.content)).toContain('not found');
    const schema = await mcp.client.callTool({ name: 'wait_for_event', arguments: { filter: 'x.*', timeoutSeconds: 600 } });
    expect(schema.isError).toBe(true);
  });

  it('wait_for_event returns an event ingested during the wait', async () => {
    const waiting = mcp.client.callTool({ name: 'wait_for_event', arguments: { filter: 'whatsapp.presence.*', timeoutSeconds: 10 } });
    await new Promise((r) => setTimeout(r, 300));
    const id = await ingestBridgeEvent(hub, 'presence.update', { id: 'w-1', status: 'online' });
    const result = toolJson(await waiting);
    expect(result).toMatchObject({ timedOut: false, event: { id, type: 'whatsapp.presence.update' } });
    const timedOut = toolJson(await mcp.client.callTool({ name: 'wait_for_event', arguments: { filter: 'nothing.*', timeoutSeconds: 1 } }));
    expect(timedOut).toMatchObject({ timedOut: true });
  });

  it('notifies of an ingested event, respects the session filter, and updates subscribed resources', async () => {
    await mcp.client.callTool({ name: 'subscribe_events', arguments: { patterns: ['whatsapp.message.*'] } });
    await mcp.client.subscribeResource({ uri: 'hub://events/whatsapp' });
    const before = mcp.logged.length;
    const wanted = await ingestBridgeEvent(hub, 'message.received', { id: 'n-1' });
    const unwanted = await ingestBridgeEvent(hub, 'connection.update', { id: 'n-2' });
    expect(await waitFor(async () => mcp.logged.some((l) => l.data.id === wanted), 15_000, 10)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(mcp.logged.slice(before).map((l) => l.data.id)).not.toContain(unwanted);
    expect(mcp.resourceUpdates).toContain('hub://events/whatsapp');
    const read = await mcp.client.readResource({ uri: 'hub://events/whatsapp' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)[0].id).toBe(unwanted);
    await mcp.client.callTool({ name: 'subscribe_events', arguments: { patterns: ['*'] } });
  });

  it("sends the Digital Samba seed's digitalsambaEvent notification for Digital Samba events", async () => {
    const body = JSON.stringify({ eventType: 'participant_joined', sessionId: 's-1', roomId: 'r-1', timestamp: 1675790387, data: { participantId: 'p-9', name: 'Ada' } });
    const res = await hub.http().post('/webhooks/digitalsamba').set('Content-Type', 'application/json').set('Authorization', 'Bearer ds-token-for-mcp-test').send(body);
    expect(res.status).toBe(202);
    const note = await waitFor(async () => mcp.custom.find((n) => n.method === 'digitalsambaEvent'), 5_000, 10);
    // The platform's own data, plus the room and session its envelope names.
    expect(note?.params).toEqual({ event: 'participant_joined', timestamp: '2023-02-07T17:19:47.000Z', data: { participantId: 'p-9', name: 'Ada', roomId: 'r-1', sessionId: 's-1' } });
  });

  it('sends digitalsambaEvent with the document\'s own data, so code written from it reads params.data.room_id', async () => {
    mcp.custom.length = 0;
    const body = JSON.stringify({ event: 'participant.joined', timestamp: '2025-05-19T10:01:30Z', data: { room_id: 'room-doc-1', session_id: 'sess-doc-1', participant_id: 'p-42', name: 'Ada' } });
    const res = await hub.http().post('/webhooks/digitalsamba').set('Content-Type', 'application/json').set('Authorization', 'Bearer ds-token-for-mcp-test').send(body);
    expect(res.status).toBe(202);
    const note = await waitFor(async () => mcp.custom.find((n) => n.method === 'digitalsambaEvent'), 10_000, 10);
    expect(note?.params).toEqual({ event: 'participant.joined', timestamp: '2025-05-19T10:01:30.000Z', data: { room_id: 'room-doc-1', session_id: 'sess-doc-1', participant_id: 'p-42', name: 'Ada' } });
    expect((note?.params as { data: { room_id: string } }).data.room_id).toBe('room-doc-1');
  });

  it('answers out-of-range times and cursors with an isError result, as REST answers 400', async () => {
    for (const args of [{ since: '9999999999999999' }, { since: '1969-12-31T23:59:59Z' }]) {
      const result = await mcp.client.callTool({ name: 'list_events', arguments: args });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toMatch(/since must be between 1970/);
    }
    expect(toolJson(await mcp.client.callTool({ name: 'list_events', arguments: { cursor: '0-0' } }))).toEqual({ data: [], nextCursor: null });
    const reg = toolJson(await mcp.client.callTool({ name: 'register_webhook', arguments: { url: sink.url('/bounded'), events: ['never.*'] } }));
    for (const args of [{ until: 1e20 }, { since: -1e20 }]) {
      const result = await mcp.client.callTool({ name: 'replay_webhook', arguments: { id: reg.webhook.id, dryRun: true, ...args } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toMatch(/must be between 1970/);
    }
  });

  it('pulls events with list_events since a time', async () => {
    const since = new Date().toISOString();
    const id = await ingestBridgeEvent(hub, 'group.update', { id: 'p-1' });
    const page = toolJson(await mcp.client.callTool({ name: 'list_events', arguments: { since, source: 'whatsapp' } }));
    expect(page.data.map((e: { id: string }) => e.id)).toContain(id);
  });

  it('manages WhatsApp-scoped webhooks with the seed tools', async () => {
    const url = sink.url('/wa-seed');
    const reg = toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_register', arguments: { url, events: ['message.received', 'connection.update'], secret: 'wa-seed-secret-1' } }));
    expect(reg).toMatchObject({ success: true, webhook: { url, events: ['message.received', 'connection.update'], secret: '***' } });
    const list = toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_list', arguments: {} }));
    expect(list.webhooks.find((w: { url: string }) => w.url === url)).toMatchObject({ enabled: true });
    const test = toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_test', arguments: { url } }));
    expect(test).toMatchObject({ url, success: true });
    const un = toolJson(await mcp.client.callTool({ name: 'whatsapp_webhook_unregister', arguments: { url } }));
    expect(un).toMatchObject({ success: true });
    const gone = await mcp.client.callTool({ name: 'whatsapp_webhook_unregister', arguments: { url } });
    expect(gone.isError).toBe(true);
  });

  it('refuses a missing or wrong token (401) and an unknown session (404)', async () => {
    const url = mcpUrl(hub);
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const missing = await fetch(url, { method: 'POST', headers, body: JSON.stringify(init) });
    expect(missing.status).toBe(401);
    // Refusals are JSON-RPC error bodies too, so a client can show why.
    expect(await missing.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringContaining('missing bearer token') }, id: null });
    expect((await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'Bearer wrong-token-wrong-token' }, body: JSON.stringify(init) })).status).toBe(401);
    const unknown = await fetch(url, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer test-admin-token-0123456789abcdef`, 'mcp-session-id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
    const evil = await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'Bearer test-admin-token-0123456789abcdef', origin: 'https://evil.example' }, body: JSON.stringify(init) });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringContaining('Origin') }, id: null });
  });

  it('answers an unreadable body with JSON-RPC -32700 Parse error, and other body refusals in JSON-RPC too', async () => {
    const url = mcpUrl(hub);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer test-admin-token-0123456789abcdef' };
    const garbage = await fetch(url, { method: 'POST', headers, body: '{"jsonrpc":"2.0","id":1,"method":' });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: expect.stringMatching(/^Parse error: invalid JSON/) }, id: null });
    const latin1 = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json; charset=latin1' }, body: '{}' });
    expect(latin1.status).toBe(415);
    expect(await latin1.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    // Elsewhere the hub's own error body stays.
    const ops = await fetch(`http://127.0.0.1:${(hub.app.getHttpServer().address() as { port: number }).port}/api/v1/subscriptions`, { method: 'POST', headers, body: '{"url":' });
    expect(await ops.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^invalid JSON/) });
  });

  it('sent no 500', () => {
    expect(hub.serverErrors).toEqual([]);
  });
});
