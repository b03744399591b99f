#!/usr/bin/env node
/*
 * Scale-out benchmark (npm run bench:cluster): the same hub on one Redis and on a three-master Redis
 * Cluster started here on loopback ports, and one worker against two, all in one run, as ratios.
 *   - ingest: a gateway process under autocannon (unique signed WhatsApp bridge bodies);
 *   - delivery capacity: N events queued with no worker running, then W worker processes drain them
 *     to a local sink (events per second from the first delivery to the last).
 * Until the stream and queues are partitioned (issue 14), a prefix lives on one master: the cluster
 * figures show the cost of cluster mode, not a gain yet.
 */
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { createHmac, randomBytes } = require('node:crypto');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const Redis = require('ioredis');
const { REDIS_URL, SECONDS, runLoad, summary, startHubProcess, stopProcess, deleteKeys } = require('./bench-kit');

const SECRET = 'bench-cluster-secret';
const TOKEN = 'bench-admin-token-0123456789';
const EVENTS = Number(process.env.BENCH_EVENTS ?? (process.argv.includes('--quick') ? 1000 : 3000));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort() {
  for (;;) {
    const port = 30000 + Math.floor(Math.random() * 20000);
    if (await portIsFree(port)) return port;
  }
}

/** Three masters, made as an operator would (redis-server --cluster-enabled, redis-cli --cluster create). */
async function startCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  const ports = [];
  while (ports.length < 3) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (!ports.includes(port) && (await portIsFree(port)) && (await portIsFree(port + 10000))) ports.push(port);
  }
  const nodes = ports.map((port) => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  for (const port of ports) {
    const probe = new Redis(port, '127.0.0.1', { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100 && (await probe.ping().catch(() => '')) !== 'PONG'; i++) await sleep(50);
    probe.disconnect();
  }
  execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  const probe = new Redis(ports[0], '127.0.0.1');
  for (let i = 0; i < 100 && !/cluster_state:ok/.test(await probe.cluster('INFO')); i++) await sleep(100);
  probe.disconnect();
  await sleep(500);
  return {
    env: { REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(','), REDIS_URL: `redis://127.0.0.1:${ports[0]}`, EVENT_PARTITIONS: '8', DELIVERY_QUEUES: '4' },
    stop: async () => {
      for (const node of nodes) node.kill('SIGKILL');
      await sleep(200);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const bridgeBody = (id) => JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id } });
const signed = (body) => ({ 'x-webhook-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` });

async function ingest(redisEnv) {
  const prefix = `bench-cl-${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const hub = await startHubProcess(port, { ...redisEnv, HUB_ROLE: 'gateway', HUB_PREFIX: prefix, WHATSAPP_WEBHOOK_SECRET: SECRET, HUB_ADMIN_TOKEN: TOKEN });
  try {
    let n = 0;
    const tag = randomBytes(3).toString('hex');
    const next = () => {
      const body = bridgeBody(`${tag}-${n++}`);
      return { body, headers: signed(body), path: '/webhooks/whatsapp' };
    };
    await runLoad(`http://127.0.0.1:${port}/webhooks/whatsapp`, next, { seconds: 2 });
    return summary(await runLoad(`http://127.0.0.1:${port}/webhooks/whatsapp`, next, { seconds: SECONDS }));
  } finally {
    await stopProcess(hub);
  }
}

async function drain(redisEnv, workers) {
  const prefix = `bench-cl-${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      firstAt ||= Date.now();
      lastAt = Date.now();
      res.writeHead(204).end();
    });
  });
  sink.keepAliveTimeout = 60_000;
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const env = { ...redisEnv, HUB_PREFIX: prefix, WHATSAPP_WEBHOOK_SECRET: SECRET, HUB_ADMIN_TOKEN: TOKEN, ALLOW_PRIVATE_TARGETS: 'true' };
  const gateway = await startHubProcess(port, { ...env, HUB_ROLE: 'gateway' });
  const children = [gateway];
  try {
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/subscriptions`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${sink.address().port}/bench`, events: ['whatsapp.*'] }),
    });
    if (created.status !== 201) throw new Error(`subscription: ${created.status}`);
    let n = 0;
    const tag = randomBytes(3).toString('hex');
    await runLoad(`http://127.0.0.1:${port}/webhooks/whatsapp`, () => {
      const body = bridgeBody(`${tag}-${n++}`);
      return { body, headers: signed(body), path: '/webhooks/whatsapp' };
    }, { amount: EVENTS, connections: 16 });
    // Workers start together; the clock runs from the first delivery to the last, so boot time is not counted.
    const ports = await Promise.all(Array.from({ length: workers }, () => freePort()));
    children.push(...(await Promise.all(ports.map((p, w) => startHubProcess(p, { ...env, HUB_ROLE: 'worker', STREAM_CONSUMER_NAME: `bench-${w}` })))));
    for (let i = 0; i < 1200 && received < EVENTS; i++) await sleep(100);
    const seconds = (lastAt - firstAt) / 1000;
    return { events: EVENTS, delivered: received, seconds: +seconds.toFixed(2), perSecond: Math.round(received / seconds) };
  } finally {
    for (const child of children.reverse()) await stopProcess(child);
    sink.close();
    if (!redisEnv.REDIS_CLUSTER_NODES) {
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, `{${prefix}}:*`);
      redis.disconnect();
    }
  }
}

async function main() {
  const single = { REDIS_URL };
  const cluster = await startCluster();
  try {
    const ingestSingle = await ingest(single);
    const ingestCluster = await ingest(cluster.env);
    const drainSingle1 = await drain(single, 1);
    const drainSingle2 = await drain(single, 2);
    const drainCluster1 = await drain(cluster.env, 1);
    const drainCluster2 = await drain(cluster.env, 2);
    const result = {
      bench: 'cluster', date: new Date().toISOString(), node: process.version, events: EVENTS, seconds: SECONDS,
      ingest: { oneRedis: ingestSingle, cluster: ingestCluster },
      delivery: { oneRedisOneWorker: drainSingle1, oneRedisTwoWorkers: drainSingle2, clusterOneWorker: drainCluster1, clusterTwoWorkers: drainCluster2 },
      ratios: {
        ingestClusterOverOneRedis: +(ingestCluster.requestsPerSec / ingestSingle.requestsPerSec).toFixed(2),
        deliveryTwoWorkersOverOne: +(drainSingle2.perSecond / drainSingle1.perSecond).toFixed(2),
        deliveryClusterOverOneRedis: +(drainCluster1.perSecond / drainSingle1.perSecond).toFixed(2),
        deliveryTwoWorkersOverOneOnCluster: +(drainCluster2.perSecond / drainCluster1.perSecond).toFixed(2),
      },
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'cluster.json'), JSON.stringify(result, null, 2));
    console.table({ 'ingest, one Redis': ingestSingle, 'ingest, cluster': ingestCluster });
    console.table({ 'one Redis, 1 worker': drainSingle1, 'one Redis, 2 workers': drainSingle2, 'cluster, 1 worker': drainCluster1, 'cluster, 2 workers': drainCluster2 });
    console.log(`ratios: ${JSON.stringify(result.ratios)}`);
  } finally {
    await cluster.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
