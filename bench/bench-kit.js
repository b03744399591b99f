/*
 * What the benchmarks share: a load run with autocannon, its summary, the compiled hub as a child
 * process, Redis command counters and key cleanup.
 */
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const autocannon = require('autocannon');

const ROOT = join(__dirname, '..');
/** Where the compiled hub to measure lives (its dist/): this checkout, or BENCH_HUB_ROOT (another build). */
const HUB_ROOT = process.env.BENCH_HUB_ROOT ?? ROOT;
const HUB_MAIN = join(HUB_ROOT, 'dist/apps/gateway/src/main.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * POSTs for SECONDS (or `amount` requests) over CONNECTIONS connections; `next()` gives each
 * request's {body, headers, path?, key?}. `onResponse(status, key)`, when given, hears every answer
 * with the key its request was built with (a connection sends one request at a time).
 */
function runLoad(url, next, { connections = CONNECTIONS, seconds = SECONDS, amount, onResponse } = {}) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        ...(amount ? { amount } : { duration: seconds }),
        headers: { 'content-type': 'application/json' },
        requests: [{
          setupRequest: (req, context) => {
            const { body, headers, path, key } = next();
            if (context) context.key = key;
            return { ...req, ...(path ? { path } : {}), body, headers: { ...req.headers, ...headers } };
          },
          ...(onResponse ? { onResponse: (status, _body, context) => onResponse(status, context?.key) } : {}),
        }],
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

/**
 * The compiled hub (dist/) with `env`, once /health answers. `nodeArgs` go before the script (for
 * example --cpu-prof); `stdio` overrides where its output goes.
 */
async function startHubProcess(port, env, { nodeArgs = [], stdio = ['ignore', 'ignore', 'inherit'], root = HUB_ROOT } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist/apps/gateway/src/main.js')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', HUB_ADMIN_TOKEN: 'bench-admin-token-0123456789', RATE_LIMIT_PER_SOURCE: '1000000000', REDIS_URL, ...env },
    stdio,
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 100 && !exited; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('hub did not start');
}

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
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

module.exports = { ROOT, HUB_ROOT, HUB_MAIN, SECONDS, CONNECTIONS, REDIS_URL, runLoad, summary, startHubProcess, stopProcess, redisCounters, deleteKeys };
