#!/usr/bin/env node
/*
 * The performance suite (npm run bench; issue 15). Measures the compiled hub (dist/) beside baselines
 * started in the same run, each in its own process, and reports every figure with its ratio to the
 * matching baseline, because absolute numbers on a shared 2-core machine mean little and ratios
 * measured minutes apart mean little more.
 *
 * Baselines (bench/baselines/): a bare Node http server (the ceiling); hand-written Express 5 and
 * Fastify 5 receivers (HMAC over the raw body with timingSafeEqual, JSON.parse, one ioredis pipeline
 * SET NX EX + XADD MAXLEN ~, 202); a bare BullMQ worker that signs (Standard Webhooks) and POSTs with
 * undici. A sink process (bench/sink.js) receives every delivery and timestamps it.
 *
 * Scenarios:
 *   1. ingest, gateway only (HUB_ROLE=gateway), each HTTP_ADAPTER, against the baselines: autocannon,
 *      50 connections, 2 s warm-up, 10 s, unique signed WhatsApp (Meta) bodies;
 *   2. ingest with what `npm start` runs (HUB_ROLE unset = all) and one subscription to the sink:
 *      what reaches the sink, and how long after the load ends it has every accepted event;
 *   3. delivery capacity: N events ingested with no worker running, then a worker (HUB_ROLE=worker)
 *      drains them, against the bare BullMQ worker draining N queued jobs (first to last delivery), and
 *      undici alone sending the same N signed bodies (bench/baselines/undici-sender.js: the floor of
 *      any worker that uses it, set against what the target leaves a worker per delivery);
 *   4. end-to-end latency ingest -> sink, open loop at 50 and 200 events/s, both adapters (HUB_ROLE=all);
 *   5. MCP notification latency (bench/mcp-notify.bench.js) against a Redis pub/sub hop;
 *   6. CPU per event at 50 events/s (threads' on-CPU time from /proc), hub vs hand-written servers;
 *   7. RSS of every process after its load.
 * Full runs interleave the ingest and delivery scenarios over BENCH_ROUNDS rounds (default 3) and
 * report medians (max latency and the sink's catch-up: the worst round; error counts: the sum). `--quick`: one round,
 * short runs, under 90 s. `--only=ingest,all,delivery,e2e,mcp` runs some scenarios, `--targets=hubFastify,...`
 * some ingest targets.
 *
 * Prints tables and the issue's targets (pass/miss), writes bench/results/latest.json.
 * BENCH_HUB_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to every hub process,
 * BENCH_BASELINE_NODE_ARGS to the HTTP baselines;
 * BENCH_HUB_ROOT measures another build's dist/.
 */
'use strict';
const { randomBytes } = require('node:crypto');
const { mkdirSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const Redis = require('ioredis');
const { Agent, request } = require('undici');
const { ROOT, HUB_ROOT, REDIS_URL, runLoad, startHubProcess, stopProcess, deleteKeys } = require('./bench-kit');
const K = require('./perf-kit');
const mcp = require('./mcp-notify.bench');
const { enqueue } = require('./baselines/bullmq-worker');

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ONLY = (argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? '').split(',').filter(Boolean);
// Some ingest targets only, by id (bare, handExpress, handFastify, hubExpress, hubFastify, all_express, all_fastify): for A/B pairs.
const TARGETS = (argv.find((a) => a.startsWith('--targets='))?.slice('--targets='.length) ?? '').split(',').filter(Boolean);
const runs = (scenario) => !ONLY.length || ONLY.includes(scenario);
const setting = (name, quick, full) => Number(process.env[name] ?? (QUICK ? quick : full));

const S = {
  connections: setting('BENCH_CONNECTIONS', 50, 50),
  warmupSeconds: setting('BENCH_WARMUP_SECONDS', 1, 2),
  seconds: setting('BENCH_RUN_SECONDS', 2, 10),
  rounds: setting('BENCH_ROUNDS', 1, 3),
  cpuRate: 50,
  cpuSeconds: setting('BENCH_CPU_SECONDS', 1.5, 5),
  e2eRates: [50, 200],
  e2eWarmupSeconds: setting('BENCH_E2E_WARMUP_SECONDS', 0.5, 2),
  e2eSeconds: setting('BENCH_E2E_SECONDS', 1.5, 10),
  // Enough that the drain runs for seconds: a short one mostly measures each process's warm-up (JIT).
  drainEvents: setting('BENCH_DRAIN_EVENTS', 1000, 20000),
  mcpRate: 50,
  mcpEvents: setting('BENCH_MCP_EVENTS', 75, 500),
  catchUpCapSeconds: setting('BENCH_CATCHUP_CAP_SECONDS', 10, 30),
  allAdapters: (process.env.BENCH_ALL_ADAPTERS ?? (QUICK ? 'express' : 'express,fastify')).split(',').filter(Boolean),
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
};
const APP_SECRET = 'bench_app_secret';
const TOKEN = mcp.TOKEN;
const WHSEC = `whsec_${Buffer.from('bench-bullmq-baseline-secret-01').toString('base64')}`;
const HUB_NODE_ARGS = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
// The same for the HTTP baselines (a profile of the hand-written servers beside the hub's).
const BASELINE_NODE_ARGS = (process.env.BENCH_BASELINE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const RUN_ID = randomBytes(3).toString('hex');
const HUB_ENV = { WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_WEBHOOK_SECRET: mcp.SECRET, ALLOW_PRIVATE_TARGETS: 'true', HUB_ADMIN_TOKEN: TOKEN, LOG_LEVEL: S.logLevel };

/** The hub's default DELIVERY_CONCURRENCY, read from its config (libs/config), so the baseline matches it. */
function hubDeliveryConcurrency() {
  try {
    const { loadHubConfig } = require(join(HUB_ROOT, 'dist/libs/config/src'));
    return loadHubConfig({ DELIVERY_CONCURRENCY: process.env.DELIVERY_CONCURRENCY, HUB_ADMIN_TOKEN: TOKEN }).delivery.concurrency;
  } catch {
    return Number(process.env.DELIVERY_CONCURRENCY ?? 32);
  }
}
const CONCURRENCY = hubDeliveryConcurrency();

const INGEST_TARGETS = [
  { id: 'bare', label: 'bare node http (ceiling)', script: 'bare-http.js' },
  { id: 'handExpress', label: 'hand-written Express 5', script: 'hand-express.js', cpu: true },
  // CPU at 50/s is compared with hand Express (the target); hand Fastify's is measured too in full runs.
  { id: 'handFastify', label: 'hand-written Fastify 5', script: 'hand-fastify.js', cpu: !QUICK },
  { id: 'hubExpress', label: 'hub gateway, express', hub: { HUB_ROLE: 'gateway', HTTP_ADAPTER: 'express' }, cpu: true, baseline: 'handExpress' },
  { id: 'hubFastify', label: 'hub gateway, fastify', hub: { HUB_ROLE: 'gateway', HTTP_ADAPTER: 'fastify' }, cpu: true, baseline: 'handFastify' },
  ...S.allAdapters.map((adapter) => ({
    id: `all_${adapter}`, label: `hub as npm start (all), ${adapter}`, hub: { HUB_ROLE: undefined, HTTP_ADAPTER: adapter }, all: true, adapter,
    gatewayOnly: adapter === 'express' ? 'hubExpress' : 'hubFastify',
  })),
];

let redis;
let sink;
const tagOf = () => randomBytes(4).toString('hex');
const log = (...args) => console.log(`[${((Date.now() - STARTED) / 1000).toFixed(0).padStart(3)} s]`, ...args);
const STARTED = Date.now();

async function cleanup(prefix) {
  for (const pattern of [`{${prefix}}*`, `{${prefix}:*`, `${prefix}:*`]) await deleteKeys(redis, pattern);
}

/** A baseline child (bench/baselines/<script>) or a hub process, with a fresh key prefix. */
async function startTarget(target, prefix) {
  if (target.script) {
    const { child, port, pid } = await K.spawnChild(join(__dirname, 'baselines', target.script), { PORT: '0', REDIS_URL, BASELINE_PREFIX: prefix, WHATSAPP_APP_SECRET: APP_SECRET }, { nodeArgs: BASELINE_NODE_ARGS });
    return { port, pid, stop: () => K.stopChild(child) };
  }
  const port = await K.freePort();
  const child = await startHubProcess(port, { ...HUB_ENV, ...target.hub, HUB_PREFIX: prefix }, { nodeArgs: HUB_NODE_ARGS });
  return { port, pid: child.pid, stop: () => stopProcess(child) };
}

async function subscribe(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${sink.port}${path}`, events: ['whatsapp.*'] }),
  });
  if (res.status !== 201) throw new Error(`creating the subscription answered ${res.status}: ${await res.text()}`);
  await K.sleep(200);
}

/** autocannon's `next()`: unique signed Meta deliveries `wamid.b-<tag>-<n>`, key n. */
function metaLoad(tag) {
  let n = 0;
  return () => {
    const key = n++;
    const body = K.metaDelivery(`wamid.b-${tag}-${key}`);
    return { body, headers: { 'x-hub-signature-256': K.metaSignature(APP_SECRET, body) }, key };
  };
}

function loadSummary(result) {
  return {
    requestsPerSec: Math.round(result.requests.total / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    meanMs: +result.latency.mean.toFixed(2),
    requests: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * Waits (up to capSeconds) until the sink has every key of `accepted` under `tag`; then reads the
 * arrivals and forgets the tag. catchUpMs: from `endNs` (the load's end) to the last of them.
 */
async function awaitSink(tag, accepted, endNs, capSeconds) {
  const deadline = Date.now() + capSeconds * 1000;
  let arrivals = new Map();
  let missing = accepted.size;
  for (;;) {
    const count = await K.ask(sink.child, { op: 'count', tag });
    if (count.unique >= accepted.size) {
      arrivals = new Map((await K.ask(sink.child, { op: 'arrivals', tag })).arrivals);
      missing = 0;
      for (const n of accepted) if (!arrivals.has(n)) missing++;
      if (!missing) break;
    }
    if (Date.now() > deadline) {
      arrivals = new Map((await K.ask(sink.child, { op: 'arrivals', tag })).arrivals);
      missing = 0;
      for (const n of accepted) if (!arrivals.has(n)) missing++;
      break;
    }
    await K.sleep(50);
  }
  await K.ask(sink.child, { op: 'forget', tag });
  let lastNs = 0;
  let firstNs = Infinity;
  let byEnd = 0;
  for (const n of accepted) {
    const at = arrivals.get(n);
    if (at === undefined) continue;
    lastNs = Math.max(lastNs, at);
    firstNs = Math.min(firstNs, at);
    if (at <= endNs) byEnd++;
  }
  return {
    arrivals, delivered: accepted.size - missing, missing, deliveredByLoadEnd: byEnd, firstNs, lastNs,
    catchUpMs: missing ? null : +Math.max(0, (lastNs - endNs) / 1e6).toFixed(1),
  };
}

/** Open-loop signed Meta POSTs at `rate` for `seconds` over undici; keys accepted, send times, answer times. */
async function openLoopIngest({ port, agent, rate, seconds, tag }) {
  const url = `http://127.0.0.1:${port}/webhooks/whatsapp`;
  const sentNs = new Map();
  const accepted = new Set();
  const answerMs = [];
  let failed = 0;
  const count = await K.openLoop({
    rate, seconds,
    send: async (n) => {
      const body = K.metaDelivery(`wamid.b-${tag}-${n}`);
      const headers = { 'content-type': 'application/json', 'x-hub-signature-256': K.metaSignature(APP_SECRET, body) };
      const at = K.nowNs();
      sentNs.set(n, at);
      try {
        const res = await request(url, { method: 'POST', dispatcher: agent, headers, body });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          accepted.add(n);
          answerMs.push((K.nowNs() - at) / 1e6);
        } else failed++;
      } catch {
        failed++;
      }
    },
  });
  return { count, sentNs, accepted, answerMs, failed, endNs: K.nowNs() };
}

/** CPU per event of a process tree at `rate` events/s (ingest only: from the first send to the last answer). */
async function cpuPerEvent(port, pid) {
  const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
  try {
    await openLoopIngest({ port, agent, rate: S.cpuRate, seconds: QUICK ? 0.2 : 0.5, tag: tagOf() });
    await K.sleep(QUICK ? 100 : 300);
    const before = K.cpuSnapshot(pid);
    const started = K.nowNs();
    const run = await openLoopIngest({ port, agent, rate: S.cpuRate, seconds: S.cpuSeconds, tag: tagOf() });
    const ns = K.cpuDeltaNs(before, K.cpuSnapshot(pid));
    const seconds = (K.nowNs() - started) / 1e9;
    return {
      rate: S.cpuRate, events: run.accepted.size, failed: run.failed,
      cpuMs: +(ns / 1e6).toFixed(1), cpuPerEventUs: run.accepted.size ? Math.round(ns / 1e3 / run.accepted.size) : null,
      cpuPercentOfOneCore: +((ns / 1e9 / seconds) * 100).toFixed(1),
    };
  } finally {
    await agent.close();
  }
}

/** Scenario 1 (and 2 for `all` targets, and 6, 7): one target, fresh process and prefix. */
async function ingestRun(target, round) {
  const prefix = `bench-perf-${RUN_ID}-${target.id}-r${round}`;
  const server = await startTarget(target, prefix);
  const url = `http://127.0.0.1:${server.port}/webhooks/whatsapp`;
  const out = {};
  try {
    if (target.all) {
      await subscribe(server.port, `/all/${target.adapter}`);
      const warmTag = tagOf();
      const warmAccepted = new Set();
      await runLoad(url, metaLoad(warmTag), { connections: S.connections, seconds: S.warmupSeconds, onResponse: (s, k) => s < 300 && warmAccepted.add(k) });
      const warm = await awaitSink(warmTag, warmAccepted, K.nowNs(), S.catchUpCapSeconds);
      out.warmupCatchUpMs = warm.catchUpMs;
      const tag = tagOf();
      const accepted = new Set();
      const startNs = K.nowNs();
      const result = await runLoad(url, metaLoad(tag), { connections: S.connections, seconds: S.seconds, onResponse: (s, k) => s < 300 && accepted.add(k) });
      const endNs = K.nowNs();
      out.loadWindowUs = [Math.round(startNs / 1e3), Math.round(endNs / 1e3)];
      const drained = await awaitSink(tag, accepted, endNs, S.catchUpCapSeconds);
      Object.assign(out, loadSummary(result), {
        accepted: accepted.size, delivered: drained.delivered, missing: drained.missing,
        deliveredDuringLoadPerSec: Math.round(drained.deliveredByLoadEnd / S.seconds),
        sinkCatchUpMs: drained.catchUpMs,
        sinkCompleteWithin2s: drained.missing === 0 && drained.catchUpMs <= 2000,
      });
    } else {
      await runLoad(url, metaLoad(tagOf()), { connections: S.connections, seconds: S.warmupSeconds });
      if (target.cpu) out.cpu50 = await cpuPerEvent(server.port, server.pid);
      const startNs = K.nowNs();
      const cpuBefore = K.cpuSnapshot(server.pid);
      const redisCpuBefore = await redisCpuUs();
      Object.assign(out, loadSummary(await runLoad(url, metaLoad(tagOf()), { connections: S.connections, seconds: S.seconds })));
      // CPU per request at saturation: steadier than req/s when other processes take turns on the cores (for A/B pairs).
      out.cpuPerRequestUs = Math.round(K.cpuDeltaNs(cpuBefore, K.cpuSnapshot(server.pid)) / 1e3 / Math.max(1, out.requests));
      // Redis shares the two cores: what each request costs it is CPU the server under test does not get.
      out.redisCpuPerRequestUs = Math.round(((await redisCpuUs()) - redisCpuBefore) / Math.max(1, out.requests));
      // The measured run on the monotonic clock in µs: bench/profile-summary.js --from/--to slices a profile to it.
      out.loadWindowUs = [Math.round(startNs / 1e3), Math.round(K.nowNs() / 1e3)];
    }
    out.rss = K.rssOfTree(server.pid);
    out.rssMaxMb = Math.max(...out.rss.map((p) => p.rssMb));
    // How busy the machine was (other users of the 2 cores make runs noisy): the 1-minute load average.
    out.loadAverage1m = +os.loadavg()[0].toFixed(2);
    return out;
  } finally {
    await server.stop();
    await cleanup(prefix);
  }
}

/** CPU Redis has used since it started (user + system, every thread), in µs, from INFO cpu. */
async function redisCpuUs() {
  const info = await redis.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** The body the hub would deliver for one Meta message (its envelope), for the BullMQ baseline's jobs. */
function deliveryBody(wamid, id) {
  const meta = JSON.parse(K.metaDelivery(wamid)).entry[0].changes[0].value;
  return JSON.stringify({
    id, type: 'whatsapp.message.received', source: 'whatsapp', timestamp: new Date().toISOString(),
    data: { wabaId: '102290129340398', metadata: meta.metadata, contact: meta.contacts[0], message: meta.messages[0] },
  });
}

/** The drain's N bodies for the baselines: what the hub would deliver for N Meta messages, with their event ids. */
function drainBodies(tag) {
  return Array.from({ length: S.drainEvents }, (_, n) => ({ id: `evt_${tag}${n}`, body: deliveryBody(`wamid.b-${tag}-${n}`, `evt_${tag}${n}`) }));
}

/** What the sink and Redis have used so far (µs), read before and after a drain. */
async function drainSideCpu() {
  return { sinkNs: K.cpuSnapshot(sink.pid), redisUs: await redisCpuUs() };
}

function drainFigures(accepted, drained, readyNs, cpuNs, sideBefore, sideAfter) {
  const seconds = (drained.lastNs - drained.firstNs) / 1e9;
  let afterReady = 0;
  for (const n of accepted) if ((drained.arrivals.get(n) ?? 0) >= readyNs) afterReady++;
  const perDelivery = (us) => (afterReady ? Math.round(us / afterReady) : null);
  return {
    events: accepted.size, delivered: drained.delivered, missing: drained.missing,
    seconds: +seconds.toFixed(2), perSecond: seconds > 0 ? Math.round(drained.delivered / seconds) : null,
    cpuPerDeliveryUs: perDelivery(cpuNs / 1e3),
    // The drain's whole CPU budget on the shared cores: the worker's, the sink's and Redis's per delivery.
    sinkCpuPerDeliveryUs: perDelivery(K.cpuDeltaNs(sideBefore.sinkNs, sideAfter.sinkNs) / 1e3),
    redisCpuPerDeliveryUs: perDelivery(sideAfter.redisUs - sideBefore.redisUs),
    // First to last arrival on the monotonic clock in µs, for bench/profile-summary.js --from/--to.
    loadWindowUs: [Math.round(drained.firstNs / 1e3), Math.round(drained.lastNs / 1e3)],
  };
}

/**
 * Times a drain from now until the sink has every accepted event: the drainer's CPU (process `pid`),
 * the sink's and Redis's, and the drainer's RSS at the end. `start` sets the drainer going, if it
 * does not go by itself.
 */
async function timeDrain(pid, tag, accepted, start = () => undefined) {
  const readyNs = K.nowNs();
  const before = K.cpuSnapshot(pid);
  const sideBefore = await drainSideCpu();
  const started = start();
  const drained = await awaitSink(tag, accepted, readyNs, 120);
  const cpuNs = K.cpuDeltaNs(before, K.cpuSnapshot(pid));
  const sideAfter = await drainSideCpu();
  await started;
  const rss = K.rssOfTree(pid);
  return { ...drainFigures(accepted, drained, readyNs, cpuNs, sideBefore, sideAfter), rss, rssMaxMb: Math.max(...rss.map((p) => p.rssMb)) };
}

/** Scenario 3, the hub: ingest N with a gateway only, stop it, start a worker, time the drain at the sink. */
async function hubDrain(round) {
  const prefix = `bench-perf-${RUN_ID}-drain-r${round}`;
  const tag = tagOf();
  let gateway;
  let worker;
  try {
    const gwPort = await K.freePort();
    gateway = await startHubProcess(gwPort, { ...HUB_ENV, HUB_ROLE: 'gateway', HUB_PREFIX: prefix }, { nodeArgs: HUB_NODE_ARGS });
    await subscribe(gwPort, '/drain/hub');
    const accepted = new Set();
    await runLoad(`http://127.0.0.1:${gwPort}/webhooks/whatsapp`, metaLoad(tag), { connections: S.connections, amount: S.drainEvents, onResponse: (s, k) => s < 300 && accepted.add(k) });
    await stopProcess(gateway);
    gateway = undefined;
    const port = await K.freePort();
    worker = await startHubProcess(port, { ...HUB_ENV, HUB_ROLE: 'worker', HUB_PREFIX: prefix }, { nodeArgs: HUB_NODE_ARGS });
    return await timeDrain(worker.pid, tag, accepted);
  } finally {
    if (gateway) await stopProcess(gateway);
    if (worker) await stopProcess(worker);
    await cleanup(prefix);
  }
}

/** Scenario 3, the baseline: N jobs queued, then the bare BullMQ worker drains them. */
async function bullmqDrain(round) {
  const prefix = `bench-perf-${RUN_ID}-bullmq-r${round}`;
  const tag = tagOf();
  let worker;
  try {
    const jobs = drainBodies(tag);
    await enqueue({ redisUrl: REDIS_URL, prefix, jobs });
    worker = await K.spawnChild(join(__dirname, 'baselines', 'bullmq-worker.js'), {
      REDIS_URL, BASELINE_PREFIX: prefix, CONCURRENCY: String(CONCURRENCY), SINK_URL: `http://127.0.0.1:${sink.port}/drain/bullmq`, WEBHOOK_SECRET: WHSEC,
    });
    return await timeDrain(worker.pid, tag, new Set(jobs.map((_, n) => n)));
  } finally {
    if (worker) await K.stopChild(worker.child);
    await cleanup(prefix);
  }
}

/**
 * Scenario 3, the floor: the same N bodies signed and POSTed by undici alone (no queue, no Redis), what
 * the HTTP client and the signature cost any worker that uses them.
 */
async function senderDrain() {
  const tag = tagOf();
  const bodies = drainBodies(tag);
  const sender = await K.spawnChild(join(__dirname, 'baselines', 'undici-sender.js'), { CONCURRENCY: String(CONCURRENCY), SINK_URL: `http://127.0.0.1:${sink.port}/drain/sender`, WEBHOOK_SECRET: WHSEC });
  try {
    await K.ask(sender.child, { op: 'load', bodies });
    let answer;
    const send = () => K.ask(sender.child, { op: 'send' }, 120_000).then((a) => (answer = a), (error) => (answer = { error: error.message }));
    const figures = await timeDrain(sender.pid, tag, new Set(bodies.map((_, n) => n)), send);
    // POSTs the sink did not answer with a 2xx (they also show as missing).
    return { ...figures, failed: answer?.failed ?? null, ...(answer?.error ? { error: answer.error } : {}) };
  } finally {
    await K.stopChild(sender.child);
  }
}

/**
 * What a hub worker could spend per delivery at the delivery target (1.5x the bare BullMQ worker's
 * rate) if the machine's every core went to the drain: the cores' µs per delivery, less what the sink
 * and Redis used per hub delivery. Set beside the undici sender's own CPU per delivery, it says
 * whether the target is in reach of any worker that sends with undici and records in Redis as the hub does.
 */
function deliveryBudget(hub, bullmq, sender) {
  if (!hub?.perSecond || !bullmq?.perSecond) return null;
  // The cores this process may run on (affinity), which the drain's processes share.
  const cores = os.availableParallelism();
  const atTarget = 1.5 * bullmq.perSecond;
  const coreUsPerDelivery = (cores * 1e6) / atTarget;
  const workerUs = Math.round(coreUsPerDelivery - (hub.sinkCpuPerDeliveryUs ?? 0) - (hub.redisCpuPerDeliveryUs ?? 0));
  return { cores, deliveriesPerSec: Math.round(atTarget), coreUsPerDelivery: Math.round(coreUsPerDelivery), workerUs, undiciSenderUs: sender?.cpuPerDeliveryUs ?? null };
}

/** Scenarios 4 (and 5 on the first adapter, 6 and 7 for `all`): one `npm start` hub, open loop. */
async function endToEnd(adapter, withMcp) {
  const prefix = `bench-perf-${RUN_ID}-e2e-${adapter}`;
  const hub = await startTarget({ hub: { HUB_ROLE: undefined, HTTP_ADAPTER: adapter } }, prefix);
  const agent = new Agent({ connections: 32, keepAliveTimeout: 30_000 });
  const out = { rates: {} };
  try {
    await subscribe(hub.port, `/e2e/${adapter}`);
    for (const rate of S.e2eRates) {
      // Warm-up at the same rate, and wait until the sink has it: the delivery path is live (a forked
      // worker boots after the gateway answers /health) and no backlog is left for the measured run.
      const warmTag = tagOf();
      const warm = await openLoopIngest({ port: hub.port, agent, rate, seconds: S.e2eWarmupSeconds, tag: warmTag });
      const warmDrained = await awaitSink(warmTag, warm.accepted, warm.endNs, S.catchUpCapSeconds);
      await K.sleep(QUICK ? 100 : 300);
      const tag = tagOf();
      const before = K.cpuSnapshot(hub.pid);
      const run = await openLoopIngest({ port: hub.port, agent, rate, seconds: S.e2eSeconds, tag });
      const drained = await awaitSink(tag, run.accepted, run.endNs, 15);
      const cpuNs = K.cpuDeltaNs(before, K.cpuSnapshot(hub.pid));
      const latencies = [];
      for (const n of run.accepted) {
        const at = drained.arrivals.get(n);
        if (at !== undefined) latencies.push((at - run.sentNs.get(n)) / 1e6);
      }
      out.rates[rate] = {
        warmupCatchUpMs: warmDrained.catchUpMs,
        sent: run.count, accepted: run.accepted.size, failed: run.failed, lost: drained.missing,
        endToEnd: K.latencyStats(latencies), ingestAnswer: K.latencyStats(run.answerMs),
        cpuPerEventUs: run.accepted.size ? Math.round(cpuNs / 1e3 / run.accepted.size) : null,
      };
    }
    if (withMcp) {
      log(`MCP notifications on the ${adapter} hub, ${S.mcpEvents} events at ${S.mcpRate}/s`);
      const hubSide = await mcp.hubNotifications({ port: hub.port, events: S.mcpEvents, rate: S.mcpRate, warmup: QUICK ? 20 : 100 });
      const floor = await mcp.pubsubFloor({ events: S.mcpEvents, rate: S.mcpRate });
      out.mcp = { rate: S.mcpRate, events: S.mcpEvents, notification: hubSide.notification, ingestAnswer: hubSide.ingest, lost: hubSide.lost, redisPubSubFloor: floor };
    }
    out.rss = K.rssOfTree(hub.pid);
    out.rssMaxMb = Math.max(...out.rss.map((p) => p.rssMb));
    return out;
  } finally {
    await agent.close();
    await hub.stop();
    await cleanup(prefix);
  }
}

/** Medians over rounds of every numeric field (max latency: the worst round; error counts: the sum). */
function aggregate(runsOfTarget) {
  const present = runsOfTarget.filter(Boolean);
  if (!present.length) return null;
  const out = { rounds: present.length };
  const WORST = new Set(['maxMs', 'sinkCatchUpMs']);
  const SUM = new Set(['non2xx', 'errors', 'timeouts', 'missing', 'failed']);
  for (const key of Object.keys(present[0])) {
    const values = present.map((r) => r[key]);
    if (Array.isArray(values[0])) continue; // rss lists and load windows: per round only
    if (typeof values[0] === 'number') out[key] = WORST.has(key) ? Math.max(...values) : SUM.has(key) ? values.reduce((a, b) => a + b, 0) : K.median(values);
    else if (typeof values[0] === 'boolean') out[key] = values.every(Boolean);
    else if (values[0] && typeof values[0] === 'object') out[key] = aggregate(values);
    else out[key] = values[0];
  }
  if (present[0].rss) out.rssMaxMb = Math.max(...present.map((r) => r.rssMaxMb));
  return out;
}

function evaluateTargets(f, r) {
  const I = f.ingest ?? {};
  const targets = [];
  const add = (scenario, label, value, op, limit, unit = '') => {
    const pass = value === null || value === undefined ? null : op === '>=' ? value >= limit : op === '<=' ? value <= limit : value === limit;
    targets.push({ scenario, target: label, value: value ?? null, op, limit, unit, pass });
  };
  add('ingest', 'hub express req/s >= 0.8x hand Express', r['ingest.hubExpress/handExpress.rps'], '>=', 0.8, 'x');
  add('ingest', 'hub fastify req/s >= 0.8x hand Fastify', r['ingest.hubFastify/handFastify.rps'], '>=', 0.8, 'x');
  add('ingest', 'hub fastify req/s >= 1.5x hand Express', r['ingest.hubFastify/handExpress.rps'], '>=', 1.5, 'x');
  add('ingest', 'hub express p99 <= 1.5x hand Express p99', r['ingest.hubExpress/handExpress.p99'], '<=', 1.5, 'x');
  add('ingest', 'hub fastify p99 <= 1.5x hand Fastify p99', r['ingest.hubFastify/handFastify.p99'], '<=', 1.5, 'x');
  add('ingest', 'hub express max <= 250 ms', I.hubExpress?.maxMs, '<=', 250, 'ms');
  add('ingest', 'hub fastify max <= 250 ms', I.hubFastify?.maxMs, '<=', 250, 'ms');
  const errs = (x) => (x ? x.non2xx + x.errors : undefined);
  add('ingest', 'hub express errors + non-2xx = 0', errs(I.hubExpress), '=', 0);
  add('ingest', 'hub fastify errors + non-2xx = 0', errs(I.hubFastify), '=', 0);
  for (const adapter of S.allAdapters) {
    const all = I[`all_${adapter}`];
    add('npm start', `all (${adapter}) req/s >= 0.8x gateway-only`, r[`all.${adapter}/gateway.rps`], '>=', 0.8, 'x');
    add('npm start', `all (${adapter}) sink has every accepted event <= 2 s after load`, all ? (all.missing ? null : all.sinkCatchUpMs) : undefined, '<=', 2000, 'ms');
    if (all && all.missing) targets[targets.length - 1].pass = false;
  }
  add('delivery', 'drain rate >= 1.5x bare BullMQ worker', r['delivery.hub/bullmq.rate'], '>=', 1.5, 'x');
  for (const adapter of ['express', 'fastify']) {
    const at200 = f.e2e?.[adapter]?.rates?.[200];
    add('e2e', `${adapter} @200/s p50 <= 10 ms`, at200?.endToEnd?.p50Ms, '<=', 10, 'ms');
    add('e2e', `${adapter} @200/s p99 <= 50 ms`, at200?.endToEnd?.p99Ms, '<=', 50, 'ms');
  }
  add('mcp', 'notification p50 <= 10 ms', f.mcp?.notification?.p50Ms, '<=', 10, 'ms');
  add('mcp', 'notification p99 <= 25 ms', f.mcp?.notification?.p99Ms, '<=', 25, 'ms');
  add('cpu', 'hub express CPU/event @50/s <= 1.5x hand Express', r['cpu50.hubExpress/handExpress'], '<=', 1.5, 'x');
  add('cpu', 'hub fastify CPU/event @50/s <= 1.5x hand Express', r['cpu50.hubFastify/handExpress'], '<=', 1.5, 'x');
  add('rss', 'every hub process RSS <= 250 MB', f.rss?.hubMaxMb, '<=', 250, 'MB');
  return targets;
}

function computeRatios(f) {
  const I = f.ingest ?? {};
  const r = {};
  const set = (name, value) => {
    if (value !== null && value !== undefined) r[name] = value;
  };
  for (const id of ['handExpress', 'handFastify', 'hubExpress', 'hubFastify']) set(`ingest.${id}/bare.rps`, K.ratio(I[id]?.requestsPerSec, I.bare?.requestsPerSec));
  set('ingest.hubExpress/handExpress.rps', K.ratio(I.hubExpress?.requestsPerSec, I.handExpress?.requestsPerSec));
  set('ingest.hubFastify/handFastify.rps', K.ratio(I.hubFastify?.requestsPerSec, I.handFastify?.requestsPerSec));
  set('ingest.hubFastify/handExpress.rps', K.ratio(I.hubFastify?.requestsPerSec, I.handExpress?.requestsPerSec));
  set('ingest.hubFastify/hubExpress.rps', K.ratio(I.hubFastify?.requestsPerSec, I.hubExpress?.requestsPerSec));
  set('ingest.handFastify/handExpress.rps', K.ratio(I.handFastify?.requestsPerSec, I.handExpress?.requestsPerSec));
  set('ingest.hubExpress/handExpress.p50', K.ratio(I.hubExpress?.p50Ms, I.handExpress?.p50Ms));
  set('ingest.hubFastify/handFastify.p50', K.ratio(I.hubFastify?.p50Ms, I.handFastify?.p50Ms));
  set('ingest.hubExpress/handExpress.p99', K.ratio(I.hubExpress?.p99Ms, I.handExpress?.p99Ms));
  set('ingest.hubFastify/handFastify.p99', K.ratio(I.hubFastify?.p99Ms, I.handFastify?.p99Ms));
  set('ingest.hubExpress/handExpress.max', K.ratio(I.hubExpress?.maxMs, I.handExpress?.maxMs));
  set('ingest.hubFastify/handFastify.max', K.ratio(I.hubFastify?.maxMs, I.handFastify?.maxMs));
  for (const adapter of S.allAdapters) {
    const all = I[`all_${adapter}`];
    const gateway = I[adapter === 'express' ? 'hubExpress' : 'hubFastify'];
    set(`all.${adapter}/gateway.rps`, K.ratio(all?.requestsPerSec, gateway?.requestsPerSec));
    set(`all.${adapter}/hand${adapter === 'express' ? 'Express' : 'Fastify'}.rps`, K.ratio(all?.requestsPerSec, I[adapter === 'express' ? 'handExpress' : 'handFastify']?.requestsPerSec));
    set(`all.${adapter}.deliveredPerSecDuringLoad/ingestPerSec`, K.ratio(all?.deliveredDuringLoadPerSec, all?.requestsPerSec));
  }
  set('delivery.hub/bullmq.rate', K.ratio(f.delivery?.hub?.perSecond, f.delivery?.bullmq?.perSecond));
  set('delivery.hub/bullmq.cpuPerDelivery', K.ratio(f.delivery?.hub?.cpuPerDeliveryUs, f.delivery?.bullmq?.cpuPerDeliveryUs));
  set('delivery.sender/bullmq.rate', K.ratio(f.delivery?.sender?.perSecond, f.delivery?.bullmq?.perSecond));
  set('delivery.hub/sender.cpuPerDelivery', K.ratio(f.delivery?.hub?.cpuPerDeliveryUs, f.delivery?.sender?.cpuPerDeliveryUs));
  for (const adapter of ['express', 'fastify']) {
    for (const rate of S.e2eRates) {
      const x = f.e2e?.[adapter]?.rates?.[rate];
      set(`e2e.${adapter}@${rate}.p50/ingestAnswer.p50`, K.ratio(x?.endToEnd?.p50Ms, x?.ingestAnswer?.p50Ms));
    }
  }
  set('mcp.notification/pubsub.p50', K.ratio(f.mcp?.notification?.p50Ms, f.mcp?.redisPubSubFloor?.p50Ms));
  set('mcp.notification/pubsub.p99', K.ratio(f.mcp?.notification?.p99Ms, f.mcp?.redisPubSubFloor?.p99Ms));
  set('mcp.notification/ingestAnswer.p50', K.ratio(f.mcp?.notification?.p50Ms, f.mcp?.ingestAnswer?.p50Ms));
  const cpu = (id) => I[id]?.cpu50?.cpuPerEventUs;
  set('cpu50.hubExpress/handExpress', K.ratio(cpu('hubExpress'), cpu('handExpress')));
  set('cpu50.hubFastify/handExpress', K.ratio(cpu('hubFastify'), cpu('handExpress')));
  set('cpu50.hubFastify/handFastify', K.ratio(cpu('hubFastify'), cpu('handFastify')));
  set('cpu50.handFastify/handExpress', K.ratio(cpu('handFastify'), cpu('handExpress')));
  set('cpu50.allExpress(ingest+delivery)/handExpress', K.ratio(f.e2e?.express?.rates?.[50]?.cpuPerEventUs, cpu('handExpress')));
  set('cpu50.allFastify(ingest+delivery)/handExpress', K.ratio(f.e2e?.fastify?.rates?.[50]?.cpuPerEventUs, cpu('handExpress')));
  set('rss.hubMax/handExpress', K.ratio(f.rss?.hubMaxMb, I.handExpress?.rssMaxMb));
  return r;
}

const fmt = (v, digits = 1) => (v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : String(v));

function report(results) {
  const f = results.figures;
  const I = f.ingest ?? {};
  const r = results.ratios;
  const out = [];
  const s = results.settings;
  out.push(`\nperformance suite${QUICK ? ' (--quick)' : ''}: ${results.machine.cpuModel}, ${results.machine.cores} cores, node ${results.node}, commit ${results.git.commit?.slice(0, 10) ?? '?'}${results.git.dirty ? ' (dirty)' : ''}, ${results.date}`);
  out.push(`autocannon ${s.connections} connections, ${s.warmupSeconds} s warm-up, ${s.seconds} s runs, ${s.rounds} round(s) (medians; max and sink catch-up = worst round; errors summed), delivery concurrency ${s.deliveryConcurrency}, LOG_LEVEL=${s.logLevel}`);
  if (Object.keys(I).length) {
    out.push('\n1. Ingest, unique signed WhatsApp (Meta) bodies (CPU and Redis CPU per request at saturation); 6. CPU per event at 50 events/s; 7. RSS after the load');
    const rows = INGEST_TARGETS.filter((t) => I[t.id] && !t.all).map((t) => {
      const x = I[t.id];
      const base = t.baseline ? I[t.baseline] : undefined;
      return {
        name: t.label, rps: fmt(x.requestsPerSec), p50: fmt(x.p50Ms), p99: fmt(x.p99Ms), max: fmt(x.maxMs), bad: `${x.non2xx}/${x.errors}`,
        vsBare: fmt(K.ratio(x.requestsPerSec, I.bare?.requestsPerSec), 2), vsHand: base ? fmt(K.ratio(x.requestsPerSec, base.requestsPerSec), 2) : '',
        p99vsHand: base ? fmt(K.ratio(x.p99Ms, base.p99Ms), 2) : '',
        cpuSat: fmt(x.cpuPerRequestUs), redisSat: fmt(x.redisCpuPerRequestUs),
        cpu: fmt(x.cpu50?.cpuPerEventUs), cpuVs: x.cpu50 && t.id !== 'handExpress' ? fmt(K.ratio(x.cpu50.cpuPerEventUs, I.handExpress?.cpu50?.cpuPerEventUs), 2) : '', rss: fmt(x.rssMaxMb),
      };
    });
    out.push(K.renderTable(rows, [
      { key: 'name', title: 'server' }, { key: 'rps', title: 'req/s', align: 'right' }, { key: 'p50', title: 'p50 ms', align: 'right' },
      { key: 'p99', title: 'p99 ms', align: 'right' }, { key: 'max', title: 'max ms', align: 'right' }, { key: 'bad', title: 'non2xx/err', align: 'right' },
      { key: 'vsBare', title: 'x bare', align: 'right' }, { key: 'vsHand', title: 'x hand', align: 'right' }, { key: 'p99vsHand', title: 'p99 x hand', align: 'right' },
      { key: 'cpuSat', title: 'CPU us/req', align: 'right' }, { key: 'redisSat', title: 'Redis us/req', align: 'right' },
      { key: 'cpu', title: 'CPU us/evt@50', align: 'right' }, { key: 'cpuVs', title: 'x hand Express', align: 'right' }, { key: 'rss', title: 'RSS MB', align: 'right' },
    ]));
    const allRows = INGEST_TARGETS.filter((t) => t.all && I[t.id]).map((t) => {
      const x = I[t.id];
      return {
        name: t.label, rps: fmt(x.requestsPerSec), vsGw: fmt(r[`all.${t.adapter}/gateway.rps`], 2), p99: fmt(x.p99Ms), max: fmt(x.maxMs), bad: `${x.non2xx}/${x.errors}`,
        acc: fmt(x.accepted), del: fmt(x.delivered), dps: fmt(x.deliveredDuringLoadPerSec), catchUp: x.missing ? `${x.missing} missing` : fmt(x.sinkCatchUpMs), rss: fmt(x.rssMaxMb),
      };
    });
    if (allRows.length) {
      out.push('\n2. What `npm start` runs (HUB_ROLE unset = all), one subscription to the sink, saturating load');
      out.push(K.renderTable(allRows, [
        { key: 'name', title: 'hub' }, { key: 'rps', title: 'req/s', align: 'right' }, { key: 'vsGw', title: 'x gateway-only', align: 'right' },
        { key: 'p99', title: 'p99 ms', align: 'right' }, { key: 'max', title: 'max ms', align: 'right' }, { key: 'bad', title: 'non2xx/err', align: 'right' },
        { key: 'acc', title: 'accepted', align: 'right' }, { key: 'del', title: 'at sink', align: 'right' }, { key: 'dps', title: 'delivered/s in load', align: 'right' },
        { key: 'catchUp', title: 'sink complete after load, ms', align: 'right' }, { key: 'rss', title: 'RSS MB', align: 'right' },
      ]));
    }
  }
  if (f.delivery) {
    out.push(`\n3. Delivery capacity: ${s.drainEvents} events queued, then drained to the sink (first to last delivery)`);
    const rows = [['hub worker (HUB_ROLE=worker)', f.delivery.hub], ['bare BullMQ worker', f.delivery.bullmq], ['undici sender alone (floor)', f.delivery.sender]].filter(([, x]) => x).map(([name, x]) => ({
      name, n: fmt(x.delivered), ps: fmt(x.perSecond), vs: x === f.delivery.bullmq ? '' : fmt(K.ratio(x.perSecond, f.delivery.bullmq?.perSecond), 2), cpu: fmt(x.cpuPerDeliveryUs),
      sinkCpu: fmt(x.sinkCpuPerDeliveryUs), redisCpu: fmt(x.redisCpuPerDeliveryUs), miss: fmt(x.missing), rss: fmt(x.rssMaxMb),
    }));
    out.push(K.renderTable(rows, [
      { key: 'name', title: 'worker' }, { key: 'n', title: 'delivered', align: 'right' }, { key: 'ps', title: 'deliveries/s', align: 'right' },
      { key: 'vs', title: 'x BullMQ', align: 'right' }, { key: 'cpu', title: 'CPU us/delivery', align: 'right' },
      { key: 'sinkCpu', title: 'sink us', align: 'right' }, { key: 'redisCpu', title: 'Redis us', align: 'right' }, { key: 'miss', title: 'missing', align: 'right' }, { key: 'rss', title: 'RSS MB', align: 'right' },
    ]));
    const b = f.delivery.budgetAtTarget;
    if (b) {
      out.push(
        `At the target (${fmt(b.deliveriesPerSec)} deliveries/s on ${b.cores} cores, ${fmt(b.coreUsPerDelivery)} us of CPU per delivery in all), a hub worker could spend ` +
          `${fmt(b.workerUs)} us per delivery beside the sink and Redis; undici and the signature alone use ${fmt(b.undiciSenderUs)} us.`,
      );
    }
  }
  if (f.e2e) {
    out.push(`\n4. End to end, POST -> sink, open loop (${s.e2eSeconds} s per rate after ${s.e2eWarmupSeconds} s warm-up), HUB_ROLE=all, one subscription`);
    const rows = [];
    for (const [adapter, x] of Object.entries(f.e2e)) {
      if (x.error) {
        rows.push({ name: adapter, rate: 'error' });
        continue;
      }
      for (const [rate, y] of Object.entries(x.rates)) {
        rows.push({
          name: adapter, rate, n: fmt(y.endToEnd.n), p50: fmt(y.endToEnd.p50Ms, 2), p99: fmt(y.endToEnd.p99Ms, 2), max: fmt(y.endToEnd.maxMs, 2),
          a50: fmt(y.ingestAnswer.p50Ms, 2), a99: fmt(y.ingestAnswer.p99Ms, 2), lost: `${y.lost}/${y.failed}`, cpu: fmt(y.cpuPerEventUs), rss: rate === String(s.e2eRates.at(-1)) ? fmt(x.rssMaxMb) : '',
        });
      }
    }
    out.push(K.renderTable(rows, [
      { key: 'name', title: 'adapter' }, { key: 'rate', title: 'events/s', align: 'right' }, { key: 'n', title: 'n', align: 'right' },
      { key: 'p50', title: 'p50 ms', align: 'right' }, { key: 'p99', title: 'p99 ms', align: 'right' }, { key: 'max', title: 'max ms', align: 'right' },
      { key: 'a50', title: 'answer p50', align: 'right' }, { key: 'a99', title: 'answer p99', align: 'right' }, { key: 'lost', title: 'lost/failed', align: 'right' },
      { key: 'cpu', title: 'CPU us/evt (ingest+delivery)', align: 'right' }, { key: 'rss', title: 'RSS MB', align: 'right' },
    ]));
  }
  if (f.mcp) {
    out.push(`\n5. MCP notification latency, ${f.mcp.events} events at ${f.mcp.rate}/s (bridge bodies), express hub, HUB_ROLE=all`);
    const rows = [['Redis pub/sub hop (floor)', f.mcp.redisPubSubFloor], ['ingest answer (2xx)', f.mcp.ingestAnswer], ['POST -> notifications/message', f.mcp.notification]].map(([name, x]) => ({
      name, n: fmt(x?.n), p50: fmt(x?.p50Ms, 2), p99: fmt(x?.p99Ms, 2), max: fmt(x?.maxMs, 2),
    }));
    out.push(K.renderTable(rows, [{ key: 'name', title: 'what' }, { key: 'n', title: 'n', align: 'right' }, { key: 'p50', title: 'p50 ms', align: 'right' }, { key: 'p99', title: 'p99 ms', align: 'right' }, { key: 'max', title: 'max ms', align: 'right' }]));
    out.push(`notifications lost: ${f.mcp.lost}`);
  }
  out.push('\nRatios');
  out.push(K.renderTable(Object.entries(r).map(([name, value]) => ({ name, value: fmt(value, 3) })), [{ key: 'name', title: 'ratio' }, { key: 'value', title: 'value', align: 'right' }]));
  out.push('\nTargets (issue 15)');
  out.push(K.renderTable(results.targets.map((t) => ({
    scenario: t.scenario, target: t.target, value: t.value === null ? 'n/a' : `${fmt(t.value, t.unit === 'x' ? 3 : 1)}${t.unit === 'x' ? 'x' : t.unit ? ` ${t.unit}` : ''}`,
    result: t.pass === null ? 'n/a' : t.pass ? 'pass' : 'MISS',
  })), [{ key: 'scenario', title: 'scenario' }, { key: 'target', title: 'target' }, { key: 'value', title: 'measured', align: 'right' }, { key: 'result', title: 'result' }]));
  const met = results.targets.filter((t) => t.pass).length;
  out.push(`\n${met} of ${results.targets.length} targets met; ${results.errors.length ? `${results.errors.length} scenario error(s): ${results.errors.map((e) => `${e.scenario}: ${e.message}`).join('; ')}` : 'no scenario errors'}; ${((Date.now() - STARTED) / 1000).toFixed(0)} s`);
  console.log(out.join('\n'));
}

async function main() {
  redis = new Redis(REDIS_URL);
  const results = {
    bench: 'performance', date: new Date().toISOString(), quick: QUICK, only: ONLY.length ? ONLY : undefined,
    machine: K.machineInfo(), node: process.version, git: K.gitInfo(ROOT), hubRoot: HUB_ROOT === ROOT ? undefined : HUB_ROOT,
    settings: { ...S, deliveryConcurrency: CONCURRENCY, hubNodeArgs: HUB_NODE_ARGS },
    rounds: [], figures: {}, ratios: {}, targets: [], errors: [],
  };
  log(`performance suite${QUICK ? ' --quick' : ''}: ${S.rounds} round(s), ${S.seconds} s runs, ${S.connections} connections, node ${process.version}, ${results.machine.cores} cores`);
  sink = await K.spawnChild(join(__dirname, 'sink.js'), {});
  const attempt = async (scenario, fn) => {
    try {
      return await fn();
    } catch (error) {
      log(`${scenario} failed: ${error.stack ?? error}`);
      results.errors.push({ scenario, message: String(error.message ?? error) });
      return undefined;
    }
  };
  try {
    for (let round = 1; round <= S.rounds; round++) {
      const thisRound = { ingest: {}, delivery: {} };
      results.rounds.push(thisRound);
      const targets = INGEST_TARGETS.filter((t) => (t.all ? runs('all') : runs('ingest')) && (TARGETS.length === 0 || TARGETS.includes(t.id)));
      // Interleave: each round starts one target further along, so no target always runs first or last.
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
      for (const target of order) {
        log(`round ${round}: ${target.label}`);
        thisRound.ingest[target.id] = await attempt(`ingest ${target.id} r${round}`, () => ingestRun(target, round));
        const x = thisRound.ingest[target.id];
        if (x) log(`  ${x.requestsPerSec} req/s, p99 ${x.p99Ms} ms, max ${x.maxMs} ms, non2xx ${x.non2xx}, errors ${x.errors}${x.cpu50 ? `, CPU ${x.cpu50.cpuPerEventUs} us/event at 50/s` : ''}${x.accepted !== undefined ? `, sink ${x.delivered}/${x.accepted}, complete ${x.sinkCatchUpMs} ms after load` : ''}`);
      }
      if (runs('delivery')) {
        // Rotated like the ingest targets, so no drain always runs first or last.
        const all = [['hub', hubDrain], ['bullmq', bullmqDrain], ['sender', senderDrain]];
        const drains = all.map((_, i) => all[(i + round - 1) % all.length]);
        const labels = { hub: 'hub worker', bullmq: 'bare BullMQ worker', sender: 'undici sender alone (floor)' };
        for (const [name, fn] of drains) {
          log(`round ${round}: delivery capacity, ${labels[name]}, ${S.drainEvents} events`);
          thisRound.delivery[name] = await attempt(`delivery ${name} r${round}`, () => fn(round));
          const x = thisRound.delivery[name];
          if (x) log(`  ${x.perSecond} deliveries/s (${x.delivered}/${x.events} in ${x.seconds} s)`);
        }
      }
    }
    const ingest = {};
    for (const target of INGEST_TARGETS) {
      const agg = aggregate(results.rounds.map((rd) => rd.ingest[target.id]));
      if (agg) ingest[target.id] = agg;
    }
    if (Object.keys(ingest).length) results.figures.ingest = ingest;
    if (runs('delivery')) {
      const [hub, bullmq, sender] = ['hub', 'bullmq', 'sender'].map((name) => aggregate(results.rounds.map((rd) => rd.delivery[name])));
      results.figures.delivery = { hub, bullmq, sender, budgetAtTarget: deliveryBudget(hub, bullmq, sender) };
    }

    if (runs('e2e') || runs('mcp')) {
      results.figures.e2e = {};
      for (const adapter of ['express', 'fastify']) {
        if (!runs('e2e') && adapter !== 'express') continue;
        log(`end to end, ${adapter}, open loop at ${S.e2eRates.join(' and ')} events/s`);
        const x = await attempt(`e2e ${adapter}`, () => endToEnd(adapter, adapter === 'express' && runs('mcp')));
        if (!x) continue;
        if (x.mcp) {
          results.figures.mcp = x.mcp;
          delete x.mcp;
        }
        results.figures.e2e[adapter] = x;
        for (const [rate, y] of Object.entries(x.rates)) log(`  ${rate}/s: p50 ${y.endToEnd.p50Ms} ms, p99 ${y.endToEnd.p99Ms} ms, lost ${y.lost}`);
      }
    }
    const hubRss = [
      ...INGEST_TARGETS.filter((t) => t.hub).map((t) => ingest[t.id]?.rssMaxMb),
      results.figures.delivery?.hub?.rssMaxMb,
      ...Object.values(results.figures.e2e ?? {}).map((x) => x.rssMaxMb),
    ].filter((v) => typeof v === 'number');
    results.figures.rss = {
      hubMaxMb: hubRss.length ? Math.max(...hubRss) : null,
      perScenarioMb: Object.fromEntries([
        ...Object.entries(ingest).map(([id, x]) => [`ingest.${id}`, x.rssMaxMb]),
        ['delivery.hub', results.figures.delivery?.hub?.rssMaxMb], ['delivery.bullmq', results.figures.delivery?.bullmq?.rssMaxMb],
        ...Object.entries(results.figures.e2e ?? {}).map(([a, x]) => [`e2e.${a}`, x.rssMaxMb]),
      ].filter(([, v]) => typeof v === 'number')),
    };
    results.ratios = computeRatios(results.figures);
    results.targets = evaluateTargets(results.figures, results.ratios);
    results.durationSeconds = Math.round((Date.now() - STARTED) / 1000);
    const { rid: _rid, ...sinkTotals } = await K.ask(sink.child, { op: 'totals' });
    results.sink = sinkTotals;
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'latest.json'), `${JSON.stringify(results, (key, value) => (value instanceof Map ? undefined : value), 2)}\n`);
    report(results);
    console.log('written to bench/results/latest.json');
  } finally {
    await K.stopChild(sink.child);
    redis.disconnect();
  }
  if (results.errors.length) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
