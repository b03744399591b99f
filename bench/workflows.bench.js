/*
 * Workflows benchmark: what the Make.com inline reply (the seed's knowledge graph, computed and
 * stored before the scenario gets its answer) and the approval workflow cost, as ratios against
 * plain ingest (a signed WhatsApp delivery stored and acknowledged) measured by the same gateway
 * in the same run:
 *   - makecom seed route, new events: ingest + knowledge graph + stored reply;
 *   - makecom redeliveries (same Idempotency-Key): the stored reply answered again;
 *   - send_webhook_response over REST: an approval requested (Lua step + its event stored);
 *   - approve over REST: the first decision (Lua step + its event stored).
 * Also Redis commands per request. BENCH_SECONDS / BENCH_CONNECTIONS as in ingress.bench.js.
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

    const ratios = {
      makecomNewVsIngest: +(seedNew.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      makecomRedeliveryVsIngest: +(seedAgain.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      approvalRequestVsIngest: +(ask.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      approvalDecisionVsIngest: +(decided.requestsPerSec / ingest.requestsPerSec).toFixed(3),
      makecomP99VsIngestP99: +(seedNew.latencyP99Ms / Math.max(ingest.latencyP99Ms, 1)).toFixed(2),
    };
    console.log('ratios', JSON.stringify(ratios, null, 2));
    const results = { at: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, ingest, seedNew, seedAgain, approvalRequests: ask, approvalDecisions: decided, ratios };
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
