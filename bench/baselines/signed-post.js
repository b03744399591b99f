/*
 * The delivery the delivery baselines make (bench/baselines/bullmq-worker.js, undici-sender.js): the
 * body signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature: v1,<base64
 * HMAC-SHA256 of id.timestamp.body with the whsec_ key's bytes>, as
 * libs/delivery/src/standard-webhooks.signer.ts) and POSTed with undici.
 */
'use strict';
const { createHmac } = require('node:crypto');
const { request } = require('undici');

function keyOf(secret) {
  const match = /^whsec_(.+)$/.exec(secret);
  return match ? Buffer.from(match[1], 'base64') : Buffer.from(secret, 'utf8');
}

/** One delivery: signs `body` the Standard Webhooks way and POSTs it; a non-2xx answer throws. */
async function postSigned({ agent, url, key, id, body }) {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`sink answered ${res.statusCode}`);
}

module.exports = { keyOf, postSigned };
