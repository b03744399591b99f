#!/usr/bin/env node
/*
 * A/B of two hub builds, side by side: both gateways run at once, each under its own autocannon load
 * of unique signed WhatsApp deliveries, so whatever else the shared cores are doing slows both alike.
 * Compares CPU per request (every thread of each process, from /proc) and requests per second, as the
 * ratio B/A per round and its median. Sequential runs of the same build differ by 20 % on this
 * machine; paired like this, a change of a few percent shows.
 *
 *   node bench/ab-pair.js --a=/path/to/other/checkout [--b=.] [--adapter=express|fastify] [--rounds=3] [--seconds=8]
 *   node bench/ab-pair.js --a=. --b-node-args="--max-old-space-size=192"     # one build, two sets of Node flags
 *
 * Each root needs a built dist/ (e.g. `git worktree add /tmp/old <rev> && cd /tmp/old && ln -s
 * "$OLDPWD/node_modules" && npx nest build`). Redis at REDIS_URL; keys are removed afterwards.
 */
'use strict';
const { join, resolve } = require('node:path');
const B = require('./bench-kit');
const K = require('./perf-kit');

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROOTS = { A: arg('a') && resolve(arg('a')), B: resolve(arg('b', join(__dirname, '..'))) };
const NODE_ARGS = { A: arg('a-node-args', '').split(' ').filter(Boolean), B: arg('b-node-args', '').split(' ').filter(Boolean) };
const ADAPTER = arg('adapter', 'express');
const ROUNDS = Number(arg('rounds', 3));
const SECONDS = Number(arg('seconds', 8));
const CONNECTIONS = Number(arg('connections', 25));
const APP_SECRET = 'bench_app_secret';

async function startHub(root, nodeArgs, prefix) {
  const port = await K.freePort();
  const env = { HUB_ROLE: 'gateway', HTTP_ADAPTER: ADAPTER, HUB_PREFIX: prefix, WHATSAPP_APP_SECRET: APP_SECRET };
  return { port, child: await B.startHubProcess(port, env, { nodeArgs, root }) };
}

function load(port, tag, seconds) {
  let n = 0;
  return B.runLoad(`http://127.0.0.1:${port}/webhooks/whatsapp`, () => {
    const body = K.metaDelivery(`wamid.b-${tag}-${n++}`);
    return { body, headers: { 'x-hub-signature-256': K.metaSignature(APP_SECRET, body) } };
  }, { connections: CONNECTIONS, seconds });
}

async function main() {
  if (!ROOTS.A) throw new Error('--a=<root of build A> is required');
  const redis = new (require('ioredis'))(B.REDIS_URL);
  const rows = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const prefix = (id) => `bench-ab-${process.pid}-${round}-${id}`;
      // Alternate which starts first, in case starting order matters.
      const ids = round % 2 ? ['A', 'B'] : ['B', 'A'];
      const hubs = {};
      for (const id of ids) hubs[id] = await startHub(ROOTS[id], NODE_ARGS[id], prefix(id));
      try {
        await Promise.all(ids.map((id) => load(hubs[id].port, `w${id}${round}`, 2)));
        const before = Object.fromEntries(ids.map((id) => [id, K.cpuSnapshot(hubs[id].child.pid)]));
        const results = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await load(hubs[id].port, `m${id}${round}`, SECONDS)])));
        const row = { round };
        for (const id of ids) {
          const requests = results[id].requests.total;
          row[id] = {
            rps: Math.round(requests / results[id].duration),
            cpuUs: Math.round(K.cpuDeltaNs(before[id], K.cpuSnapshot(hubs[id].child.pid)) / 1e3 / requests),
            rssMb: Math.max(...K.rssOfTree(hubs[id].child.pid).map((p) => p.rssMb)),
            non2xx: results[id].non2xx,
          };
        }
        row.cpu = +(row.B.cpuUs / row.A.cpuUs).toFixed(3);
        row.rps = +(row.B.rps / row.A.rps).toFixed(3);
        rows.push(row);
        console.log(`round ${round}: A ${row.A.rps} req/s ${row.A.cpuUs} us/req ${row.A.rssMb} MB · B ${row.B.rps} req/s ${row.B.cpuUs} us/req ${row.B.rssMb} MB · B/A CPU per request ${row.cpu}, req/s ${row.rps}${row.A.non2xx + row.B.non2xx ? ` (non-2xx: A ${row.A.non2xx}, B ${row.B.non2xx})` : ''}`);
      } finally {
        for (const id of ids) await B.stopProcess(hubs[id].child);
        for (const id of ids) await B.deleteKeys(redis, `{${prefix(id)}}*`);
      }
    }
  } finally {
    await redis.quit();
  }
  console.log(`${ADAPTER}, ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections each: median B/A CPU per request ${K.median(rows.map((r) => r.cpu))}, req/s ${K.median(rows.map((r) => r.rps))}`);
  console.log(`A = ${ROOTS.A} ${NODE_ARGS.A.join(' ')}\nB = ${ROOTS.B} ${NODE_ARGS.B.join(' ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
