/*
 * Delivery benchmark: ingest → stream → fan-out → BullMQ → signed POST → sink, end to end, against the
 * compiled hub (npm run bench:delivery builds first) and the local Redis. Reported as ratios against
 * baselines measured in the same run on the same machine:
 *   - queue ceiling: BullMQ itself moving no-op jobs (same Redis, same concurrency);
 *   - HTTP ceiling: undici POSTing the same bodies to the same sink (no queue, no signing).
 * BENCH_EVENTS (default 3000) events, DELIVERY_CONCURRENCY (default 32).
 */
'use strict';
const { spawn } = require('node:child_process');
const { createHmac, randomBytes } = require('node:crypto');
const http = require('node:http');
const { join } = require('node:path');
const { mkdirSync, writeFileSync } = require('node:fs');
const { Queue, Worker } = require('bullmq');
const { Agent, request } = require('undici');
const Redis = require('ioredis');
const { deleteKeys } = require('./bench-kit');

const EVENTS = Number(process.env.BENCH_EVENTS ?? 3000);
const CONCURRENCY = Number(process.env.DELIVERY_CONCURRENCY ?? 32);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = join(__dirname, '..');
const SECRET = 'bench-bridge-secret';
const TOKEN = 'bench-admin-token-0123456789';

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

async function startSink(onRequest) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      onRequest(Buffer.concat(chunks));
      res.writeHead(204);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function queueCeiling(prefix) {
  const connection = { url: REDIS_URL };
  const queue = new Queue('noop', { connection, prefix: `{${prefix}}:bull` });
  let done = 0;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const worker = new Worker('noop', async () => {
    if (++done === EVENTS) finish();
  }, { connection, prefix: `{${prefix}}:bull`, concurrency: CONCURRENCY });
  const started = Date.now();
  for (let i = 0; i < EVENTS; i += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) => ({ name: 'n', data: { i: i + j } })));
  }
  await finished;
  const perSec = Math.round(EVENTS / ((Date.now() - started) / 1000));
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { jobsPerSec: perSec };
}

async function httpCeiling(body) {
  let received = 0;
  const sink = await startSink(() => received++);
  const agent = new Agent({ connections: 64 });
  const url = `http://127.0.0.1:${sink.address().port}/hook`;
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < EVENTS) {
      next++;
      const res = await request(url, { method: 'POST', body, dispatcher: agent, headers: { 'content-type': 'application/json' } });
      await res.body.dump();
    }
  }));
  const perSec = Math.round(EVENTS / ((Date.now() - started) / 1000));
  await agent.close();
  sink.close();
  return { postsPerSec: perSec, received };
}

async function hubEndToEnd(prefix) {
  const ingestedAt = new Map();
  const latencies = [];
  let received = 0;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const sink = await startSink((raw) => {
    const { data } = JSON.parse(raw.toString());
    const at = ingestedAt.get(data.n);
    if (at !== undefined) latencies.push(Date.now() - at);
    if (++received === EVENTS) finish();
  });
  const port = 3291;
  // BENCH_HUB_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the hub under this load.
  const nodeArgs = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const hub = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps/gateway/src/main.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', HUB_PREFIX: prefix, LOG_LEVEL: 'warn', HUB_ADMIN_TOKEN: TOKEN,
      WHATSAPP_WEBHOOK_SECRET: SECRET, ALLOW_PRIVATE_TARGETS: 'true', RATE_LIMIT_PER_SOURCE: '1000000000', DELIVERY_CONCURRENCY: String(CONCURRENCY), REDIS_URL },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sub = await fetch(`http://127.0.0.1:${port}/api/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${sink.address().port}/hook`, events: ['whatsapp.*'] }),
    });
    if (sub.status !== 201) throw new Error(`subscription: ${sub.status}`);
    const agent = new Agent({ connections: 16 });
    const started = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < EVENTS) {
        const n = next++;
        const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { n, id: `b-${n}` } });
        ingestedAt.set(n, Date.now());
        const res = await request(`http://127.0.0.1:${port}/webhooks/whatsapp`, {
          method: 'POST', body, dispatcher: agent,
          headers: { 'content-type': 'application/json', 'x-webhook-signature': createHmac('sha256', SECRET).update(body).digest('hex') },
        });
        await res.body.dump();
        if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}`);
      }
    }));
    const ingestDone = Date.now();
    await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${received}/${EVENTS} delivered`)), 120_000))]);
    const total = (Date.now() - started) / 1000;
    await agent.close();
    latencies.sort((a, b) => a - b);
    return {
      deliveriesPerSec: Math.round(EVENTS / total),
      ingestPerSec: Math.round(EVENTS / ((ingestDone - started) / 1000)),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      delivered: received,
    };
  } finally {
    hub.kill('SIGTERM');
    sink.close();
  }
}

async function main() {
  const prefix = `bench-dlv-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  console.log(`delivery benchmark: ${EVENTS} events, concurrency ${CONCURRENCY}, node ${process.version}`);
  try {
    const queue = await queueCeiling(`${prefix}-q`);
    console.log('queue ceiling (BullMQ no-op jobs)', queue);
    const sample = JSON.stringify({ id: 'evt_x', type: 'whatsapp.message.received', source: 'whatsapp', timestamp: new Date().toISOString(), data: { n: 1 } });
    const httpBase = await httpCeiling(sample);
    console.log('HTTP ceiling (undici POSTs)      ', httpBase);
    const hub = await hubEndToEnd(prefix);
    console.log('hub end to end                   ', hub);
    const ratios = {
      hubVsQueueCeiling: +(hub.deliveriesPerSec / queue.jobsPerSec).toFixed(3),
      hubVsHttpCeiling: +(hub.deliveriesPerSec / httpBase.postsPerSec).toFixed(3),
    };
    console.log('ratios', ratios);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'delivery-latest.json'), JSON.stringify({ at: new Date().toISOString(), events: EVENTS, concurrency: CONCURRENCY, queue, http: httpBase, hub, ratios }, null, 2));
  } finally {
    await deleteKeys(redis, `{${prefix}}:*`);
    await deleteKeys(redis, `{${prefix}-q}:*`);
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
