#!/usr/bin/env node
/*
 * MCP notification latency (npm run bench:mcp): from the moment a signed event is POSTed to the
 * gateway until an MCP session subscribed to it receives `notifications/message`, open loop at
 * RATE events/s, against the hub as `npm start` runs it (HUB_ROLE=all). Baselines in the same run:
 * the ingest answer alone (the 202) and a bare Redis pub/sub hop (PUBLISH to a subscriber), the floor
 * of any cross-process notification. Timing lives here, never in the tests.
 */
'use strict';
const { createHmac, randomBytes } = require('node:crypto');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Agent, request } = require('undici');
const Redis = require('ioredis');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { LoggingMessageNotificationSchema } = require('@modelcontextprotocol/sdk/types.js');
const { deleteKeys, startHubProcess, stopProcess } = require('./bench-kit');

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RATE = Number(process.env.BENCH_RATE ?? 50);
const EVENTS = Number(process.env.BENCH_EVENTS ?? (process.argv.includes('--quick') ? 300 : 1000));
const SECRET = 'bench-mcp-secret';
const TOKEN = 'bench-admin-token-0123456789';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return { p50Ms: null, p99Ms: null, maxMs: null, n: 0 };
  return { p50Ms: +percentile(sorted, 0.5).toFixed(2), p99Ms: +percentile(sorted, 0.99).toFixed(2), maxMs: +sorted[sorted.length - 1].toFixed(2), n: sorted.length };
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Open loop: starts `send(i)` every 1000/rate ms whatever the previous ones are doing. */
async function openLoop(count, send, rate = RATE) {
  const started = now();
  const running = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    running.push(send(i));
  }
  await Promise.all(running);
}

async function pubsubFloor({ events = EVENTS, rate = RATE } = {}) {
  const channel = `bench-mcp-${randomBytes(3).toString('hex')}`;
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  const pending = new Map();
  sub.on('message', (_c, message) => pending.get(message)?.());
  await sub.subscribe(channel);
  const latencies = [];
  await openLoop(events, (i) => new Promise((resolve) => {
    const at = now();
    pending.set(String(i), () => { latencies.push(now() - at); resolve(); });
    void pub.publish(channel, String(i));
  }), rate);
  pub.disconnect();
  sub.disconnect();
  return stats(latencies);
}

/**
 * POST → notifications/message latency. Starts its own hub (HUB_ROLE=all), or, given `port`, measures
 * a running one, which must accept WhatsApp bridge bodies signed with SECRET (WHATSAPP_WEBHOOK_SECRET)
 * and the bench admin token (bench/performance.bench.js does that).
 */
async function hubNotifications({ events = EVENTS, rate = RATE, warmup = Math.min(100, events), port: givenPort } = {}) {
  const prefix = `bench-mcp-${randomBytes(3).toString('hex')}`;
  const port = givenPort ?? 40000 + Math.floor(Math.random() * 10000);
  const hub = givenPort ? undefined : await startHubProcess(port, { HUB_ROLE: 'all', HUB_PREFIX: prefix, WHATSAPP_WEBHOOK_SECRET: SECRET });
  const tag = randomBytes(3).toString('hex');
  const agent = new Agent({ connections: 16 });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const waiting = new Map();
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    const id = n.params.data?.data?.id;
    waiting.get(id)?.();
  });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    await client.callTool({ name: 'subscribe_events', arguments: { patterns: ['whatsapp.*'] } });
    await sleep(500);
    const ingest = [];
    const notify = [];
    let lost = 0;
    const send = (i) => new Promise((resolve) => {
      const id = `n-${tag}-${i}`;
      const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id } });
      const at = now();
      const timer = setTimeout(() => { lost++; waiting.delete(id); resolve(); }, 10_000);
      waiting.set(id, () => { clearTimeout(timer); notify.push(now() - at); waiting.delete(id); resolve(); });
      request(`http://127.0.0.1:${port}/webhooks/whatsapp`, {
        method: 'POST', dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
        body,
      }).then(async (res) => { await res.body.dump(); ingest.push(now() - at); }, () => undefined);
    });
    // Warm-up (JIT, connections), then the measured run.
    await openLoop(warmup, (i) => send(`warm-${i}`), rate);
    ingest.length = 0;
    notify.length = 0;
    lost = 0;
    await openLoop(events, send, rate);
    return { ingest: stats(ingest), notification: stats(notify), lost };
  } finally {
    await client.close().catch(() => undefined);
    await agent.close();
    if (hub) {
      await stopProcess(hub);
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, `{${prefix}}:*`);
      redis.disconnect();
    }
  }
}

async function main() {
  const floor = await pubsubFloor();
  const hub = await hubNotifications();
  const result = {
    bench: 'mcp-notify', date: new Date().toISOString(), node: process.version, rate: RATE, events: EVENTS,
    redisPubSubFloor: floor, ingestAnswer: hub.ingest, mcpNotification: hub.notification, notificationsLost: hub.lost,
    ratios: {
      notificationP50OverPubSubP50: +(hub.notification.p50Ms / floor.p50Ms).toFixed(2),
      notificationP50OverIngestP50: +(hub.notification.p50Ms / hub.ingest.p50Ms).toFixed(2),
    },
  };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'mcp-notify.json'), JSON.stringify(result, null, 2));
  console.table({
    'Redis pub/sub hop (floor)': floor,
    'ingest answer (202)': hub.ingest,
    'POST → MCP notification': hub.notification,
  });
  console.log(`ratios: ${JSON.stringify(result.ratios)}; notifications lost: ${hub.lost}`);
}

module.exports = { SECRET, TOKEN, pubsubFloor, hubNotifications, stats };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
