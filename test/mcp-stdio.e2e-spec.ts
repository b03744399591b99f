import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { REDIS_URL, TestHub, deleteKeys, startHub, uniquePrefix, waitFor } from './utils/hub-test-app';
import { BRIDGE_SECRET, admin, ingestBridgeEvent } from './utils/delivery-helpers';
import { toolJson } from './utils/mcp-client';

jest.setTimeout(30_000);

/** The compiled stdio entry (npm test builds it first, see "pretest"). */
const ROOT = join(__dirname, '..');
const ENTRY = join(ROOT, 'dist', 'apps', 'gateway', 'src', 'mcp-stdio.js');

const HUB_TOOLS = [
  'list_sources', 'list_event_types', 'list_events', 'get_event', 'wait_for_event', 'subscribe_events',
  'register_webhook', 'update_webhook', 'unregister_webhook', 'list_webhooks', 'test_webhook', 'rotate_webhook_secret',
  'list_deliveries', 'get_delivery', 'replay_event', 'replay_webhook', 'list_dead_letters', 'redrive_dead_letters', 'get_stats',
];
const SEED_TOOLS = ['register-webhook', 'list-webhooks', 'delete-webhook', 'list-webhook-events', 'whatsapp_webhook_register', 'whatsapp_webhook_unregister', 'whatsapp_webhook_list', 'whatsapp_webhook_test'];

/** Only what the server needs: a clean environment, so nothing from the test runner leaks in. */
function stdioEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...getDefaultEnvironment(), REDIS_URL, HUB_PREFIX: prefix, LOG_LEVEL: 'info', ...extra };
}

describe('MCP over stdio (npm run mcp:stdio, SDK StdioClientTransport)', () => {
  let hub: TestHub;
  let prefix: string;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';
  const clientErrors: Error[] = [];
  const logged: { id: string; type: string }[] = [];

  beforeAll(async () => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build (npm test does it first)`);
    prefix = uniquePrefix('stdio');
    // An HTTP hub on the same prefix ingests events; the stdio server must see its store and its live events.
    hub = await startHub('stdio', { HUB_PREFIX: prefix, WHATSAPP_WEBHOOK_SECRET: BRIDGE_SECRET });
    transport = new StdioClientTransport({ command: process.execPath, args: [ENTRY], cwd: ROOT, env: stdioEnv(prefix), stderr: 'pipe' });
    // Drained all along: an unread stderr pipe would fill up and block the server.
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Any non-JSON-RPC line on stdout surfaces here (the client's read buffer fails to parse it).
    transport.onerror = (error) => clientErrors.push(error);
    client = new Client({ name: 'hub-stdio-e2e', version: '1.0.0' });
    client.onerror = (error) => clientErrors.push(error);
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logged.push(n.params.data as { id: string; type: string });
    });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await hub?.close();
  });

  it('initializes and lists every tool', async () => {
    expect(client.getServerVersion()?.name).toBe('webhook-hub');
    expect(client.getServerCapabilities()).toMatchObject({ logging: {}, tools: {}, resources: { subscribe: true } });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining([...HUB_TOOLS, ...SEED_TOOLS]));
  });

  it('calls list_sources', async () => {
    const result = await client.callTool({ name: 'list_sources', arguments: {} });
    expect(result.isError).toBeFalsy();
    const sources = toolJson(result).sources.map((s: { source: string }) => s.source);
    expect(sources).toEqual(expect.arrayContaining(['digitalsamba', 'makecom', 'tavus', 'whatsapp', 'telegram']));
  });

  it('registers, lists and unregisters a webhook in the store the HTTP hub uses', async () => {
    const url = 'https://hooks.example.com/stdio-e2e';
    const registered = toolJson(await client.callTool({ name: 'register_webhook', arguments: { url, events: ['whatsapp.*'] } }));
    expect(registered).toMatchObject({ created: true, webhook: { url } });
    const listed = toolJson(await client.callTool({ name: 'list_webhooks', arguments: {} }));
    expect(listed.webhooks.map((w: { url: string }) => w.url)).toContain(url);
    // Same Redis, same prefix: the REST API of the running hub sees it.
    const rest = await admin(hub).get('/api/v1/subscriptions');
    expect(rest.body.data.map((s: { id: string }) => s.id)).toContain(registered.webhook.id);
    const removed = toolJson(await client.callTool({ name: 'unregister_webhook', arguments: { url } }));
    expect(removed.deleted.id).toBe(registered.webhook.id);
    expect(toolJson(await client.callTool({ name: 'list_webhooks', arguments: {} })).webhooks).toEqual([]);
  });

  it('answers bad input with an isError result', async () => {
    const bad = await client.callTool({ name: 'register_webhook', arguments: { url: 'ftp://nope' } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('url must be an http(s) URL');
  });

  it('notifies the stdio session of an event ingested by the HTTP hub', async () => {
    const id = await ingestBridgeEvent(hub, 'message.received', { id: 'stdio-1', text: 'hello' });
    expect(await waitFor(async () => logged.some((e) => e.id === id), 5_000)).toBe(true);
    expect(logged.find((e) => e.id === id)?.type).toBe('whatsapp.message.received');
  });

  it('wrote nothing but JSON-RPC to stdout, and its logs to stderr', () => {
    expect(clientErrors).toEqual([]);
    expect(stderr).toContain('MCP server on stdio ready');
  });
});

describe('the stdio process itself', () => {
  const prefixes: string[] = [];
  afterAll(async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    for (const prefix of prefixes) await deleteKeys(redis, `{${prefix}}:*`);
    redis.disconnect();
  });

  /** Runs the entry with the given stdin lines, then ends stdin; resolves once it exits. */
  function runRaw(env: Record<string, string>, lines: object[], waitMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [ENTRY], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
      for (const line of lines) child.stdin.write(`${JSON.stringify(line)}\n`);
      // Give it time to answer, then close stdin as a client does on exit.
      setTimeout(() => child.stdin.end(), waitMs);
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    });
  }

  it('answers line by line with JSON-RPC only, and exits 0 when stdin ends', async () => {
    const prefix = uniquePrefix('stdio-raw');
    prefixes.push(prefix);
    const { code, stdout, stderr } = await runRaw(
      stdioEnv(prefix),
      [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        { jsonrpc: '2.0', id: 3, method: 'ping' },
      ],
      3_000,
    );
    expect(code).toBe(0);
    const messages = stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; result?: any });
    expect(messages.every((m) => m.jsonrpc === '2.0')).toBe(true);
    expect(messages.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(messages[1].result.tools.length).toBeGreaterThanOrEqual(HUB_TOOLS.length + SEED_TOOLS.length);
    expect(stderr).toContain('stdin closed');
  });

  it('is what npm run mcp:stdio starts', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['mcp:stdio']).toBe('node dist/apps/gateway/src/mcp-stdio.js');
  });

  it('refuses a bad configuration with one line on stderr and exit code 1', async () => {
    const { code, stdout, stderr } = await runRaw(stdioEnv(uniquePrefix('stdio-bad'), { LOG_LEVEL: 'loud' }), [], 100);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toMatch(/^Invalid configuration: LOG_LEVEL .*\(got "loud"\)$/);
  });
});
