#!/usr/bin/env node
/*
 * Baseline: the delivery worker a user would write by hand with BullMQ. Jobs hold the exact body to
 * send; a Worker with the hub's default concurrency (DELIVERY_CONCURRENCY) signs each body the
 * Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of
 * id.timestamp.body with the whsec_ key's bytes>, as libs/delivery/src/standard-webhooks.signer.ts)
 * and POSTs it with undici over a keep-alive pool; a non-2xx answer fails the job so BullMQ retries it.
 *
 * As a child process (bench/performance.bench.js): REDIS_URL, BASELINE_PREFIX, QUEUE (default
 * "deliveries"), CONCURRENCY (default 32), SINK_URL, WEBHOOK_SECRET (whsec_...). The parent queues
 * the jobs first with `enqueue()` from this file, then starts the process and times the drain at the sink.
 */
'use strict';
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');
const { Agent } = require('undici');
const { keyOf, postSigned } = require('./signed-post');

const DEFAULT_QUEUE = 'deliveries';
const JOB_OPTIONS = { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 14 * 86_400 } };

/** Queues `jobs` ([{id, body}]) in bulk, 1000 at a time; resolves when they are all waiting. */
async function enqueue({ redisUrl, prefix, queueName = DEFAULT_QUEUE, jobs }) {
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix: `${prefix}:bull` });
  for (let i = 0; i < jobs.length; i += 1000) {
    await queue.addBulk(jobs.slice(i, i + 1000).map((job) => ({ name: 'deliver', data: job, opts: { ...JOB_OPTIONS, jobId: job.id } })));
  }
  await queue.close();
  await connection.quit();
}

function main() {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = process.env.BASELINE_PREFIX ?? 'bullmq-baseline';
  const sinkUrl = process.env.SINK_URL;
  if (!sinkUrl) throw new Error('SINK_URL is required');
  const key = keyOf(process.env.WEBHOOK_SECRET ?? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(
    process.env.QUEUE ?? DEFAULT_QUEUE,
    async (job) => {
      const { id, body } = job.data;
      await postSigned({ agent, url: sinkUrl, key, id, body });
    },
    { connection, prefix: `${prefix}:bull`, concurrency: Number(process.env.CONCURRENCY ?? 32) },
  );
  worker.on('error', (error) => process.stderr.write(`bullmq baseline: ${error.message}\n`));
  worker.waitUntilReady().then(() => {
    if (process.send) process.send({ ready: true, name: 'bullmq-worker', pid: process.pid });
    else console.log(`bullmq baseline worker running (pid ${process.pid})`);
  });
  const stop = async () => {
    setTimeout(() => process.exit(0), 3000).unref();
    await worker.close().catch(() => undefined);
    await agent.close().catch(() => undefined);
    await connection.quit().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

if (require.main === module) main();

module.exports = { enqueue, DEFAULT_QUEUE };
