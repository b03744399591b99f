import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import Redis from 'ioredis';
import { answers } from '../apps/gateway/src/local-redis.launcher';
import { HUB_MAIN } from './utils/hub-process';
import { ADMIN_TOKEN, freePort, uniquePrefix, waitFor } from './utils/hub-test-app';
import { sha256Header } from './utils/signatures';

jest.setTimeout(120_000);

const SECRET = 'local-redis-bridge-secret';

/** The compiled hub as `npm start` runs it, in its own working directory, without REDIS_URL. */
class HubInDir {
  readonly child: ChildProcess;
  private out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(cwd: string, env: Record<string, string>) {
    if (!existsSync(HUB_MAIN)) throw new Error(`${HUB_MAIN} is missing: run npx nest build first`);
    const base: Record<string, string | undefined> = { ...process.env };
    delete base.REDIS_URL;
    delete base.LOCAL_REDIS_PORT;
    // process.execPath: the test can take redis-server off PATH and still run node.
    this.child = spawn(process.execPath, [HUB_MAIN], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((done) => this.child.once('exit', (code, signal) => done({ code, signal })));
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

/** Two distinct spare loopback ports: the hub's HTTP port and the one its Redis is probed and started on. */
async function twoPorts(): Promise<[number, number]> {
  const http = await freePort();
  let redis = await freePort();
  while (redis === http) redis = await freePort();
  return [http, redis];
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function onPath(name: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, name))
    .find((path) => path.length > name.length + 1 && existsSync(path));
}

describe('npm start brings its own Redis (no REDIS_URL, nothing on the port)', () => {
  const dirs: string[] = [];
  const hubs: HubInDir[] = [];
  const redisPorts: number[] = [];

  function workDir(): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hub-local-redis-')));
    dirs.push(dir);
    return dir;
  }

  async function startedHub(extraEnv: Record<string, string> = {}): Promise<{ hub: HubInDir; cwd: string; port: number; redisPort: number }> {
    const cwd = workDir();
    const [port, redisPort] = await twoPorts();
    redisPorts.push(redisPort);
    const hub = new HubInDir(cwd, {
      ...extraEnv,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOCAL_REDIS_PORT: String(redisPort),
      WHATSAPP_WEBHOOK_SECRET: SECRET,
      HUB_ADMIN_TOKEN: ADMIN_TOKEN,
      HUB_PREFIX: uniquePrefix('local-redis'),
      LOG_LEVEL: 'info',
    });
    hubs.push(hub);
    const healthy = await waitFor(async () => {
      if (!hub.running) return 'exited';
      return fetch(`http://127.0.0.1:${port}/health`).then((r) => (r.status === 200 ? 'up' : ''), () => '');
    }, 60_000, 200);
    if (healthy !== 'up') throw new Error(`the hub did not become healthy (${healthy || 'timeout'}); its output:\n${hub.output}`);
    return { hub, cwd, port, redisPort };
  }

  afterAll(async () => {
    await Promise.all(hubs.map((h) => h.stop('SIGKILL')));
    // Never leave a server behind, even when an assertion failed before the hub stopped it.
    for (const port of redisPorts) {
      if (await answers(port)) {
        const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null });
        redis.on('error', () => undefined);
        await redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
        redis.disconnect();
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('starts redis-server on the port with AOF in ./data/redis, serves with it, and stops it on SIGTERM', async () => {
    // PATH holds redis-server and nothing else (no setpriv): the hub itself must stop the server.
    const bin = join(workDir(), 'bin');
    mkdirSync(bin);
    symlinkSync(onPath('redis-server')!, join(bin, 'redis-server'));
    const { hub, cwd, port, redisPort } = await startedHub({ PATH: bin });
    const dataDir = join(cwd, 'data', 'redis');

    // One log line says what happened, where the data is and how to use another Redis.
    const line = hub.output.split('\n').find((l) => l.includes('started its own redis-server'));
    expect(line).toBeDefined();
    expect(line).toContain(`127.0.0.1:${redisPort}`);
    expect(line).toContain(dataDir);
    expect(line).toContain('REDIS_URL');
    expect(hub.output).toContain(`Redis redis://127.0.0.1:${redisPort}`);

    // The server is the one the brief asks for: loopback, append-only, noeviction, data in ./data/redis.
    const redis = new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1 });
    try {
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await redis.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
      expect(await redis.config('GET', 'dir')).toEqual(['dir', dataDir]);
    } finally {
      redis.disconnect();
    }

    const body = JSON.stringify({ event: 'message.received', timestamp: Date.now(), data: { id: 'x' } });
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Webhook-Signature': sha256Header(SECRET, body) },
      body,
    });
    expect(res.status).toBe(202);
    const { accepted } = (await res.json()) as { accepted: string[] };
    expect(accepted).toHaveLength(1);

    const exit = await hub.stop('SIGTERM');
    expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
    expect(await waitFor(async () => !(await answers(redisPort)), 15_000, 100)).toBe(true);
    // Asked to shut down (SIGTERM), not killed: it flushed the append-only file.
    expect(readFileSync(join(dataDir, 'redis.log'), 'utf8')).toMatch(/Received SIGTERM[\s\S]*ready to exit/);

    // The event is in the append-only file the server left behind.
    const aof = filesUnder(dataDir).filter((f) => /appendonly/.test(f));
    expect(aof.length).toBeGreaterThan(0);
    expect(aof.some((f) => readFileSync(f).includes(accepted[0]))).toBe(true);
  });

  (process.platform === 'linux' && onPath('setpriv') ? it : it.skip)('does not leave the server running when the hub is SIGKILLed (Linux: setpriv parent-death signal)', async () => {
    const { hub, redisPort } = await startedHub();
    await hub.stop('SIGKILL');
    expect(await waitFor(async () => !(await answers(redisPort)), 15_000, 100)).toBe(true);
  });

  it('fails at once, naming the three ways to get a Redis, when there is no redis-server on PATH', async () => {
    const cwd = workDir();
    const [port, redisPort] = await twoPorts();
    const hub = new HubInDir(cwd, { PATH: '/nonexistent', PORT: String(port), HOST: '127.0.0.1', LOCAL_REDIS_PORT: String(redisPort), LOG_LEVEL: 'info' });
    hubs.push(hub);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([hub.exited, new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), 15_000)))]);
    clearTimeout(timer);
    expect(exit).toBeDefined();
    expect(exit!.code).not.toBe(0);
    expect(exit!.code).not.toBeNull();
    const output = hub.output;
    expect(output).toContain(`nothing answers on 127.0.0.1:${redisPort}`);
    expect(output).toContain('apt install redis-server');
    expect(output).toContain('brew install redis');
    expect(output).toContain('docker compose up -d redis');
    expect(output).toContain('REDIS_URL');
    expect(await answers(redisPort)).toBe(false);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });
});
