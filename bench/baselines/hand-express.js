#!/usr/bin/env node
/*
 * Baseline: the WhatsApp (Meta Cloud API) receiver a user would write by hand with Express 5.
 * Exactly: raw body, HMAC-SHA256 over the raw bytes compared with timingSafeEqual against
 * `X-Hub-Signature-256: sha256=<hex>`, JSON.parse, one ioredis pipeline
 * `SET <dedupe key> 1 NX EX 86400` + `XADD <stream> MAXLEN ~ 100000 * ...`, then 202.
 *
 * PORT (default 0), REDIS_URL, BASELINE_PREFIX (every key starts with it), WHATSAPP_APP_SECRET.
 */
'use strict';
const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const express = require('express');
const Redis = require('ioredis');
const { announce } = require('./baseline-process');

const SECRET = process.env.WHATSAPP_APP_SECRET ?? 'bench_app_secret';
const PREFIX = process.env.BASELINE_PREFIX ?? 'hand-express';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

const app = express();
app.disable('x-powered-by');
app.post('/webhooks/whatsapp', express.raw({ type: () => true, limit: '4mb' }), async (req, res) => {
  const match = SIGNATURE.exec(req.get('x-hub-signature-256') ?? '');
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const expected = createHmac('sha256', SECRET).update(raw).digest();
  if (!match || !timingSafeEqual(expected, Buffer.from(match[1], 'hex'))) {
    return res.status(401).json({ error: 'invalid signature' });
  }
  let payload;
  try {
    payload = JSON.parse(raw.toString('utf8'));
  } catch {
    return res.status(400).json({ error: 'invalid JSON' });
  }
  const message = payload?.entry?.[0]?.changes?.[0]?.value?.messages?.[0];
  const dedupeKey = `${PREFIX}:dedupe:${message?.id ?? randomUUID()}`;
  const id = `evt_${randomUUID()}`;
  const event = JSON.stringify({ id, source: 'whatsapp', type: 'whatsapp.message.received', receivedAt: new Date().toISOString(), data: payload });
  try {
    const [[, set]] = await redis
      .pipeline()
      .set(dedupeKey, '1', 'EX', 86400, 'NX')
      .xadd(`${PREFIX}:events`, 'MAXLEN', '~', 100000, '*', 'id', id, 'type', 'whatsapp.message.received', 'event', event)
      .exec();
    if (set === null) return res.status(200).json({ duplicate: true });
    return res.status(202).json({ accepted: [id] });
  } catch {
    return res.status(503).json({ error: 'store unavailable' });
  }
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
  announce('hand-express', server.address().port, async () => {
    await new Promise((r) => server.close(r));
    await redis.quit();
  }),
);
server.keepAliveTimeout = 60_000;
