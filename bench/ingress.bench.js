/*
 * Ingress benchmark (npm run bench:ingress; writes bench/results/ingress.json). Runs against the
 * compiled hub (the npm script builds first) and the local Redis. The full suite is npm run bench
 * (performance.bench.js).
 *
 * Everything is reported as a ratio against baselines measured in the same run on the same machine,
 * because absolute numbers on a noisy 2-core box mean little:
 *   - http floor: a bare Node http server that reads the body and answers 202 (what HTTP + the load
 *     generator cost without any hub work);
 *   - store ceiling: the hub's own EventsRepository.append (the Lua script) called directly, as fast
 *     as Redis takes it (what storage costs without HTTP).
 * And it counts Redis commands per ingress request (the design allows one round trip). The hub runs
 * once per HTTP adapter (BENCH_ADAPTERS, default "express,fastify"), so the two compare in one run.
 *
 * BENCH_SECONDS (default 8) sets the length of each HTTP run; BENCH_CONNECTIONS (default 32) the load.
 */
'use strict';
const { createHmac, randomBytes } = require('node:crypto');
const { writeFileSync, mkdirSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');
const Redis = require('ioredis');
const { metaDelivery } = require('./perf-kit');
const { ROOT, SECONDS, CONNECTIONS, REDIS_URL, runLoad, summary, startHubProcess, stopProcess, redisCounters, deleteKeys } = require('./bench-kit');

const APP_SECRET = 'bench_app_secret';

const sign = (body) => `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;

function load(url, { unique }) {
  let n = 0;
  const runTag = randomBytes(4).toString('hex');
  const fixed = metaDelivery(`wamid.bench-fixed-${runTag}`);
  return runLoad(url, () => {
    const body = unique ? metaDelivery(`wamid.bench-${runTag}-${n++}`) : fixed;
    return { body, headers: { 'x-hub-signature-256': sign(body) } };
  });
}

async function httpFloor() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"accepted":[]}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const result = await load(`http://127.0.0.1:${server.address().port}/`, { unique: true });
  server.close();
  return summary(result);
}

async function storeCeiling(prefix) {
  const { loadHubConfig } = require(join(ROOT, 'dist/libs/config/src'));
  const { EventsRepository, RedisKeys } = require(join(ROOT, 'dist/libs/store/src'));
  const config = loadHubConfig({ REDIS_URL, HUB_PREFIX: prefix });
  const redis = new Redis(REDIS_URL);
  const repo = new EventsRepository(redis, new RedisKeys(prefix), config);
  const until = Date.now() + SECONDS * 1000;
  let done = 0;
  const worker = async (w) => {
    while (Date.now() < until) {
      const id = `evt_bench${w}x${done}`;
      await repo.append([{ event: { id, source: 'whatsapp', type: 'whatsapp.message.received', occurredAt: new Date().toISOString(),
        receivedAt: new Date().toISOString(), data: JSON.parse(metaDelivery(id)) }, dedupeKey: `wamid:${id}` }]);
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  const opsPerSec = Math.round(done / ((Date.now() - started) / 1000));
  redis.disconnect();
  return { appendsPerSec: opsPerSec, total: done };
}

function startHub(prefix, port, adapter) {
  return startHubProcess(port, { HTTP_ADAPTER: adapter, HUB_PREFIX: prefix, HUB_ROLE: 'gateway', WHATSAPP_APP_SECRET: APP_SECRET });
}

const ADAPTERS = (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',').map((a) => a.trim()).filter(Boolean);

/** One adapter's run: warm-up, new events (with Redis counters around it), then duplicates. */
async function benchHub(adapter, prefix, port, redis) {
  const hub = await startHub(prefix, port, adapter);
  try {
    const url = `http://127.0.0.1:${port}/webhooks/whatsapp`;
    await load(url, { unique: true }); // warm-up
    const before = await redisCounters(redis);
    const unique = summary(await load(url, { unique: true }));
    const after = await redisCounters(redis);
    console.log(`hub (${adapter}) ingest, new events `, unique);
    const duplicate = summary(await load(url, { unique: false }));
    console.log(`hub (${adapter}) ingest, duplicates `, duplicate);
    if (unique.non2xx > 0 || unique.errors > 0) throw new Error(`hub (${adapter}) answered ${unique.non2xx} non-2xx and ${unique.errors} errors`);
    return {
      newEvents: unique,
      duplicates: duplicate,
      // Our own two INFO calls of the first reading count too.
      redisCommandsPerRequest: +((after.commands - before.commands - 2) / unique.total).toFixed(3),
      redisRoundTripsPerRequest: +((after.scripts - before.scripts) / unique.total).toFixed(3),
    };
  } finally {
    await stopProcess(hub);
  }
}

async function main() {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const port = 3290;
  console.log(`ingress benchmark: ${SECONDS}s per run, ${CONNECTIONS} connections, adapters ${ADAPTERS.join(', ')}, node ${process.version}`);
  try {
    const floor = await httpFloor();
    console.log('http floor (bare node http)   ', floor);
    const store = await storeCeiling(`${prefix}-store`);
    console.log('store ceiling (Lua append)    ', store);

    const hubs = {};
    for (const adapter of ADAPTERS) hubs[adapter] = await benchHub(adapter, `${prefix}-${adapter}`, port, redis);

    const ratios = {};
    for (const [adapter, run] of Object.entries(hubs)) {
      ratios[adapter] = {
        hubVsHttpFloor: +(run.newEvents.requestsPerSec / floor.requestsPerSec).toFixed(3),
        hubVsStoreCeiling: +(run.newEvents.requestsPerSec / store.appendsPerSec).toFixed(3),
        duplicatesVsNew: +(run.duplicates.requestsPerSec / run.newEvents.requestsPerSec).toFixed(3),
        redisRoundTripsPerRequest: run.redisRoundTripsPerRequest,
        redisCommandsPerRequest: run.redisCommandsPerRequest,
      };
    }
    if (hubs.express && hubs.fastify) ratios.fastifyVsExpress = +(hubs.fastify.newEvents.requestsPerSec / hubs.express.newEvents.requestsPerSec).toFixed(3);
    const results = { at: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, httpFloor: floor, storeCeiling: store, hubs, ratios };
    console.log('ratios', JSON.stringify(ratios, null, 2));
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'ingress.json'), JSON.stringify(results, null, 2));
  } finally {
    for (const adapter of ADAPTERS) await deleteKeys(redis, `{${prefix}-${adapter}}:*`);
    await deleteKeys(redis, `{${prefix}-store}:*`);
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
