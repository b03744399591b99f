import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Queue } from 'bullmq';
import { HubConfig } from '@hub/config';
import { DELIVERY_QUEUE } from './delivery';

/** The delivery queue answers within a second; reports its backlog (waiting, delayed, active). */
@Injectable()
export class DeliveryQueueHealthIndicator {
  constructor(
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async check(key = 'deliveryQueue'): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    try {
      const counts = await Promise.race([
        this.queue.getJobCounts('waiting', 'delayed', 'active'),
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
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    private readonly indicator: HealthIndicatorService,
    private readonly config: HubConfig,
  ) {}

  async check(key = 'deliveryBacklog'): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    const max = this.config.readiness.maxQueueBacklog;
    try {
      const { waiting } = await this.queue.getJobCounts('waiting');
      if (waiting > max) return session.down({ waiting, message: `${waiting} delivery jobs are waiting for a worker (READY_MAX_QUEUE_BACKLOG ${max})` });
      return session.up({ waiting, maxWaiting: max });
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
