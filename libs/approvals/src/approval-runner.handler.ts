import { Injectable, Logger } from '@nestjs/common';
import { DomainEvent, StreamEventHandler, StreamHandler, isRedisUnavailableError } from '@hub/store';
import { APPROVAL_DECIDED } from './approval';
import { ApprovalActions } from './approval-action';
import { ApprovalsService } from './approvals.service';

/**
 * Runs approved actions from the `hub.approval.decided` events, in the worker, before the entry is
 * acknowledged: a crash re-runs it, and the recorded result (first one wins) plus the runner's own
 * idempotence keep that to one outcome. Only an approval whose stored status is `approved` runs, so
 * a rejected or expired one never does, whatever an event says.
 */
@Injectable()
@StreamHandler()
export class ApprovalRunner implements StreamEventHandler {
  readonly name = 'approval-runner';
  private readonly logger = new Logger(ApprovalRunner.name);

  constructor(
    private readonly approvals: ApprovalsService,
    private readonly actions: ApprovalActions,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type !== APPROVAL_DECIDED || event.source !== 'hub') continue;
      const id = (event.data as { approval_id?: unknown } | null)?.approval_id;
      if (typeof id !== 'string') continue;
      const approval = await this.approvals.find(id);
      if (!approval || approval.status !== 'approved' || approval.result) continue;
      const runner = this.actions.get(approval.action);
      if (!runner) {
        await this.approvals.recordResult(id, { error: `no module runs the action ${approval.action}` });
        continue;
      }
      let result: Record<string, unknown>;
      try {
        result = await runner.run(approval, event);
      } catch (error) {
        // The store being down is worth a retry of the entry; anything else is the action's own failure.
        if (isRedisUnavailableError(error)) throw error;
        result = { error: (error as Error).message };
        this.logger.warn(`approved action ${approval.action} of ${id} failed: ${(error as Error).message}`);
      }
      await this.approvals.recordResult(id, result);
    }
  }
}
