#!/usr/bin/env node
/*
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. BENCH_HUB_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" npm run bench -- --only=ingest) by where the time goes:
 *   - self time per category: a package under node_modules, the hub's own code (dist/libs/<lib>,
 *     dist/apps/<app>), a Node core module, or V8's (garbage collector) / (program) / (idle);
 *   - inclusive time per category (a sample counts for every category on its stack: "pino-http and
 *     everything it calls");
 *   - the functions with the most self time.
 * Percentages are of the busy time (idle excluded). `--from` / `--to` (µs on the monotonic clock, as
 * process.hrtime and V8's profile timestamps both use on Linux) keep only the samples of one window,
 * e.g. a measured run's `loadWindowUs` in bench/results/latest.json, so boot and warm-up do not count.
 *
 *   node bench/profile-summary.js <file.cpuprofile> [--from=<us>] [--to=<us>] [--top=25] [--json]
 */
'use strict';
const { readFileSync } = require('node:fs');

function categoryOf(frame) {
  const { url, functionName } = frame;
  if (!url) {
    if (/^\((garbage collector|idle|program|root)\)$/.test(functionName)) return functionName;
    return '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const hub = /\/dist\/(libs|apps)\/([^/]+)/.exec(url);
  if (hub) return `hub:${hub[2]}`;
  const core = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (core) return `node:${core[1].replace(/\.js$/, '')}`;
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

function summarise(profile, { top = 25, fromUs = -Infinity, toUs = Infinity } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByNode = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const id = profile.samples[i];
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const self = new Map();
  const inclusive = new Map();
  const functions = new Map();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfByNode) {
    const node = byId.get(id);
    const category = categoryOf(node.callFrame);
    if (category === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    self.set(category, (self.get(category) ?? 0) + us);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${categoryOf(node.callFrame)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    const seen = new Set();
    for (let up = id; up !== undefined; up = parent.get(up)) seen.add(categoryOf(byId.get(up).callFrame));
    for (const c of seen) inclusive.set(c, (inclusive.get(c) ?? 0) + us);
  }
  const pct = (us) => +((100 * us) / busy).toFixed(1);
  const sorted = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: pct(us) }));
  return {
    busyMs: Math.round(busy / 1000), idleMs: Math.round(idle / 1000),
    selfByCategory: sorted(self, top),
    inclusiveByCategory: sorted(new Map([...inclusive].filter(([c]) => !/^\((root|program)\)$/.test(c))), top),
    topFunctions: sorted(functions, top),
  };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile-summary.js <file.cpuprofile> [--top=25] [--json]');
    process.exit(2);
  }
  const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  const summary = summarise(JSON.parse(readFileSync(file, 'utf8')), { top: option('top', 25), fromUs: option('from', -Infinity), toUs: option('to', Infinity) });
  if (process.argv.includes('--json')) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`busy ${summary.busyMs} ms, idle ${summary.idleMs} ms`);
    for (const [title, rows] of [['self time by category', summary.selfByCategory], ['inclusive time by category', summary.inclusiveByCategory], ['functions by self time', summary.topFunctions]]) {
      console.log(`\n${title}`);
      for (const r of rows) console.log(`${String(r.percent).padStart(6)} %  ${String(r.ms).padStart(7)} ms  ${r.name}`);
    }
  }
}

module.exports = { summarise, categoryOf };
