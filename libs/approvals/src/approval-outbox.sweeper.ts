import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ApprovalsService } from './approvals.service';

const SWEEP_EVERY_MS = 5_000;
/** An outbox entry younger than this may still be in the hands of the process that wrote it. */
const GRACE_MS = 10_000;

/**
 * In the worker: expires pending approvals whose time has come (hub.approval.expired) and stores
 * approval events a crashed process left unstored (see ApprovalsService). Several workers may sweep
 * at once: each step is a Lua script and each event has a dedupe key, so nothing happens twice.
 */
@Injectable()
export class ApprovalOutboxSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApprovalOutboxSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly approvals: ApprovalsService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.approvals
        .expireDue()
        .then(async (expired) => {
          if (expired > 0) this.logger.log(`expired ${expired} approval(s) nobody decided in time`);
          const leftovers = await this.approvals.announceLeftovers(GRACE_MS);
          if (leftovers > 0) this.logger.log(`stored ${leftovers} approval event(s) left over by a crash`);
        })
        .catch((error: Error) => this.logger.debug(`approval outbox: ${error.message}`))
        .finally(() => (this.running = undefined));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
