import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestartBackoff, SupervisorLogger, WorkerSupervisor } from './worker-supervisor';

jest.setTimeout(60_000);

/**
 * A child speaking the supervisor's protocol: metrics on request, a short graceful stop on SIGTERM,
 * then ready. Ready comes last, as in the real worker: a SIGTERM that arrived before its handler was
 * installed would end it the default way (seen once on a loaded machine when ready came first).
 */
const WORKER = `
process.on('message', (m) => {
  if (m && m.hub === 'metrics-request') process.send({ hub: 'metrics', id: m.id, metrics: [{ name: 'from_child', pid: process.pid }] });
});
process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300));
process.once('disconnect', () => process.exit(0));
setInterval(() => undefined, 1000);
process.send({ hub: 'ready' });
`;
/** A child that fails at once, every time. */
const CRASH = `process.exit(3);`;

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((done) => setTimeout(done, 25));
  }
}

describe('RestartBackoff', () => {
  it('waits 1 s, doubling up to 30 s, and 1 s again after a process stayed up a while', () => {
    const backoff = new RestartBackoff();
    expect([0, 0, 0, 0, 0, 0, 0].map(() => backoff.next(500))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(backoff.next(60_000)).toBe(1_000);
    expect(backoff.next(10)).toBe(2_000);
  });
});

describe('WorkerSupervisor (real child processes)', () => {
  let dir: string;
  const supervisors: WorkerSupervisor[] = [];
  const lines: string[] = [];
  const logger: SupervisorLogger = { log: (m) => lines.push(`log ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };

  const supervise = (script: string, env: NodeJS.ProcessEnv = {}) => {
    const supervisor = new WorkerSupervisor({ script: join(dir, script), env: () => ({ ...process.env, ...env }), logger, backoff: new RestartBackoff(50, 400, 60_000) });
    supervisors.push(supervisor);
    return supervisor;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'worker-supervisor-'));
    writeFileSync(join(dir, 'worker.js'), WORKER);
    writeFileSync(join(dir, 'crash.js'), CRASH);
  });
  afterEach(async () => {
    await Promise.all(supervisors.splice(0).map((s) => s.stop('SIGKILL')));
    lines.length = 0;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the child, reports it running and relays its metrics', async () => {
    const supervisor = supervise('worker.js');
    supervisor.start();
    await until(() => supervisor.status.state === 'running');
    const { pid } = supervisor.status;
    expect(alive(pid)).toBe(true);
    expect(await supervisor.requestMetrics()).toEqual([{ name: 'from_child', pid }]);
    expect(lines).toContain(`log the worker process (pid ${pid}) is running`);
  });

  it('restarts a child killed with SIGKILL, logging the signal, and counts the restart', async () => {
    const supervisor = supervise('worker.js');
    const restarts: number[] = [];
    supervisor.onRestart((status) => restarts.push(status.restarts));
    supervisor.start();
    await until(() => supervisor.status.state === 'running');
    const first = supervisor.status.pid!;
    process.kill(first, 'SIGKILL');
    const second = await until(() => supervisor.status.state === 'running' && supervisor.status.pid !== first && supervisor.status.pid);
    expect(alive(second)).toBe(true);
    expect(supervisor.status).toMatchObject({ restarts: 1, lastExit: 'signal SIGKILL' });
    expect(restarts).toEqual([1]);
    expect(lines.some((l) => l.startsWith(`error the worker process (pid ${first}) ended unexpectedly (signal SIGKILL)`))).toBe(true);
  });

  it('keeps restarting a child that fails at once, with growing delays, until stopped', async () => {
    const supervisor = supervise('crash.js');
    supervisor.start();
    await until(() => supervisor.status.restarts >= 4);
    expect(supervisor.status.lastExit).toBe('exit code 3');
    const delays = lines.filter((l) => l.includes('ended unexpectedly')).map((l) => Number(/again in ([\d.]+) s/.exec(l)?.[1]) * 1000);
    expect(delays.slice(0, 4)).toEqual([50, 100, 200, 400]);
    await supervisor.stop();
    const after = supervisor.status.restarts;
    expect(supervisor.status.state).toBe('stopped');
    // Stopped means stopped: no start is pending (the longest delay here is 400 ms).
    await new Promise((done) => setTimeout(done, 1_000));
    expect(supervisor.status).toMatchObject({ state: 'stopped', restarts: after });
  });

  it('passes SIGTERM on and resolves only once the child has exited, without restarting it', async () => {
    const supervisor = supervise('worker.js');
    supervisor.start();
    await until(() => supervisor.status.state === 'running');
    const { pid } = supervisor.status;
    await supervisor.stop('SIGTERM');
    expect(alive(pid)).toBe(false);
    expect(supervisor.status).toMatchObject({ state: 'stopped', restarts: 0, lastExit: 'exit code 0' });
    expect(await supervisor.requestMetrics()).toBeUndefined();
  });

  it('gives the child the environment it is given', async () => {
    writeFileSync(join(dir, 'env.js'), `process.send({ hub: 'ready' }); process.exit(process.env.SUPERVISOR_SPEC === 'yes' ? 7 : 8);`);
    const supervisor = supervise('env.js', { SUPERVISOR_SPEC: 'yes' });
    supervisor.start();
    await until(() => supervisor.status.restarts >= 1);
    expect(supervisor.status.lastExit).toBe('exit code 7');
  });
});
