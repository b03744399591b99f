import { ChildProcess, fork } from 'node:child_process';

/** Where the supervisor's lines go (Nest's Logger fits). */
export interface SupervisorLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Delays between restarts of a process that keeps ending: 1 s, doubling up to 30 s, and 1 s again once a
 * process stayed up `stableMs` (a crash an hour after the last one is not a crash loop).
 */
export class RestartBackoff {
  private upcomingMs: number;

  constructor(
    readonly initialMs = 1_000,
    readonly maxMs = 30_000,
    readonly stableMs = 60_000,
  ) {
    this.upcomingMs = initialMs;
  }

  /** The delay before the next start, given how long the process that just ended ran. */
  next(ranForMs: number): number {
    if (ranForMs >= this.stableMs) this.upcomingMs = this.initialMs;
    const delay = this.upcomingMs;
    this.upcomingMs = Math.min(this.upcomingMs * 2, this.maxMs);
    return delay;
  }
}

/** `starting` until the child says it serves, `restarting` while a restart waits out its delay. */
export type WorkerProcessState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

export interface WorkerProcessStatus {
  state: WorkerProcessState;
  /** The child's pid while one runs. */
  pid?: number;
  /** Unexpected exits so far (each one is followed by a restart unless the supervisor stops). */
  restarts: number;
  /** How the last child ended: `exit code 1`, `signal SIGKILL`. */
  lastExit?: string;
}

export interface WorkerSupervisorOptions {
  /** The script the child runs (the hub's compiled main.js). */
  script: string;
  /** The child's environment, taken again at every start. */
  env: () => NodeJS.ProcessEnv;
  logger: SupervisorLogger;
  backoff?: RestartBackoff;
}

/** Set in the child's environment to the supervisor's pid (internal, not a setting). */
export const SUPERVISOR_PID = 'HUB_WORKER_SUPERVISOR_PID';

/** The messages of the IPC channel between the supervisor and its child. */
type ToChild = { hub: 'metrics-request'; id: number };
type FromChild = { hub: 'ready' } | { hub: 'metrics'; id: number; metrics: unknown };

/**
 * Runs one child process (the hub's worker half) and keeps it running: a child that ends while nobody
 * asked it to is started again after a backoff, each restart logged with the exit code or signal. `stop`
 * passes a signal on and waits for the exit. The child is forked with an IPC channel and follows it
 * (connectToSupervisor): if this process dies, even by SIGKILL, the channel closes and the child shuts down.
 */
export class WorkerSupervisor {
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private restartTimer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private current: WorkerProcessStatus = { state: 'stopped', restarts: 0 };
  private readonly backoff: RestartBackoff;
  private readonly pending = new Map<number, (metrics: unknown) => void>();
  private nextRequestId = 1;
  private readonly restartListeners: ((status: WorkerProcessStatus) => void)[] = [];

  constructor(private readonly options: WorkerSupervisorOptions) {
    this.backoff = options.backoff ?? new RestartBackoff();
  }

  get status(): WorkerProcessStatus {
    return { ...this.current };
  }

  /** Calls `listener` at every unexpected exit, as the restart is scheduled. */
  onRestart(listener: (status: WorkerProcessStatus) => void): void {
    this.restartListeners.push(listener);
  }

  start(): void {
    if (this.child || this.stopping || this.restartTimer) return;
    this.spawn();
  }

  /** Sends `signal` to the child (none runs: cancels a pending restart) and resolves once it exited. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      const child = this.child;
      if (!child) {
        this.current = { ...this.current, state: 'stopped', pid: undefined };
        return;
      }
      this.current = { ...this.current, state: 'stopping' };
      child.kill(signal);
      await this.exited;
    })();
    return this.stopping;
  }

  /** The child's metrics (its registry as JSON), or undefined when none runs or it does not answer in time. */
  requestMetrics(timeoutMs = 2_000): Promise<unknown> {
    const child = this.child;
    if (!child?.connected || this.current.state !== 'running') return Promise.resolve(undefined);
    const id = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      const settle = (metrics: unknown) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(metrics);
      };
      this.pending.set(id, settle);
      child.send({ hub: 'metrics-request', id } satisfies ToChild, (error) => {
        if (error) settle(undefined);
      });
    });
  }

  private spawn(): void {
    const child = fork(this.options.script, [], {
      env: this.options.env(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal reaches this process only, which stops the child
      // itself and waits for it (as it does on SIGTERM).
      detached: process.platform !== 'win32',
    });
    this.child = child;
    this.startedAt = Date.now();
    this.current = { ...this.current, state: 'starting', pid: child.pid };
    let ended = false;
    this.exited = new Promise((done) => {
      const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
        if (ended) return;
        ended = true;
        this.ended(child, signal ? `signal ${signal}` : `exit code ${code}`);
        done();
      };
      child.once('exit', onEnd);
      child.on('error', (error) => {
        // Could not be started at all: no 'exit' follows.
        if (child.pid === undefined) {
          this.options.logger.error(`could not start the worker process: ${error.message}`);
          onEnd(1, null);
        }
      });
    });
    child.on('message', (message: unknown) => this.received(child, message));
  }

  private received(child: ChildProcess, message: unknown): void {
    if (!isMessage(message) || child !== this.child) return;
    if (message.hub === 'ready') {
      if (this.current.state === 'starting') this.current = { ...this.current, state: 'running' };
      this.options.logger.log(`the worker process (pid ${child.pid}) is running`);
    } else if (message.hub === 'metrics') {
      this.pending.get(message.id)?.(message.metrics);
    }
  }

  private ended(child: ChildProcess, how: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    for (const settle of [...this.pending.values()]) settle(undefined);
    if (this.stopping) {
      this.current = { ...this.current, state: 'stopped', pid: undefined, lastExit: how };
      return;
    }
    const delay = this.backoff.next(Date.now() - this.startedAt);
    this.current = { state: 'restarting', restarts: this.current.restarts + 1, lastExit: how };
    this.options.logger.error(
      `the worker process (pid ${child.pid}) ended unexpectedly (${how}); starting it again in ${delay / 1000} s (restart ${this.current.restarts})`,
    );
    for (const listener of this.restartListeners) listener(this.status);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.spawn();
      this.options.logger.warn(`started the worker process again (pid ${this.child?.pid}, restart ${this.current.restarts})`);
    }, delay);
  }
}

/** The child's side of the channel, from connectToSupervisor. */
export interface SupervisorLink {
  /** Tells the supervisor the child serves, and answers its metrics requests from now on. */
  ready(metrics: () => Promise<unknown>): void;
}

/**
 * In a process forked by WorkerSupervisor (it has an IPC channel), follows the supervisor: when the channel
 * closes (the supervisor ended, even by SIGKILL) this process shuts down as on SIGTERM, so no worker is left
 * behind without its gateway. Call it first thing at boot. Undefined in a process started any other way.
 */
export function connectToSupervisor(): SupervisorLink | undefined {
  // An IPC channel alone is not enough: a process manager (PM2's fork mode) gives one too. The
  // supervisor names itself in the child's environment.
  const supervisorPid = process.env[SUPERVISOR_PID];
  if (!process.send || !supervisorPid) return undefined;
  const shutDown = () => process.kill(process.pid, 'SIGTERM');
  // The supervisor died before this process got this far (a gateway SIGKILLed right after it forked):
  // the child was handed to init, and the channel may not have reported its end yet. Ending now, before
  // any handler is installed, is the default end of SIGTERM. A worker that went on would outlive its
  // gateway, unsupervised; the e2e suite found such orphans.
  if (!process.connected || supervisorPid !== String(process.ppid)) {
    shutDown();
    return undefined;
  }
  process.once('disconnect', shutDown);
  let metrics: (() => Promise<unknown>) | undefined;
  const send = (message: FromChild) => {
    if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
  };
  process.on('message', (message: unknown) => {
    if (!isMessage(message) || message.hub !== 'metrics-request') return;
    const { id } = message;
    void (metrics?.() ?? Promise.resolve(undefined)).then(
      (found) => send({ hub: 'metrics', id, metrics: found }),
      () => send({ hub: 'metrics', id, metrics: undefined }),
    );
  });
  return {
    ready(read) {
      metrics = read;
      send({ hub: 'ready' });
    },
  };
}

function isMessage(message: unknown): message is ToChild | FromChild {
  return typeof message === 'object' && message !== null && typeof (message as { hub?: unknown }).hub === 'string';
}
