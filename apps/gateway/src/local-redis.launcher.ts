import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import Redis from 'ioredis';
import { ConfigError, EnvSource } from '@hub/config';

export const DEFAULT_LOCAL_REDIS_PORT = 6379;
/** Where a started redis-server keeps its data, relative to the working directory (git-ignored). */
export const LOCAL_REDIS_DATA_DIR = join('data', 'redis');

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 1_000;
/** The signals Nest's shutdown hooks answer (the ones a process can catch), see bindToProcess. */
const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/** The hub cannot get a Redis: the message says what to do, in one line. */
export class LocalRedisError extends Error {
  override readonly name = 'LocalRedisError';
}

export function noRedisServerMessage(port: number): string {
  return (
    `No Redis: REDIS_URL is not set, nothing answers on 127.0.0.1:${port} and there is no redis-server on PATH to start one. ` +
    'Get one of: a Redis 7 package (apt install redis-server, or brew install redis), the repo\'s container (docker compose up -d redis), ' +
    'or your own Redis named by REDIS_URL (for example REDIS_URL=redis://my-redis:6379).'
  );
}

export interface LocalRedisOptions {
  /** The directory ./data/redis is resolved against (default: the working directory). */
  cwd?: string;
}

/**
 * Decides which Redis the hub uses, before its configuration is loaded:
 *
 * - REDIS_URL set (environment or .env): that one; nothing is probed or started.
 * - otherwise whatever answers on 127.0.0.1:LOCAL_REDIS_PORT (default 6379);
 * - otherwise a `redis-server` from PATH, started as a child process on that port (loopback only, AOF on,
 *   noeviction, data in ./data/redis), once it answers PING and has loaded its data. It stops when the hub
 *   exits (see LocalRedis.bindToProcess).
 *
 * Sets env.REDIS_URL to the choice when it was not set, so loadHubConfig sees the decision. Returns the
 * started server, if any. Throws LocalRedisError (no redis-server, or it did not come up) and
 * ConfigError (a bad LOCAL_REDIS_PORT).
 */
export async function ensureRedis(env: EnvSource = process.env, options: LocalRedisOptions = {}): Promise<LocalRedis | undefined> {
  if (env.REDIS_URL !== undefined) return undefined;
  const port = localRedisPort(env);
  const url = `redis://127.0.0.1:${port}`;
  if (await answers(port)) {
    env.REDIS_URL = url;
    return undefined;
  }
  const server = findOnPath('redis-server', env.PATH);
  if (!server) throw new LocalRedisError(noRedisServerMessage(port));

  const dataDir = resolve(options.cwd ?? process.cwd(), LOCAL_REDIS_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'redis.log');
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dataDir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
    '--logfile', logFile,
  ];
  const guard = parentDeathGuard(env.PATH);
  const [command, ...commandArgs] = guard ? [...guard, server, ...args] : [server, ...args];
  // Its own process group (detached): a Ctrl-C in the terminal reaches the hub only, and the hub stops
  // Redis after its own shutdown, which still needs Redis. Not unref'd: the hub waits for it.
  const child = spawn(command, commandArgs, { cwd: dataDir, stdio: 'ignore', detached: process.platform !== 'win32' });
  const local = new LocalRedis(child, port, dataDir, logFile, !!guard);
  local.bindToProcess();
  try {
    await local.waitUntilReady(READY_TIMEOUT_MS);
  } catch (error) {
    await local.abandon();
    throw error;
  }
  env.REDIS_URL = url;
  return local;
}

/** LOCAL_REDIS_PORT, validated like the configuration's variables. */
export function localRedisPort(env: EnvSource): number {
  const raw = env.LOCAL_REDIS_PORT;
  if (raw === undefined) return DEFAULT_LOCAL_REDIS_PORT;
  const port = /^\d{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new ConfigError(`Invalid configuration: LOCAL_REDIS_PORT must be a port number from 1 to 65535 (got ${JSON.stringify(raw)})`);
  }
  return port;
}

/** A redis-server this process started. */
export class LocalRedis {
  private alive = true;
  private stopping?: Promise<void>;
  private exitReason = '';
  private unbind = () => undefined as void;
  readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    readonly logFile: string,
    /** True when the server gets SIGTERM from the kernel if the hub dies, even by SIGKILL (Linux setpriv). */
    readonly diesWithParent: boolean,
  ) {
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.alive = false;
        this.exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
        done();
      });
      child.once('error', (error) => {
        this.alive = false;
        this.exitReason = error.message;
        done();
      });
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.alive;
  }

  /** The one line the hub logs about it. */
  describe(): string {
    return (
      `REDIS_URL is not set and nothing answered on 127.0.0.1:${this.port}, so the hub started its own redis-server ` +
      `(pid ${this.pid}) on 127.0.0.1:${this.port} with its data (append-only file) in ${this.dataDir}; it stops with the hub. ` +
      `To use your own Redis instead, set REDIS_URL or run one on 127.0.0.1:${this.port} before starting the hub.`
    );
  }

  /** Calls `listener` when the server ends while the hub did not ask it to. */
  onUnexpectedExit(listener: (reason: string) => void): void {
    void this.exited.then(() => {
      if (!this.stopping) listener(`${this.exitReason}; its log is ${this.logFile}`);
    });
  }

  /** Asks the server to shut down (SIGTERM: it flushes the append-only file), SIGKILL after 10 s. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.alive) return;
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([this.exited.then(() => true), new Promise<boolean>((done) => (timer = setTimeout(() => done(false), STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (!inTime && this.alive) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    })();
    return this.stopping;
  }

  /**
   * Stops the server when the hub ends, after the hub's own shutdown (which still talks to Redis):
   *
   * - process.exit or the end of the event loop: SIGTERM on the way out (synchronous; Redis then
   *   shuts down by itself);
   * - a shutdown signal: Nest's shutdown hooks close the app, remove their listener and raise the
   *   signal again. This listener waits for that, the moment it is the signal's last listener: it
   *   stops Redis, removes itself and raises the signal once more, so the hub ends as it always did.
   *   A signal that arrives while nothing else listens (before Nest's hooks exist) is handled the same.
   * - SIGKILL: nothing runs in the hub. On Linux setpriv's parent-death signal (spawn) sends the server
   *   SIGTERM; elsewhere it keeps running, and the next start finds it on the port and uses it.
   */
  bindToProcess(): void {
    const onExit = () => {
      if (this.alive) this.child.kill('SIGTERM');
    };
    process.on('exit', onExit);
    const listeners = SHUTDOWN_SIGNALS.map((signal) => {
      const onSignal = () => {
        if (process.listenerCount(signal) > 1) return;
        void this.stop().finally(() => {
          process.removeListener(signal, onSignal);
          process.kill(process.pid, signal);
        });
      };
      process.on(signal, onSignal);
      return [signal, onSignal] as const;
    });
    this.unbind = () => {
      process.removeListener('exit', onExit);
      for (const [signal, onSignal] of listeners) process.removeListener(signal, onSignal);
    };
  }

  /** Stops the server and forgets the process hooks (a start that failed). */
  async abandon(): Promise<void> {
    await this.stop();
    this.unbind();
  }

  /** Waits until the server answers PING and has loaded its data (not LOADING). */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.alive) {
        throw new LocalRedisError(`The local redis-server on 127.0.0.1:${this.port} ended before it answered (${this.exitReason}): ${lastLogLines(this.logFile)}`);
      }
      if (await pingsLoaded(this.port)) return;
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new LocalRedisError(`The local redis-server on 127.0.0.1:${this.port} did not answer within ${timeoutMs / 1000} s: ${lastLogLines(this.logFile)}`);
  }
}

/** True when something accepts a connection on 127.0.0.1:port (a slow accept counts: the port is taken). */
export function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (result: boolean) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(true));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function pingsLoaded(port: number): Promise<boolean> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') return false;
    return /^loading:0\r?$/m.test(await client.info('persistence'));
  } catch {
    return false; // refused while starting, or -LOADING while it reads the append-only file
  } finally {
    client.disconnect();
  }
}

/** The absolute path of an executable `name` in PATH, or undefined. */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const file of names) {
      const candidate = resolve(dir, file);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not there, or not executable
      }
    }
  }
  return undefined;
}

/** `setpriv --pdeathsig SIGTERM --` on Linux when util-linux has it: the server then dies with the hub. */
function parentDeathGuard(path: string | undefined): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const setpriv = findOnPath('setpriv', path);
  if (!setpriv) return undefined;
  const help = spawnSync(setpriv, ['--help'], { encoding: 'utf8', timeout: 5_000 });
  return /--pdeathsig/.test(`${help.stdout ?? ''}`) ? [setpriv, '--pdeathsig', 'SIGTERM', '--'] : undefined;
}

function lastLogLines(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(-3);
    return lines.map((l) => l.trim()).join(' | ') || `(${file} is empty)`;
  } catch {
    return `(no log at ${file})`;
  }
}
