/*
 * What the benchmarks share: a load run with autocannon, its summary, the compiled hub as a child
 * process, Redis command counters and key cleanup.
 */
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const autocannon = require('autocannon');

const ROOT = join(__dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * POSTs for SECONDS (or `amount` requests) over CONNECTIONS connections; `next()` gives each
 * request's {body, headers, path?}.
 */
function runLoad(url, next, { connections = CONNECTIONS, seconds = SECONDS, amount } = {}) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        ...(amount ? { amount } : { duration: seconds }),
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => { const { body, headers, path } = next(); return { ...req, ...(path ? { path } : {}), body, headers: { ...req.headers, ...headers } }; } }],
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

/** The compiled hub (dist/) with `env`, once /health answers. */
async function startHubProcess(port, env) {
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps/gateway/src/main.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', HUB_ADMIN_TOKEN: 'bench-admin-token-0123456789', RATE_LIMIT_PER_SOURCE: '1000000000', REDIS_URL, ...env },
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

async function stopProcess(child) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** Commands Redis executed (script internals included) and script calls (one per round trip for scripts). */
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

module.exports = { ROOT, SECONDS, CONNECTIONS, REDIS_URL, runLoad, summary, startHubProcess, stopProcess, redisCounters, deleteKeys };
