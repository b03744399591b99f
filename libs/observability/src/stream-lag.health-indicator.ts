import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { REDIS_CLIENT, RedisKeys, consumerGroupProgress } from '@hub/store';

/**
 * Readiness: every consumer group of the event stream is within READY_MAX_STREAM_LAG entries
 * (unread plus unacknowledged). Over it, the workers are not keeping up (or none runs).
 */
@Injectable()
export class StreamLagHealthIndicator {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async check(key = 'eventStream'): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    const max = this.config.readiness.maxStreamLag;
    try {
      // Each partition's group on its own: one lagging partition is a worker problem worth a 503.
      const perPartition = await Promise.all(this.keys.partitionIds.map((p) => consumerGroupProgress(this.redis, this.keys.eventStream(p), max + 1)));
      const behind = perPartition.flatMap((groups, p) =>
        groups.map((g) => ({ group: this.keys.partitions === 1 ? g.group : `${g.group} (partition ${p})`, lag: g.unread + g.pending, consumers: g.consumers })),
      );
      const over = behind.filter((g) => g.lag > max);
      if (over.length > 0) {
        return session.down({
          groups: behind,
          message: over.map((g) => `consumer group ${g.group} is ${g.lag} entries behind (READY_MAX_STREAM_LAG ${max})${g.consumers === 0 ? '; no consumer is reading it' : ''}`).join('; '),
        });
      }
      return session.up({ groups: behind, maxLag: max });
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
