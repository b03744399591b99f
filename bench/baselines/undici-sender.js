#!/usr/bin/env node
/*
 * Floor of any delivery worker that uses undici: no queue, no Redis, nothing recorded. It makes the
 * bare BullMQ worker's own signed POST (bench/baselines/signed-post.js: Standard Webhooks signature,
 * undici over a keep-alive pool), CONCURRENCY at a time, to the same sink. Its CPU per delivery is
 * what the HTTP client and the signature cost alone; the delivery-capacity target is set against it
 * in docs/performance.md (what a worker may spend at 1.5x the bare BullMQ worker's rate).
 *
 * As a child process (bench/performance.bench.js): SINK_URL, CONCURRENCY (default 32), WEBHOOK_SECRET;
 * the parent hands it the bodies ({op: 'load', bodies: [{id, body}]}) before it starts timing, then
 * says {op: 'send'}, which is answered {sent, failed} once every POST has its answer.
 */
'use strict';
const { Agent } = require('undici');
// The bare BullMQ worker's own POST, so the two differ by the queue only.
const { keyOf, postSigned } = require('./signed-post');

function main() {
  const sinkUrl = process.env.SINK_URL;
  if (!sinkUrl) throw new Error('SINK_URL is required');
  const key = keyOf(process.env.WEBHOOK_SECRET ?? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const concurrency = Number(process.env.CONCURRENCY ?? 32);
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  let bodies = [];

  process.on('message', async (message) => {
    if (message?.op === 'load') {
      bodies = message.bodies;
      process.send({ rid: message.rid, loaded: bodies.length });
    } else if (message?.op === 'send') {
      let next = 0;
      let failed = 0;
      const lane = async () => {
        while (next < bodies.length) {
          const { id, body } = bodies[next++];
          await postSigned({ agent, url: sinkUrl, key, id, body }).catch(() => failed++);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
      process.send({ rid: message.rid, sent: bodies.length - failed, failed });
    }
  });
  process.send({ ready: true, name: 'undici-sender', pid: process.pid });
  process.once('disconnect', () => agent.close().finally(() => process.exit(0)));
  process.once('SIGTERM', () => agent.close().finally(() => process.exit(0)));
}

main();
