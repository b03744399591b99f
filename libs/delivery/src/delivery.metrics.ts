import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HubMetrics } from '@hub/observability';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryQueues } from './delivery-queues';
import { SubscriptionsRepository } from './subscriptions.repository';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

/** Gauges operators alert on, read at scrape time: delivery jobs by state, dead letters, endpoints by state. */
@Injectable()
export class DeliveryMetrics implements OnModuleInit {
  constructor(
    private readonly queues: DeliveryQueues,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly deliveries: DeliveriesRepository,
    @Optional() private readonly metrics?: HubMetrics,
  ) {}

  onModuleInit(): void {
    if (!this.metrics) return;
    this.metrics.stateGauge('hub_delivery_queue_jobs', 'Delivery jobs in the queue by state (waiting, active, delayed, prioritized, waiting-children, failed, completed).', ['state'], async () => {
      const counts = await this.queues.jobCounts(...JOB_STATES);
      return JOB_STATES.map((state) => [{ state }, counts[state] ?? 0]);
    });
    this.metrics.stateGauge('hub_dead_letters', 'Deliveries that gave up, waiting for a redrive (GET /api/v1/dead-letters).', [], async () => [[{}, await this.deliveries.countDead()]]);
    this.metrics.stateGauge('hub_endpoints', 'Subscriptions (webhook endpoints) by state: enabled, disabled.', ['state'], async () => {
      const all = await this.subscriptions.all();
      const disabled = all.filter((s) => !s.enabled).length;
      return [[{ state: 'enabled' }, all.length - disabled], [{ state: 'disabled' }, disabled]];
    });
  }
}
