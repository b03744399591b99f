/*
 * Workflows benchmark: what the Make.com inline reply (the seed's knowledge graph, computed and
 * stored before the scenario gets its answer) and the approval workflow cost, as ratios against
 * plain ingest (a signed WhatsApp delivery stored and acknowledged) measured by the same gateway
 * in the same run:
 *   - makecom seed route, new events: ingest + knowledge graph + stored reply;
 *   - makecom redeliveries (same Idempotency-Key): the stored reply answered again;
 *   - send_webhook_response over REST: an approval requested (Lua step + its event stored);
 *   - approve over REST: the first decision (Lua step + its event stored).
 * Also Redis commands per request. Then, on a hub running gateway and worker (HUB_ROLE=all), Tavus
 * tool calls: the rate of fetch_video answers (tavus.tool_result events) against the rate the calls
 * were ingested, and the call-to-result latency from the stored events' receive times.
 * BENCH_SECONDS / BENCH_CONNECTIONS as in ingress.bench.js.
 */
'use strict';
const { createHmac, randomBytes } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const Redis = require('ioredis');
const { ROOT, SECONDS, CONNECTIONS, REDIS_URL, runLoad, summary, startHubProcess, stopProcess, redisCounters, deleteKeys } = require('./bench-kit');

const APP_SECRET = 'bench_app_secret';
const API_KEY = 'bench-make-api-key-0123456789';
const ADMIN = 'bench-admin-token-0123456789';
const SEED = readFileSync(join(ROOT, 'test/fixtures/makecom/seed-chatgpt-clients.json'), 'utf8');

function metaDelivery(wamid) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
      messages: [{ from: '16505551234', id: wamid, timestamp: '1749416383', type: 'text', text: { body: 'Does it come in another color?' } }],
    } }] }],
  });
}

/** One load run with Redis counters around it: the summary plus commands per request. */
async function measured(redis, name, url, next) {
  const before = await redisCounters(redis);
  const result = summary(await runLoad(url, next));
  const after = await redisCounters(redis);
  result.redisCommandsPerRequest = +((after.commands - before.commands - 2) / Math.max(result.total, 1)).toFixed(2);
  console.log(name.padEnd(34), result);
  if (result.errors > 0) throw new Error(`${name}: ${result.errors} errors`);
  return result;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : null;
}

/** Tool calls through a whole hub: ingest, the worker's fetch_video answer, the result stored. */
async function toolCalls(redis, prefix, port, tag) {
  const secret = 'bench_tavus_secret';
  const hub = await startHubProcess(port, { HUB_PREFIX: prefix, HUB_ROLE: 'all', TAVUS_WEBHOOK_SECRET: secret, HUB_ADMIN_TOKEN: ADMIN });
  const base = `http://127.0.0.1:${port}`;
  try {
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    for (let i = 0; i < 200; i++) {
      await fetch(`${base}/api/v1/tavus/videos`, { method: 'POST', headers: admin, body: JSON.stringify({ title: `Catalogue video number ${i}`, url: `https://videos.example.com/${i}.mp4`, duration_seconds: 60 }) });
    }
    await fetch(`${base}/api/v1/tavus/videos`, { method: 'POST', headers: admin, body: JSON.stringify({ title: 'Product Demo Overview', url: 'https://videos.example.com/demo.mp4', duration_seconds: 120 }) });
    let n = 0;
    const call = () => {
      const id = `call_${tag}_${n++}`;
      const body = JSON.stringify({ event_type: 'conversation.tool_called', conversation_id: `conv_${tag}_${n % 50}`, tool_call: { id, type: 'function', function: { name: 'fetch_video', arguments: '{"video_title": "product demo"}' } }, timestamp: new Date().toISOString() });
      return { body, headers: { 'x-tavus-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` } };
    };
    const started = Date.now();
    const ingest = summary(await runLoad(`${base}/api/tavus/webhook`, call));
    const accepted = ingest.total - ingest.non2xx;
    // Wait for every answer (bounded), reading the stream directly.
    const stream = `{${prefix}}:events`;
    let results = [];
    for (let i = 0; i < 600; i++) {
      const entries = await redis.xrange(stream, '-', '+');
      const events = entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1]));
      results = events.filter((e) => e.type === 'tavus.tool_result');
      if (results.length >= accepted) {
        const calls = new Map(events.filter((e) => e.type === 'tavus.conversation.tool_called').map((e) => [e.data.tool_call.id, Date.parse(e.receivedAt)]));
        const latencies = results.map((r) => Date.parse(r.receivedAt) - calls.get(r.data.tool_call_id)).filter(Number.isFinite).sort((a, b) => a - b);
        const lastResult = Math.max(...results.map((r) => Date.parse(r.receivedAt)));
        const answered = {
          results: results.length,
          succeeded: results.filter((r) => r.data.success).length,
          resultsPerSec: Math.round(results.length / ((lastResult - started) / 1000)),
          latencyP50Ms: percentile(latencies, 0.5),
          latencyP99Ms: percentile(latencies, 0.99),
        };
        console.log('tavus tool calls ingested'.padEnd(34), ingest);
        console.log('tavus tool calls answered'.padEnd(34), answered);
        return { ingest, answered };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`only ${results.length} of ${accepted} tool calls were answered`);
  } finally {
    await stopProcess(hub);
    await deleteKeys(redis, `{${prefix}}:*`);
  }
}

async function main() {
  const prefix = `bench-wf-${randomBytes(4).toString('hex')}`;
  const port = 3291;
  const redis = new Redis(REDIS_URL);
  const tag = randomBytes(4).toString('hex');
  console.log(`workflows benchmark: ${SECONDS}s per run, ${CONNECTIONS} connections, node ${process.version}`);
  const hub = await startHubProcess(port, { HUB_PREFIX: prefix, HUB_ROLE: 'gateway', WHATSAPP_APP_SECRET: APP_SECRET, MAKE_COM_API_KEY: API_KEY, HUB_ADMIN_TOKEN: ADMIN });
  const base = `http://127.0.0.1:${port}`;
  try {
    let n = 0;
    const meta = () => {
      const body = metaDelivery(`wamid.bench-${tag}-${n++}`);
      return { body, headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}` } };
    };
    const make = (key) => () => ({ body: SEED, headers: { 'x-make-apikey': API_KEY, 'idempotency-key': key() } });
    // Warm-up of both paths (JIT, connection pools).
    await runLoad(`${base}/webhooks/whatsapp`, meta, { seconds: 2 });
    await runLoad(`${base}/api/webhook/make.com/chatgpt-clients`, make(() => `warm-${tag}-${n++}`), { seconds: 2 });

    const ingest = await measured(redis, 'ingest (WhatsApp, new events)', `${base}/webhooks/whatsapp`, meta);
    const seedNew = await measured(redis, 'make.com seed route, new events', `${base}/api/webhook/make.com/chatgpt-clients`, make(() => `run-${tag}-${n++}`));
    const seedAgain = await measured(redis, 'make.com seed route, redeliveries', `${base}/api/webhook/make.com/chatgpt-clients`, make(() => `run-${tag}-fixed`));
    const admin = { authorization: `Bearer ${ADMIN}` };
    const asked = [];
    const ask = await measured(redis, 'send_webhook_response (approval)', `${base}/api/v1/actions/send_webhook_response`, () => ({
      body: JSON.stringify({ response_url: 'https://example.com/make-response', response_data: { n: n++ }, response_type: 'success', client_id: 'client-123' }),
      headers: admin,
    }));
    // Decisions need ids: list the pending approvals just made, then approve each once.
    for (let cursor; asked.length < 20_000; ) {
      const page = await fetch(`${base}/api/v1/approvals?status=pending&limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: admin }).then((r) => r.json());
      asked.push(...page.data.map((a) => a.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    let next = 0;
    const started = Date.now();
    const before = await redisCounters(redis);
    const decideRaw = await runLoad(`${base}/api/v1/approvals`, () => ({ path: `/api/v1/approvals/${asked[next++ % asked.length]}/approve`, body: '{}', headers: admin }), { amount: asked.length });
    const after = await redisCounters(redis);
    const decided = { ...summary(decideRaw), requestsPerSec: Math.round(decideRaw.requests.total / ((Date.now() - started) / 1000)) };
    decided.redisCommandsPerRequest = +((after.commands - before.commands - 2) / Math.max(decided.total, 1)).toFixed(2);
    console.log('approve (first decision)'.padEnd(34), decided);
    if (decided.non2xx > 0) throw new Error(`approve: ${decided.non2xx} decisions refused (each approval is decided once)`);

    const tools = await toolCalls(redis, `${prefix}-tavus`, port + 1, tag);

    const ratios = {
      toolResultsVsToolCallIngest: +(tools.answered.resultsPerSec / tools.ingest.requestsPerSec).toFixed(3),
      makecomNewVsIngest: +(seedNew.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      makecomRedeliveryVsIngest: +(seedAgain.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      approvalRequestVsIngest: +(ask.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      approvalDecisionVsIngest: +(decided.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      makecomP99VsIngestP99: +(seedNew.latencyP99Ms / Math.max(ingest.latencyP99Ms, 1)).toFixed(2),
    };
    console.log('ratios', JSON.stringify(ratios, null, 2));
    const results = { at: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, ingest, seedNew, seedAgain, approvalRequests: ask, approvalDecisions: decided, tavusToolCalls: tools, ratios };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'workflows-latest.json'), JSON.stringify(results, null, 2));
  } finally {
    await stopProcess(hub);
    await deleteKeys(redis, `{${prefix}}:*`);
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
