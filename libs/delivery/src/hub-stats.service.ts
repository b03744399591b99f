import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { EVENT_SOURCES, IngressStats, IngressStatsRepository, REDIS_CLIENT, RedisKeys, totalLength } from '@hub/store';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryQueues } from './delivery-queues';
import { SubscriptionsService } from './subscriptions.service';

export interface HubStats {
  at: string;
  /** Ingress over the last 24 hourly buckets, per source. */
  ingress24h: Record<string, Omit<IngressStats, 'byType'> & { byType: Record<string, number> }>;
  storedEvents: number;
  subscriptions: { total: number; enabled: number; disabled: number };
  deliveries: { waiting: number; active: number; delayed: number; completed: number; failed: number; deadLetters: number };
}

/** One snapshot of the hub for `/api/v1/stats`, the `get_stats` tool and `hub://stats`. */
@Injectable()
export class HubStatsService {
  constructor(
    private readonly ingress: IngressStatsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly queues: DeliveryQueues,
    private readonly deliveries: DeliveriesRepository,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async snapshot(): Promise<HubStats> {
    const [ingress, subs, counts, storedEvents, deadLetters] = await Promise.all([
      Promise.all(EVENT_SOURCES.map(async (source) => [source, await this.ingress.summary(source, 24)] as const)),
      this.subscriptions.list(),
      this.queues.jobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
      totalLength(this.redis, this.keys.partitionIds.map((p) => this.keys.eventStream(p))),
      this.deliveries.countDead(),
    ]);
    const enabled = subs.filter((s) => s.enabled).length;
    return {
      at: new Date().toISOString(),
      ingress24h: Object.fromEntries(ingress),
      storedEvents,
      subscriptions: { total: subs.length, enabled, disabled: subs.length - enabled },
      deliveries: {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
        deadLetters,
      },
    };
  }
}
