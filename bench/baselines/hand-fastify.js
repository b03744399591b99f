#!/usr/bin/env node
/*
 * Baseline: the WhatsApp (Meta Cloud API) receiver a user would write by hand with Fastify 5.
 * Exactly: raw body, HMAC-SHA256 over the raw bytes compared with timingSafeEqual against
 * `X-Hub-Signature-256: sha256=<hex>`, JSON.parse, one ioredis pipeline
 * `SET <dedupe key> 1 NX EX 86400` + `XADD <stream> MAXLEN ~ 100000 * ...`, then 202.
 *
 * PORT (default 0), REDIS_URL, BASELINE_PREFIX (every key starts with it), WHATSAPP_APP_SECRET.
 */
'use strict';
const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const Fastify = require('fastify');
const Redis = require('ioredis');
const { announce } = require('./baseline-process');

const SECRET = process.env.WHATSAPP_APP_SECRET ?? 'bench_app_secret';
const PREFIX = process.env.BASELINE_PREFIX ?? 'hand-fastify';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024, keepAliveTimeout: 60_000 });
// The raw bytes, whatever the content type says: the signature is over them, never over re-serialised JSON.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.post('/webhooks/whatsapp', async (req, reply) => {
  const header = req.headers['x-hub-signature-256'];
  const match = SIGNATURE.exec(typeof header === 'string' ? header : '');
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const expected = createHmac('sha256', SECRET).update(raw).digest();
  if (!match || !timingSafeEqual(expected, Buffer.from(match[1], 'hex'))) {
    return reply.code(401).send({ error: 'invalid signature' });
  }
  let payload;
  try {
    payload = JSON.parse(raw.toString('utf8'));
  } catch {
    return reply.code(400).send({ error: 'invalid JSON' });
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
    if (set === null) return reply.code(200).send({ duplicate: true });
    return reply.code(202).send({ accepted: [id] });
  } catch {
    return reply.code(503).send({ error: 'store unavailable' });
  }
});

app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' }).then(() =>
  announce('hand-fastify', app.server.address().port, async () => {
    await app.close();
    await redis.quit();
  }),
);
