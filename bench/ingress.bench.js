/*
 * Ingress benchmark. Runs against the compiled hub (npm run bench builds first) and the local Redis.
 *
 * Everything is reported as a ratio against baselines measured in the same run on the same machine,
 * because absolute numbers on a noisy 2-core box mean little:
 *   - http floor: a bare Node http server that reads the body and answers 202 (what HTTP + the load
 *     generator cost without any hub work);
 *   - store ceiling: the hub's own EventsRepository.append (the Lua script) called directly, as fast
 *     as Redis takes it (what storage costs without HTTP).
 * And it counts Redis commands per ingress request (the design allows one round trip).
 *
 * BENCH_SECONDS (default 8) sets the length of each HTTP run; BENCH_CONNECTIONS (default 32) the load.
 */
'use strict';
const { spawn } = require('node:child_process');
const { createHmac, randomBytes } = require('node:crypto');
const { writeFileSync, mkdirSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');
const autocannon = require('autocannon');
const Redis = require('ioredis');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP_SECRET = 'bench_app_secret';
const ROOT = join(__dirname, '..');

function metaDelivery(wamid) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
      messages: [{ from: '16505551234', id: wamid, timestamp: '1749416383', type: 'text', text: { body: 'Does it come in another color? \u00e9' } }],
    } }] }],
  });
}
const sign = (body) => `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;

function load(url, { unique }) {
  let n = 0;
  const runTag = randomBytes(4).toString('hex');
  const fixed = metaDelivery(`wamid.bench-fixed-${runTag}`);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections: CONNECTIONS,
        duration: SECONDS,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (req) => {
              const body = unique ? metaDelivery(`wamid.bench-${runTag}-${n++}`) : fixed;
              return { ...req, body, headers: { ...req.headers, 'x-hub-signature-256': sign(body) } };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

function summary(result) {
  return {
    requestsPerSec: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
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

async function startHub(prefix, port) {
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps/gateway/src/main.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', HUB_PREFIX: prefix, HUB_ROLE: 'gateway', LOG_LEVEL: 'warn',
      HUB_ADMIN_TOKEN: 'bench-admin-token-0123456789', WHATSAPP_APP_SECRET: APP_SECRET, RATE_LIMIT_PER_SOURCE: '1000000000', REDIS_URL },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('hub did not start');
}

/** Commands Redis executed (script internals included) and script calls (one per round trip here). */
async function redisCounters(redis) {
  const stats = await redis.info('stats');
  const commandstats = await redis.info('commandstats');
  const calls = (name) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(commandstats)?.[1] ?? 0);
  return {
    commands: Number(/total_commands_processed:(\d+)/.exec(stats)[1]),
    scripts: calls('evalsha') + calls('eval'),
  };
}

async function deleteKeys(redis, pattern) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function main() {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const port = 3290;
  console.log(`ingress benchmark: ${SECONDS}s per run, ${CONNECTIONS} connections, node ${process.version}`);

  const floor = await httpFloor();
  console.log('http floor (bare node http)   ', floor);
  const store = await storeCeiling(`${prefix}-store`);
  console.log('store ceiling (Lua append)    ', store);

  const hub = await startHub(prefix, port);
  try {
    await load(`http://127.0.0.1:${port}/webhooks/whatsapp`, { unique: true }).then(() => undefined); // warm-up
    const before = await redisCounters(redis);
    const unique = summary(await load(`http://127.0.0.1:${port}/webhooks/whatsapp`, { unique: true }));
    const after = await redisCounters(redis);
    console.log('hub ingest, new events        ', unique);
    const duplicate = summary(await load(`http://127.0.0.1:${port}/webhooks/whatsapp`, { unique: false }));
    console.log('hub ingest, duplicates        ', duplicate);

    // Our own two INFO calls of the first reading count too.
    const commandsPerRequest = (after.commands - before.commands - 2) / unique.total;
    const scriptCallsPerRequest = (after.scripts - before.scripts) / unique.total;
    const results = {
      at: new Date().toISOString(),
      seconds: SECONDS,
      connections: CONNECTIONS,
      httpFloor: floor,
      storeCeiling: store,
      hubNewEvents: unique,
      hubDuplicates: duplicate,
      ratios: {
        hubVsHttpFloor: +(unique.requestsPerSec / floor.requestsPerSec).toFixed(3),
        hubVsStoreCeiling: +(unique.requestsPerSec / store.appendsPerSec).toFixed(3),
        duplicatesVsNew: +(duplicate.requestsPerSec / unique.requestsPerSec).toFixed(3),
        redisRoundTripsPerRequest: +scriptCallsPerRequest.toFixed(3),
        redisCommandsPerRequest: +commandsPerRequest.toFixed(3),
      },
    };
    console.log('ratios', results.ratios);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'latest.json'), JSON.stringify(results, null, 2));
    if (unique.non2xx > 0 || unique.errors > 0) throw new Error(`hub answered ${unique.non2xx} non-2xx and ${unique.errors} errors`);
  } finally {
    hub.kill('SIGTERM');
    await deleteKeys(redis, `{${prefix}}:*`);
    await deleteKeys(redis, `{${prefix}-store}:*`);
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
