/*
 * What bench/performance.bench.js needs beside bench-kit.js: child processes that report their port
 * over IPC, free ports, CPU time and RSS read from /proc (so the hub needs no cooperation), an open-
 * loop sender, percentiles and medians, the signed WhatsApp bodies, machine facts and a text table.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { createHmac } = require('node:crypto');
const { readFileSync, readdirSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');

const nowNs = () => Number(process.hrtime.bigint());
const nowMs = () => nowNs() / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `node [nodeArgs] script` with `env` and an IPC channel; resolves with {child, port, pid} once the
 * child sends {ready: true, port?}.
 */
function spawnChild(script, env, { nodeArgs = [], timeoutMs = 20_000 } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not report ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before it was ready (${signal ?? code})`));
    });
    child.on('message', (message) => {
      if (message?.ready) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, port: message.port, pid: child.pid });
      }
    });
  });
}

/** A request/answer over a child's IPC channel (messages carry a `rid`). */
function ask(child, message, timeoutMs = 10_000) {
  const rid = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no answer to ${message.op} within ${timeoutMs} ms`));
    }, timeoutMs);
    function onMessage(answer) {
      if (answer?.rid !== rid) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(answer);
    }
    child.on('message', onMessage);
    child.send({ ...message, rid });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
async function stopChild(child, graceMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function readProc(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it (a hub that forks workers counts as all of them). */
function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(`/proc/${entry}/stat`);
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const tree = [];
  const visit = (p) => {
    tree.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  if (readProc(`/proc/${pid}/stat`)) visit(pid);
  return tree;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time of one process in ns: the sum of its threads' on-CPU time from /proc/<pid>/task/<tid>/schedstat
 * (nanosecond resolution; V8's GC and compiler threads and libuv's pool included). Where schedstat
 * reads 0 (kernels without it), utime+stime from /proc/<pid>/stat (clock ticks, 10 ms).
 */
function processCpuNs(pid) {
  let ns = 0;
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) ns += Number((readProc(`/proc/${pid}/task/${tid}/schedstat`) ?? '0').split(' ')[0]) || 0;
  if (ns > 0) return ns;
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e9) / CLK_TCK;
}

/** {pid: cpuNs} for a process tree, for cpuDelta(). */
function cpuSnapshot(rootPid) {
  return new Map(processTree(rootPid).map((pid) => [pid, processCpuNs(pid)]));
}

/** CPU ns the tree used between two snapshots (a process born in between counts from its start). */
function cpuDeltaNs(before, after) {
  let ns = 0;
  for (const [pid, value] of after) ns += value - (before.get(pid) ?? 0);
  return ns;
}

/** VmRSS in MB of each process of the tree: [{pid, name, rssMb}]. */
function rssOfTree(rootPid) {
  return processTree(rootPid).map((pid) => {
    const status = readProc(`/proc/${pid}/status`) ?? '';
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? '?';
    return { pid, name, rssMb: +(kb / 1024).toFixed(1) };
  });
}

/**
 * Open loop: starts `send(i)` at start + i * 1000/rate ms, whatever earlier sends are doing (late ticks
 * catch up at once, so the rate holds over the run), for `seconds`; resolves with the count once every
 * send has settled.
 */
async function openLoop({ rate, seconds, send }) {
  const count = Math.max(1, Math.round(rate * seconds));
  const started = nowMs();
  const running = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - nowMs();
    if (wait > 1) await sleep(wait);
    running.push(send(i));
  }
  await Promise.allSettled(running);
  return count;
}

/** Nearest-rank percentiles of `values` (ms), rounded to 0.01 ms. */
function latencyStats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (!n) return { n: 0, p50Ms: null, p99Ms: null, maxMs: null, meanMs: null };
  const at = (p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  const round = (v) => +v.toFixed(2);
  return { n, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(sorted[n - 1]), meanMs: round(sorted.reduce((a, b) => a + b, 0) / n) };
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? +(a / b).toFixed(3) : null);

/** A Meta Cloud API delivery with one text message whose id is `wamid` (the hub's dedupe key). */
function metaDelivery(wamid) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
      messages: [{ from: '16505551234', id: wamid, timestamp: '1749416383', type: 'text', text: { body: 'Does it come in another color? \u00e9' } }],
    } }] }],
  });
}

/** `X-Hub-Signature-256` as Meta sends it. */
const metaSignature = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function git(root, args) {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

function gitInfo(root) {
  const status = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return { commit: git(root, ['rev-parse', 'HEAD']), branch: git(root, ['rev-parse', '--abbrev-ref', 'HEAD']), dirty: status === null ? null : status.length > 0 };
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => +l.toFixed(2)),
  };
}

/** Rows of equal-length columns; `columns` = [{key, title, align?}]. */
function renderTable(rows, columns) {
  const cell = (row, c) => (row[c.key] === undefined || row[c.key] === null ? '' : String(row[c.key]));
  const widths = columns.map((c) => Math.max(c.title.length, ...rows.map((r) => cell(r, c).length)));
  const line = (values) => values.map((v, i) => (columns[i].align === 'right' ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => (r.section ? `\n${r.section}` : line(columns.map((c) => cell(r, c)))))].join('\n');
}

module.exports = {
  nowNs, nowMs, sleep, freePort, spawnChild, ask, stopChild, processTree, processCpuNs, cpuSnapshot, cpuDeltaNs, rssOfTree,
  openLoop, latencyStats, median, ratio, metaDelivery, metaSignature, gitInfo, machineInfo, renderTable,
};
