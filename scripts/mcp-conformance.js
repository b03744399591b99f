#!/usr/bin/env node
/**
 * `npm run test:mcp-conformance`: the MCP conformance suite as a second outside client.
 *
 * Starts the compiled hub (building it if dist/ is missing) on 127.0.0.1 with a free port,
 * MCP_AUTH=off (the suite sends no bearer token; the hub allows that only on loopback) and a unique
 * HUB_PREFIX; waits for /health; runs
 *   npx -y @modelcontextprotocol/conformance@0.1.13 server --url http://127.0.0.1:<port>/mcp
 *       --expected-failures test/mcp-conformance-expected-failures.yml
 * then stops the hub, deletes the prefix's keys and exits with the suite's exit code.
 * 0.1.13 is the last suite release that runs on Node 20. Extra arguments go to the suite
 * (e.g. `-- --scenario ping --verbose`). Needs Redis at REDIS_URL (default redis://127.0.0.1:6379);
 * HUB_DIST points at another build directory (default dist).
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync } = require('node:fs');
const net = require('node:net');
const { join, resolve } = require('node:path');
const Redis = require('ioredis');

const ROOT = resolve(__dirname, '..');
const SUITE = '@modelcontextprotocol/conformance@0.1.13';
const EXPECTED_FAILURES = join(ROOT, 'test', 'mcp-conformance-expected-failures.yml');
const DIST = resolve(ROOT, process.env.HUB_DIST || 'dist');
const MAIN = join(DIST, 'apps', 'gateway', 'src', 'main.js');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

function log(message) {
  process.stderr.write(`[mcp-conformance] ${message}\n`);
}

async function checkRedis() {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis at ${REDIS_URL} is not reachable (${error.message}); start one or set REDIS_URL`);
  } finally {
    redis.disconnect();
  }
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForHealth(baseUrl, hub, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (hub.exitCode !== null) throw new Error(`the hub exited with code ${hub.exitCode} before it was healthy`);
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the hub was not healthy at ${baseUrl}/health within ${timeoutMs / 1000} s`);
}

function stopHub(hub) {
  if (hub.exitCode !== null || hub.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => hub.kill('SIGKILL'), 10_000);
    hub.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    hub.kill('SIGTERM');
  });
}

async function deletePrefix(prefix) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
    if (keys.length) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
  return deleted;
}

function runSuite(url, extraArgs) {
  const args = ['-y', SUITE, 'server', '--url', url, '--expected-failures', EXPECTED_FAILURES, ...extraArgs];
  log(`npx ${args.join(' ')}`);
  return new Promise((done) => {
    const suite = spawn('npx', args, { cwd: ROOT, stdio: 'inherit' });
    suite.on('error', (error) => {
      log(`could not start the suite: ${error.message}`);
      done(2);
    });
    suite.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  if (!existsSync(MAIN)) {
    log(`${MAIN} is missing: building (nest build)`);
    const build = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0 || !existsSync(MAIN)) throw new Error('nest build failed');
  }
  await checkRedis();
  const port = await freePort();
  const prefix = `mcp-conformance-${randomBytes(4).toString('hex')}`;
  const baseUrl = `http://127.0.0.1:${port}`;
  const hubEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    MCP_AUTH: 'off',
    HUB_PREFIX: prefix,
    HUB_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    LOG_LEVEL: 'warn',
    REDIS_URL,
  };
  log(`starting the hub: ${MAIN} on ${baseUrl}, prefix ${prefix}`);
  const hub = spawn(process.execPath, [MAIN], { cwd: ROOT, env: hubEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  let code = 1;
  const interrupt = () => void stopHub(hub);
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    await waitForHealth(baseUrl, hub, 20_000);
    code = await runSuite(`${baseUrl}/mcp`, process.argv.slice(2));
  } finally {
    await stopHub(hub);
    const deleted = await deletePrefix(prefix).catch((error) => {
      log(`could not delete the keys of ${prefix}: ${error.message}`);
      return 0;
    });
    log(`hub stopped, ${deleted} keys of {${prefix}} deleted; suite exit code ${code}`);
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(error.message);
    process.exit(2);
  },
);
