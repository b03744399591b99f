import { fork, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { HttpSink } from './utils/http-sink';
import { SUPERVISOR_PID } from '../apps/gateway/src/worker-supervisor';
import { HUB_MAIN, startLoggedHub } from './utils/hub-process';
import { ADMIN_TOKEN, REDIS_URL, uniquePrefix, waitFor } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

jest.setTimeout(180_000);

const SECRET = 'worker-process-bridge-secret';

interface WorkerProcessDetails {
  status: string;
  state: string;
  pid?: number;
  restarts: number;
  lastExit?: string;
}

/** True while `pid` is a live process (an exited one nobody reaped yet, a zombie, counts as gone). */
function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of `parent`'s live child processes. */
function childrenOf(parent: number): number[] {
  const found = spawnSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean).map(Number).filter(alive);
}

/** The compiled hub with HUB_ROLE=all, as `npm start` runs it, its log (and its worker process's) in a file. */
async function startHub(name: string, env: Record<string, string>) {
  const started = await startLoggedHub(uniquePrefix(`worker-process-${name}`), {
    HUB_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_FORMAT: 'json',
    ALLOW_PRIVATE_TARGETS: 'true',
    WHATSAPP_WEBHOOK_SECRET: SECRET,
    ...env,
  });
  const { base } = started;
  return {
    ...started,
    cleanUp: () => started.cleanUp('SIGKILL'),
    health: async (): Promise<{ status: number; body: { details?: Record<string, unknown> } }> => {
      const res = await fetch(`${base}/health`);
      return { status: res.status, body: (await res.json()) as { details?: Record<string, unknown> } };
    },
    metrics: () => fetch(`${base}/metrics`).then((r) => r.text()),
    subscribe: (token: string, url: string) =>
      fetch(`${base}/api/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url, events: ['whatsapp.*'] }),
      }),
    /** One signed bridge event; resolves with the id the hub gave it. */
    ingest: async (marker: string): Promise<string> => {
      const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: marker } });
      const res = await fetch(`${base}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': sha256Header(SECRET, body) },
        body,
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { accepted: string[] }).accepted[0];
    },
  };
}

type Hub = Awaited<ReturnType<typeof startHub>>;

const workerProcess = async (hub: Hub) => (await hub.health()).body.details?.workerProcess as WorkerProcessDetails | undefined;
const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('HUB_ROLE=all runs the worker half in a child process it supervises (HUB_WORKER_PROCESS=fork, the default)', () => {
  let sink: HttpSink;
  const hubs: Hub[] = [];

  beforeAll(async () => {
    sink = await new HttpSink().start();
  });
  afterAll(async () => {
    await Promise.all(hubs.map((h) => h.cleanUp()));
    await sink.stop();
  });

  const delivered = (eventId: string) => waitFor(async () => sink.received.some((r) => (JSON.parse(r.body) as { id: string }).id === eventId), 30_000, 100);

  it('delivers through the child, restarts it after a SIGKILL, and stops both on SIGTERM', async () => {
    // No HUB_ADMIN_TOKEN: the generated one must be logged once, by the gateway only.
    const hub = await startHub('fork', { HUB_ADMIN_TOKEN: '' });
    hubs.push(hub);
    const parent = hub.hub.pid!;

    const first = await waitFor(async () => {
      const details = await workerProcess(hub);
      return details?.state === 'running' ? details : undefined;
    }, 30_000, 100);
    expect(first).toMatchObject({ status: 'up', state: 'running', restarts: 0 });
    expect(childrenOf(parent)).toEqual([first!.pid]);

    const redis = new Redis(REDIS_URL);
    const token = await redis.get(`{${hub.prefix}}:admin-token`);
    redis.disconnect();
    expect(token).toBeTruthy();
    const sub = await hub.subscribe(token!, sink.url('/fork'));
    expect(sub.status).toBe(201);

    const before = await hub.ingest('before-kill');
    expect(await delivered(before)).toBe(true);

    process.kill(first!.pid!, 'SIGKILL');
    const second = await waitFor(async () => {
      const details = await workerProcess(hub);
      return details?.state === 'running' && details.pid !== first!.pid ? details : undefined;
    }, 30_000, 100);
    expect(second).toMatchObject({ status: 'up', state: 'running', restarts: 1, lastExit: 'signal SIGKILL' });
    expect(alive(first!.pid)).toBe(false);
    expect(childrenOf(parent)).toEqual([second!.pid]);

    const after = await hub.ingest('after-kill');
    expect(await delivered(after)).toBe(true);

    // The gateway's /metrics carries the restart and the delivery the child made.
    const text = await waitFor(async () => {
      const t = await hub.metrics();
      return value(t, 'hub_delivery_attempts_total{result="succeeded",error_kind="none"}') >= 1 ? t : undefined;
    }, 15_000, 200);
    expect(text).toBeTruthy();
    expect(value(text!, 'hub_worker_process_restarts_total')).toBe(1);
    expect(value(text!, 'hub_ingress_requests_total{source="whatsapp",outcome="accepted"}')).toBe(2);

    const exit = await hub.hub.stop('SIGTERM');
    // Nest's shutdown hooks end the process by raising the signal again once everything closed; a shutdown
    // that overran the grace period exits with code 1 instead.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await waitFor(async () => !alive(second!.pid), 10_000, 100)).toBe(true);

    const log = hub.log();
    expect(log).toContain(`the worker process (pid ${first!.pid}) ended unexpectedly (signal SIGKILL); starting it again in 1 s (restart 1)`);
    expect(log).not.toContain('shutdown did not finish');
    expect(log.split(token!).length - 1).toBe(1);
    expect(log).toContain('webhook hub (worker) listening on http://127.0.0.1:');
    expect(log).not.toContain('started its own redis-server');
  });

  it('takes its worker process along when the gateway is killed with SIGKILL', async () => {
    const hub = await startHub('orphan', {});
    hubs.push(hub);
    const child = await waitFor(async () => {
      const details = await workerProcess(hub);
      return details?.state === 'running' ? details.pid : undefined;
    }, 30_000, 100);
    expect(alive(child)).toBe(true);
    await hub.hub.stop('SIGKILL');
    // The IPC channel closed with the gateway: the child shuts down as on SIGTERM.
    expect(await waitFor(async () => !alive(child), 30_000, 100)).toBe(true);
  });

  it('a worker whose gateway died before it started (it was handed to init) ends at once instead of running unsupervised', async () => {
    // As the gateway forks it, but with a supervisor pid that is not its parent: what the child sees when
    // the gateway was SIGKILLed between fork() and the child's first line.
    const orphan = fork(HUB_MAIN, [], {
      env: { ...process.env, HUB_ROLE: 'worker', HUB_PREFIX: uniquePrefix('worker-process-unborn'), REDIS_URL, HUB_ADMIN_TOKEN: ADMIN_TOKEN, PORT: '0', HOST: '127.0.0.1', [SUPERVISOR_PID]: String(process.pid + 1_000_000) },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => orphan.once('exit', (code, signal) => resolve({ code, signal })));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([ended, new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 20_000)))]);
    clearTimeout(timer);
    if (outcome === 'still running') orphan.kill('SIGKILL');
    expect(outcome).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('HUB_WORKER_PROCESS=inline keeps gateway and worker in one process', async () => {
    const hub = await startHub('inline', { HUB_WORKER_PROCESS: 'inline' });
    hubs.push(hub);
    const health = await hub.health();
    expect(health.status).toBe(200);
    expect(health.body.details).not.toHaveProperty('workerProcess');
    expect((await hub.subscribe(ADMIN_TOKEN, sink.url('/inline'))).status).toBe(201);
    const id = await hub.ingest('inline');
    expect(await delivered(id)).toBe(true);
    expect(childrenOf(hub.hub.pid!)).toEqual([]);
    expect(await hub.metrics()).not.toContain('hub_worker_process_restarts_total');
    expect(await hub.hub.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
  });
});
