import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { WorkerProcess } from './worker-process.module';

/**
 * The worker process's state in /health and /health/ready (`running`, `starting`, `restarting`), its pid
 * and restarts. Informational, always up: a worker that is down shows in readiness through the stream lag
 * and the delivery backlog, which count what matters (work waiting) whatever the cause.
 */
@Injectable()
export class WorkerProcessHealthIndicator {
  constructor(
    private readonly worker: WorkerProcess,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async check(key = 'workerProcess'): Promise<HealthIndicatorResult> {
    const { state, pid, restarts, lastExit } = this.worker.status;
    return this.indicator.check(key).up({ state, ...(pid ? { pid } : {}), restarts, ...(lastExit ? { lastExit } : {}) });
  }
}
