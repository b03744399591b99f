import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { HubConfig } from '@hub/config';
import { DeliveryQueues } from './delivery-queues';

/** The delivery queues answer within a second; reports their backlog (waiting, delayed, active), summed over the shards. */
@Injectable()
export class DeliveryQueueHealthIndicator {
  constructor(
    private readonly queues: DeliveryQueues,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async check(key = 'deliveryQueue'): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    try {
      const counts = await Promise.race([
        this.queues.jobCounts('waiting', 'delayed', 'active'),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('queue did not answer within 1000 ms')), 1000).unref()),
      ]);
      return session.up(counts);
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}

/** Readiness: no more than READY_MAX_QUEUE_BACKLOG delivery jobs wait for a worker. */
@Injectable()
export class DeliveryBacklogHealthIndicator {
  constructor(
    private readonly queues: DeliveryQueues,
    private readonly indicator: HealthIndicatorService,
    private readonly config: HubConfig,
  ) {}

  async check(key = 'deliveryBacklog'): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    const max = this.config.readiness.maxQueueBacklog;
    try {
      const { waiting } = await this.queues.jobCounts('waiting');
      if (waiting > max) return session.down({ waiting, message: `${waiting} delivery jobs are waiting for a worker (READY_MAX_QUEUE_BACKLOG ${max})` });
      return session.up({ waiting, maxWaiting: max });
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
