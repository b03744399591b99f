import { BeforeApplicationShutdown, Injectable, Logger, Module } from '@nestjs/common';
import { Counter } from 'prom-client';
import { HubConfig } from '@hub/config';
import { HubMetrics } from '@hub/observability';
import { SUPERVISOR_PID, WorkerProcessStatus, WorkerSupervisor } from './worker-supervisor';

/**
 * The environment of the worker half's process, from this (role `all`) process's: the same variables,
 * with the decisions this process already took, so the child takes none of its own.
 */
export function workerEnvironment(parent: NodeJS.ProcessEnv, config: HubConfig): NodeJS.ProcessEnv {
  return {
    ...parent,
    HUB_ROLE: 'worker',
    // The Redis the local-redis launcher settled on (or the one configured): the child never starts a redis-server.
    REDIS_URL: config.redisUrl,
    HUB_PREFIX: config.prefix,
    // The token the prefix shares, generated or set: the child needs no second one and logs none.
    HUB_ADMIN_TOKEN: config.adminToken,
    // The child's own /health and /metrics on a spare loopback port; PORT and the public address stay this process's
    // (whose /metrics includes the child's counters).
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: config.publicUrl,
    // Tells the child that this process is its supervisor (connectToSupervisor).
    [SUPERVISOR_PID]: String(process.pid),
  };
}

/**
 * HUB_ROLE=all with HUB_WORKER_PROCESS=fork: this process is the gateway, and the worker half (stream
 * consumer, delivery processor) runs in a child process it supervises (WorkerSupervisor). The child is
 * stopped, and waited for, when this app shuts down; a signal is passed on as soon as it arrives.
 */
@Injectable()
export class WorkerProcess implements BeforeApplicationShutdown {
  private readonly logger = new Logger('WorkerProcess');
  private supervisor?: WorkerSupervisor;
  private readonly restarts: Counter;

  constructor(
    private readonly config: HubConfig,
    private readonly metrics: HubMetrics,
  ) {
    this.restarts = new Counter({
      name: 'hub_worker_process_restarts_total',
      help: 'Restarts of the worker process this gateway supervises (HUB_ROLE=all, HUB_WORKER_PROCESS=fork) after it ended unexpectedly.',
      registers: [metrics.registry],
    });
  }

  get status(): WorkerProcessStatus {
    return this.supervisor?.status ?? { state: 'starting', restarts: 0 };
  }

  /** Forks `script` (the hub's main.js) as the worker half and keeps it running until this app shuts down. */
  start(script: string): void {
    if (this.supervisor) return;
    const supervisor = new WorkerSupervisor({ script, env: () => workerEnvironment(process.env, this.config), logger: this.logger });
    this.supervisor = supervisor;
    supervisor.onRestart(() => this.restarts.inc());
    this.metrics.addSource(() => supervisor.requestMetrics());
    // Before Nest's own shutdown hooks: the child drains while this process does.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.prependOnceListener(signal, () => void supervisor.stop(signal));
    supervisor.start();
    this.logger.log(`the worker half runs in its own process (pid ${supervisor.status.pid}), supervised by this one; HUB_WORKER_PROCESS=inline keeps it in this process`);
  }

  /** Nest's shutdown (any signal, or app.close()): the worker process ends first, then this one. */
  beforeApplicationShutdown(signal?: string): Promise<void> {
    return this.supervisor?.stop(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM') ?? Promise.resolve();
  }
}

@Module({ providers: [WorkerProcess], exports: [WorkerProcess] })
export class WorkerProcessModule {}
