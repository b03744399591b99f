import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT, RedisKeys, consumerGroupProgress, totalLength } from '@hub/store';
import { HubMetrics } from './hub-metrics';

/** Gauges of the event stream, read at scrape time: consumer lag and pending entries per group, dead events. */
@Injectable()
export class StreamMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: HubMetrics,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  onModuleInit(): void {
    // Summed over the stream's partitions (EVENT_PARTITIONS).
    const progress = async () => {
      const byGroup = new Map<string, { unread: number; pending: number }>();
      for (const groups of await Promise.all(this.keys.partitionIds.map((p) => consumerGroupProgress(this.redis, this.keys.eventStream(p), 1_000_000)))) {
        for (const g of groups) {
          const sum = byGroup.get(g.group) ?? { unread: 0, pending: 0 };
          byGroup.set(g.group, { unread: sum.unread + g.unread, pending: sum.pending + g.pending });
        }
      }
      return [...byGroup].map(([group, g]) => ({ group, ...g }));
    };
    this.metrics.stateGauge('hub_stream_consumer_lag', 'Event-stream entries a consumer group has not processed yet (unread plus unacknowledged).', ['group'], async () =>
      (await progress()).map((g) => [{ group: g.group }, g.unread + g.pending]),
    );
    this.metrics.stateGauge('hub_stream_pending', 'Event-stream entries read by a consumer group but not acknowledged yet.', ['group'], async () =>
      (await progress()).map((g) => [{ group: g.group }, g.pending]),
    );
    this.metrics.stateGauge('hub_dead_events', 'Events whose processing kept failing, in the dead-event stream (GET /api/v1/dead-events).', [], async () => [
      [{}, await totalLength(this.redis, this.keys.partitionIds.map((p) => this.keys.deadEventStream(p)))],
    ]);
  }
}
