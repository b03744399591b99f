import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { ADMIN_TOKEN, REDIS_URL, deleteKeys, freePort } from '../utils/hub-test-app';
import { HubProcess } from '../utils/hub-process';
import { RELIABILITY_DIR, recordReliability } from '../utils/reliability-report';
import Redis from 'ioredis';

jest.setTimeout(600_000);

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 6000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
/** Where a fuzzed URL may point: loopback ports nothing listens on (no other address may be a target here). */
const TARGETS = ['http://127.0.0.1:9/fuzz', 'http://localhost:9/x', 'http://[::1]:9/y', 'https://127.0.0.1:9/z'];
const SECRETS = {
  WHATSAPP_APP_SECRET: 'fuzz-meta-app-secret', WHATSAPP_WEBHOOK_SECRET: 'fuzz-bridge-secret', WHATSAPP_VERIFY_TOKEN: 'fuzz-verify-token',
  DIGITAL_SAMBA_WEBHOOK_TOKEN: 'fuzz-samba-token-0123', DIGITAL_SAMBA_WEBHOOK_SECRET: 'fuzz-samba-secret', MAKE_COM_API_KEY: 'fuzz-make-api-key-0123',
  MAKE_COM_WEBHOOK_SECRET: 'fuzz-make-secret', TAVUS_WEBHOOK_TOKEN: 'fuzz-tavus-token-0123', TAVUS_WEBHOOK_SECRET: 'fuzz-tavus-secret',
  CCTELEGRAM_WEBHOOK_SECRET: 'fuzz-cctelegram-secret', TELEGRAM_SECRET_TOKEN: 'fuzz_telegram_token',
};

/** A small deterministic generator (mulberry32), so a failing run can be repeated with FUZZ_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Route {
  name: string;
  path: () => string;
  /** Headers that authenticate these exact bytes. */
  sign: (body: string) => Record<string, string>;
  seeds: Json[];
}

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

function fixtures(provider: string, match: RegExp = /./): Json[] {
  const dir = join(__dirname, '..', 'fixtures', provider);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.headers.json') && match.test(f))
    .map((f) => loopbackOnly(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json));
}

/** Every URL in a seed points at loopback, so no fuzzed request can make the hub call out. */
function loopbackOnly(value: Json): Json {
  if (typeof value === 'string') return /^https?:\/\//i.test(value) ? TARGETS[0] : value;
  if (Array.isArray(value)) return value.map(loopbackOnly);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, loopbackOnly(v)]));
  return value;
}

/**
 * The fuzz run (npm run test:chaos): thousands of generated requests against one hub process
 * (gateway and worker), most of them authentic (signed for their mutated bytes) so they reach the
 * parsers and adapters, not only the signature check. Only 4xx (or a normal 2xx) may come back, the
 * process stays up with bounded memory, and nothing is stored from a refused request.
 */
describe('fuzz: generated requests over every inbound route, the ops API and MCP', () => {
  const prefix = `fuzz-${randomBytes(3).toString('hex')}`;
  let hub: HubProcess;
  let base: string;
  const agent = new Agent({ connections: 8 });
  const rnd = random(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];

  afterAll(async () => {
    await hub?.stop('SIGTERM');
    await agent.close();
    const redis = new Redis(REDIS_URL);
    await deleteKeys(redis, `{${prefix}}:*`).catch(() => undefined);
    redis.disconnect();
  });

  const odd = (): Json => pick<() => Json>([
    () => null, () => '', () => 'x'.repeat(100_000), () => 1e308, () => -0, () => 9007199254740993, () => -1, () => 0.5, () => true,
    () => [], () => ({}), () => '\u0000\u202e\ud83d\ude00', () => '<script>alert(1)</script>', () => "'; DROP TABLE x; --", () => '../../etc/passwd',
    () => '2025-02-30T25:61:61Z', () => '9999999999999999', () => '*'.repeat(40) + 'Z', () => '{{token}}', () => pick(TARGETS), () => 'evt_' + 'Z'.repeat(26),
    () => Array.from({ length: 2000 }, (_, i) => i), () => nest(60), () => ({ __proto__: { polluted: true } }) as unknown as Json, () => ({ constructor: { prototype: { x: 1 } } }),
  ])();
  const nest = (depth: number): Json => (depth === 0 ? 'leaf' : { a: nest(depth - 1) });

  /** Changes one to three places of a seed: replace a value, drop a key, add one, or change a type. */
  const mutate = (seed: Json): Json => {
    const copy = JSON.parse(JSON.stringify(seed)) as Json;
    const times = 1 + Math.floor(rnd() * 3);
    let root = copy;
    for (let i = 0; i < times; i++) root = mutateAt(root, 0);
    return root;
  };
  const mutateAt = (value: Json, depth: number): Json => {
    const container = value !== null && typeof value === 'object';
    if (!container || depth > 6 || rnd() < 0.25) return odd();
    if (Array.isArray(value)) {
      if (value.length === 0 || rnd() < 0.2) return [...value, odd()];
      const i = Math.floor(rnd() * value.length);
      value[i] = mutateAt(value[i], depth + 1);
      return value;
    }
    const keys = Object.keys(value);
    const choice = rnd();
    if (keys.length === 0 || choice < 0.15) {
      value[pick(['id', 'event', 'type', 'data', 'timestamp', 'extra', '__proto__', 'constructor'])] = odd();
    } else if (choice < 0.3) {
      delete value[pick(keys)];
    } else {
      const key = pick(keys);
      value[key] = mutateAt(value[key], depth + 1);
    }
    return value;
  };

  /** Byte-level damage: truncation, a flipped byte, junk appended, or an encoding change. */
  const damage = (text: string): string => pick<() => string>([
    () => text.slice(0, Math.floor(rnd() * text.length)),
    () => { const i = Math.floor(rnd() * text.length); return text.slice(0, i) + String.fromCharCode(Math.floor(rnd() * 256)) + text.slice(i + 1); },
    () => text + pick(['}', ']', ',', '\u0000', ' trailing']),
    () => Buffer.from(text, 'utf16le').toString('latin1'),
  ])();

  it('answers only 4xx or 2xx, stays up with bounded memory, and stores nothing it refused', async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    hub = await new HubProcess({
      ...SECRETS, HUB_ROLE: 'all', HUB_PREFIX: prefix, REDIS_URL, HUB_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1', PORT: String(port),
      LOG_LEVEL: 'error', RATE_LIMIT_PER_SOURCE: '1000000', ALLOW_PRIVATE_TARGETS: 'false', MAX_BODY_BYTES: '262144',
      DIGITAL_SAMBA_API_URL: 'http://127.0.0.1:9/api/v1', TELEGRAM_API_URL: 'http://127.0.0.1:9', DELIVERY_TIMEOUT_MS: '1000',
    }, join(RELIABILITY_DIR, 'fuzz-hub.log')).start();

    const now = () => String(Math.floor(Date.now() / 1000));
    const routes: Route[] = [
      { name: 'whatsapp (bridge)', path: () => '/webhooks/whatsapp', sign: (b) => ({ 'x-webhook-signature': `sha256=${hmac(SECRETS.WHATSAPP_WEBHOOK_SECRET, b)}` }), seeds: fixtures('whatsapp', /^bridge/) },
      { name: 'whatsapp (Meta)', path: () => '/webhooks/whatsapp', sign: (b) => ({ 'x-hub-signature-256': `sha256=${hmac(SECRETS.WHATSAPP_APP_SECRET, b)}` }), seeds: fixtures('whatsapp', /^meta/) },
      { name: 'digitalsamba', path: () => '/webhooks/digitalsamba', sign: () => ({ authorization: `Bearer ${SECRETS.DIGITAL_SAMBA_WEBHOOK_TOKEN}` }), seeds: fixtures('digitalsamba') },
      { name: 'makecom', path: () => `/api/webhook/make.com/${pick(['chatgpt-clients', 'lead-sync', 'x'])}`, sign: () => ({ 'x-make-apikey': SECRETS.MAKE_COM_API_KEY }), seeds: fixtures('makecom') },
      { name: 'tavus', path: () => pick(['/api/tavus/webhook?t=' + SECRETS.TAVUS_WEBHOOK_TOKEN, '/api/tavus/webhook']), sign: (b) => ({ 'x-tavus-signature': `sha256=${hmac(SECRETS.TAVUS_WEBHOOK_SECRET, b)}` }), seeds: fixtures('tavus') },
      { name: 'cctelegram', path: () => pick(['/webhook/events', '/webhook/responses', '/webhook/health']), sign: (b) => ({ 'x-cctelegram-signature': `sha256=${hmac(SECRETS.CCTELEGRAM_WEBHOOK_SECRET, b)}`, 'x-cctelegram-timestamp': now() }), seeds: fixtures('cctelegram') },
      { name: 'telegram', path: () => pick(['/webhooks/telegram', '/webhooks/telegram?bot=7000000001']), sign: () => ({ 'x-telegram-bot-api-secret-token': SECRETS.TELEGRAM_SECRET_TOKEN }), seeds: fixtures('telegram') },
    ];
    const opsSeeds: [string, string, Json][] = [
      ['POST', '/api/v1/subscriptions', { url: TARGETS[0], events: ['whatsapp.*'], filter: [{ path: 'data.id', op: 'equals', value: 'x' }], retrySchedule: [1, 2], headers: { 'X-Token': 'abc' } }],
      ['PATCH', '/api/v1/subscriptions/sub_01M89PDKDBVWKY38BT0TR863KS', { events: ['*'], enabled: false }],
      ['POST', '/api/v1/subscriptions/sub_01M89PDKDBVWKY38BT0TR863KS/rotate-secret', { graceSeconds: 60 }],
      ['POST', '/api/v1/subscriptions/sub_01M89PDKDBVWKY38BT0TR863KS/replay', { since: '2025-01-01T00:00:00Z', until: Date.now() }],
      ['POST', '/api/v1/events/evt_01M89PDKDMF1VE3FQ6SRP70R8W/replay', { subscriptionId: 'sub_01M89PDKDBVWKY38BT0TR863KS' }],
      ['POST', '/api/v1/dead-letters/redrive', { ids: ['dlv_01M89PDKDMF1VE3FQ6SRP70R8W_01M89PDKDBVWKY38BT0TR863KS'], dryRun: true }],
      ['POST', '/api/v1/dead-events/redrive', { ids: ['1-0'], dryRun: true }],
      ['POST', '/api/v1/actions/process_webhook_data', { webhook_data: { client_id: 'c', task: { id: 't', name: 'n' } } }],
      ['POST', '/api/v1/actions/extract_client_knowledge_graph', { webhook_data: { client_id: 'c', task: { id: 't' } } }],
      ['POST', '/api/v1/actions/send_webhook_response', { response_url: TARGETS[0], response_data: { ok: true }, client_id: 'c' }],
      ['POST', '/api/v1/actions/validate_webhook_signature', { webhook_data: '{}', signature: 'sha256=' + '0'.repeat(64) }],
      ['POST', '/api/v1/approvals/apr_01M89PDKDBVWKY38BT0TR863KS/approve', { reason: 'ok' }],
      ['POST', '/api/v1/tavus/videos', { name: 'v', url: TARGETS[0], tags: ['a'] }],
    ];
    const getPaths = [
      '/api/v1/events', '/api/v1/deliveries', '/api/v1/subscriptions', '/api/v1/dead-letters', '/api/v1/dead-events', '/api/v1/approvals',
      '/api/v1/event-types', '/api/v1/stats', '/api/status', '/api/v1/tavus/videos', '/api/tavus/webhook', '/webhooks/whatsapp',
    ];
    const queryValues = ['-1', '0', '1e9', 'abc', '%00', '9999999999999999', '1969-12-31T23:59:59Z', '0-0', '*'.repeat(30) + 'Z', 'whatsapp.*', '', '[]', "' OR 1=1"];

    const counts = { requests: 0, signed: 0, byStatus: new Map<number, number>() };
    const fiveHundreds: string[] = [];
    const note = (label: string, status: number, text: string) => {
      counts.requests++;
      counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
      if (status >= 500 || status < 200) fiveHundreds.push(`${label} -> ${status} ${text.slice(0, 300)}`);
    };
    const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
      const res = await request(`${base}${path}`, { method: method as 'POST', headers, body, dispatcher: agent, headersTimeout: 30_000, bodyTimeout: 30_000 });
      const text = await res.body.text();
      return { status: res.statusCode, text };
    };
    const rss = async () => Number(/^hub_process_process_resident_memory_bytes (\S+)$/m.exec((await send('GET', '/metrics', {})).text)?.[1] ?? 0);

    // MCP: one session; tools/call with arguments mutated from what tools/list says.
    const mcpHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await send('POST', '/mcp', mcpHeaders, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }));
    expect(init.status).toBe(200);
    const session = (await request(`${base}/mcp`, { method: 'POST', headers: mcpHeaders, dispatcher: agent, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }) }).then(async (r) => { await r.body.text(); return String(r.headers['mcp-session-id']); }));
    const withSession = { ...mcpHeaders, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await send('POST', '/mcp', withSession, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    const listed = await send('POST', '/mcp', withSession, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
    const toolsJson = /^data: (.*)$/m.exec(listed.text)?.[1] ?? listed.text;
    const tools = (JSON.parse(toolsJson).result.tools as { name: string; inputSchema: { properties?: Record<string, { type?: string }> } }[])
      // Tools that only call outside platforms would go nowhere here; everything else is fair game.
      .filter((t) => !/^(digitalsamba|samba)_/.test(t.name));
    expect(tools.length).toBeGreaterThan(10);
    const sampleArgs = (tool: (typeof tools)[number]): Json => {
      const args: Record<string, Json> = {};
      for (const [name, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        if (rnd() < 0.3) continue;
        args[name] = rnd() < 0.5 ? odd() : schema.type === 'string' ? (/url/i.test(name) ? pick(TARGETS) : 'x') : schema.type === 'number' || schema.type === 'integer' ? 1 : schema.type === 'boolean' ? true : schema.type === 'array' ? [] : {};
      }
      return args;
    };

    const memory: number[] = [await rss()];
    // What ingress stored, as the append script counts it (events the hub raises itself are not
    // counted): read around every ingress request, so a refusal that stored anything is caught.
    const store = new Redis(REDIS_URL);
    const sources = ['whatsapp', 'digitalsamba', 'makecom', 'tavus', 'cctelegram', 'telegram'];
    const storedByIngress = async () => {
      const hour = Math.floor(Date.now() / 3_600_000);
      const pipeline = store.pipeline();
      for (const source of sources) for (const h of [hour - 1, hour]) pipeline.hget(`{${prefix}}:stats:${source}:${h}`, 'accepted');
      return ((await pipeline.exec()) ?? []).reduce((sum, [, v]) => sum + Number(v ?? 0), 0);
    };
    const storedFromRefused: string[] = [];
    let storedTotal = 0;
    let mcpId = 10;
    for (let i = 0; i < REQUESTS; i++) {
      const kind = rnd();
      if (kind < 0.6) {
        // Ingress, mostly authentic: the signature covers the mutated bytes.
        const route = pick(routes);
        const seed = pick(route.seeds);
        let body = JSON.stringify(rnd() < 0.85 ? mutate(seed) : seed);
        if (rnd() < 0.1) body = damage(body);
        const authentic = rnd() < 0.85;
        const headers = { 'content-type': pick(['application/json', 'application/json', 'text/plain', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded']), ...(authentic ? route.sign(body) : {}) };
        if (authentic) counts.signed++;
        const path = route.path();
        const before = await storedByIngress();
        const res = await send('POST', path, headers, body);
        const stored = (await storedByIngress()) - before;
        storedTotal += stored;
        note(`${route.name} POST ${path} ${body.slice(0, 120)}`, res.status, res.text);
        if (res.status >= 400 && stored !== 0) storedFromRefused.push(`${route.name} ${res.status} stored ${stored}: ${body.slice(0, 200)}`);
      } else if (kind < 0.8) {
        const [method, path, seed] = pick(opsSeeds);
        let body = JSON.stringify(mutate(seed));
        if (rnd() < 0.1) body = damage(body);
        const res = await send(method, path, { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body);
        note(`${method} ${path} ${body.slice(0, 120)}`, res.status, res.text);
      } else if (kind < 0.9) {
        const path = `${pick(getPaths)}?${pick(['limit', 'cursor', 'since', 'until', 'type', 'source', 'status', 'subscriptionId', 'eventId', 't', 'hub.mode'])}=${encodeURIComponent(pick(queryValues))}`;
        const res = await send('GET', path, { authorization: `Bearer ${ADMIN_TOKEN}` });
        note(`GET ${path}`, res.status, res.text);
      } else {
        const tool = pick(tools);
        const message = rnd() < 0.85
          ? { jsonrpc: '2.0', id: ++mcpId, method: 'tools/call', params: { name: tool.name, arguments: sampleArgs(tool) } }
          : mutate({ jsonrpc: '2.0', id: ++mcpId, method: pick(['tools/call', 'resources/read', 'prompts/get', 'nope']), params: { name: tool.name, uri: 'hub://webhooks' } });
        const res = await send('POST', '/mcp', withSession, JSON.stringify(message));
        note(`MCP ${JSON.stringify(message).slice(0, 160)}`, res.status, res.text);
      }
      if ((i + 1) % 1000 === 0) memory.push(await rss());
    }
    expect(hub.running).toBe(true);
    expect((await send('GET', '/health', {})).status).toBe(200);

    store.disconnect();
    // RSS swings with garbage collection: compare the peaks of the two halves of the run.
    const half = Math.ceil(memory.length / 2);
    const growthAfterWarmup = Math.max(...memory.slice(half)) - Math.max(...memory.slice(1, half));
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
    const statusLine = [...counts.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    process.stdout.write(`fuzz: ${counts.requests} requests (${counts.signed} signed ingress), statuses ${statusLine}; RSS ${memory.map(mb).join(' → ')}\n`);
    recordReliability('fuzz', {
      title: 'Fuzzing: generated requests',
      order: 20,
      summary: { badInputs: counts.requests, serverErrors: fiveHundreds.length },
      method:
        `${counts.requests} requests (seed ${SEED}) against one hub process (gateway and worker): ingress bodies mutated from every provider's recorded ` +
        'deliveries and signed for their mutated bytes (85 %), byte-damaged bodies, odd content types, the ops API with mutated bodies and odd query values, ' +
        'and MCP tool calls with mutated arguments. RSS read from /metrics every 1,000 requests.',
      figures: [
        ['requests', counts.requests],
        ['ingress requests signed for their mutated bytes', counts.signed],
        ['answers by status', statusLine],
        ['5xx answers (or no answer)', fiveHundreds.length],
        ['events stored by ingress (from 2xx answers)', storedTotal],
        ['refused requests that stored anything', storedFromRefused.length],
        ['process still up and healthy', hub.running ? 'yes' : 'no'],
        ['RSS at start → every 1,000 requests', memory.map(mb).join(' → ')],
        ['RSS peak of the second half minus that of the first', mb(growthAfterWarmup)],
      ],
    });
    expect(fiveHundreds.slice(0, 10)).toEqual([]);
    expect(storedFromRefused.slice(0, 10)).toEqual([]);
    expect(storedTotal).toBeGreaterThan(0);
    // Bounded: after warm-up the process does not keep growing with the requests.
    expect(Math.max(...memory)).toBeLessThan(400 * 1024 * 1024);
    expect(growthAfterWarmup).toBeLessThan(120 * 1024 * 1024);
  });
});
