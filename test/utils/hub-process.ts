import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { REDIS_URL, deleteKeys, freePort, waitFor } from './hub-test-app';

/** The compiled hub (npm test and npm run test:chaos build it first). */
export const HUB_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'gateway', 'src', 'main.js');

/**
 * One hub process (`node dist/.../main.js`) with its own environment, as an operator runs it: for
 * failures an in-process hub cannot have (SIGKILL). Its log goes to `logFile` when given.
 */
export class HubProcess {
  private child?: ChildProcess;

  constructor(
    readonly env: Record<string, string>,
    private readonly logFile?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process; with a PORT, waits until /health answers (200 or 503). */
  async start(): Promise<this> {
    if (!existsSync(HUB_MAIN)) throw new Error(`${HUB_MAIN} is missing: run npm run build first`);
    const child = spawn(process.execPath, [HUB_MAIN], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.logFile) {
      mkdirSync(join(this.logFile, '..'), { recursive: true });
      const log = createWriteStream(this.logFile, { flags: 'a' });
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
    } else {
      child.stdout!.resume();
      child.stderr!.resume();
    }
    this.child = child;
    const port = Number(this.env.PORT);
    if (port > 0) {
      const up = await waitFor(async () => {
        if (!this.running) throw new Error(`hub process (${this.env.HUB_ROLE ?? 'all'}) exited during start${this.logFile ? `; see ${this.logFile}` : ''}`);
        return fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status > 0, () => false);
      }, 30_000, 100);
      if (!up) throw new Error(`hub process on port ${port} did not answer /health within 30 s`);
    }
    return this;
  }

  /** Sends a signal and waits for the exit (SIGKILL: nothing runs on the way out); says how it ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    const child = this.child;
    if (!child || !this.running) return undefined;
    return new Promise((resolve) => {
      child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
      child.kill(signal);
    });
  }
}

/**
 * The compiled hub as `npm start` runs it (HUB_ROLE=all unless `env` says otherwise) on a free loopback
 * port, at LOG_LEVEL=info, with its log (and a forked worker's) in a file. `cleanUp` ends it, then
 * deletes its log and its keys.
 */
export async function startLoggedHub(prefix: string, env: Record<string, string>) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = join(tmpdir(), `hub-${prefix}.log`);
  rmSync(logFile, { force: true });
  const hub = await new HubProcess(
    { HUB_PREFIX: prefix, HUB_ROLE: 'all', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: base, REDIS_URL, LOG_LEVEL: 'info', ...env },
    logFile,
  ).start();
  return {
    hub,
    prefix,
    base,
    log: () => readFileSync(logFile, 'utf8'),
    cleanUp: async (signal: NodeJS.Signals = 'SIGTERM') => {
      await hub.stop(signal);
      rmSync(logFile, { force: true });
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, `{${prefix}}:*`);
      redis.disconnect();
    },
  };
}
