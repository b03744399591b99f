import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { STATS_TTL_SECONDS, hourBucket } from './events.repository';
import { REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';

export interface IngressStats {
  /** Events stored. */
  accepted: number;
  /** Redeliveries recognised as duplicates. */
  duplicates: number;
  /** Requests refused (bad signature, bad payload, not configured). */
  rejected: number;
  /** Stored events per type. */
  byType: Record<string, number>;
}

/**
 * Per-source ingress counters in hourly hashes. Accepted and duplicate counts are written by the
 * ingest script itself (no extra round trip); rejections are counted here, off the hot path.
 */
@Injectable()
export class IngressStatsRepository {
  private readonly logger = new Logger(IngressStatsRepository.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Counts a refused request; never throws (stats must not turn a 401 into a 503). */
  recordRejected(source: string, now: number = Date.now()): void {
    const key = this.keys.sourceStats(source, hourBucket(now));
    this.redis
      .multi()
      .hincrby(key, 'rejected', 1)
      .expire(key, STATS_TTL_SECONDS)
      .exec()
      .catch((error: Error) => this.logger.debug(`could not count a rejection: ${error.message}`));
  }

  /** Accepted events per hour over the last `hours` buckets, oldest first (the current one last), all partitions. */
  async acceptedPerHour(source: string, hours = 24, now: number = Date.now()): Promise<number[]> {
    const current = hourBucket(now);
    const perHour = new Array<number>(hours).fill(0);
    // One pipeline per partition: on a cluster a pipeline's keys must share a slot.
    await Promise.all(
      this.keys.partitionIds.map(async (p) => {
        const pipeline = this.redis.pipeline();
        for (let h = hours - 1; h >= 0; h--) pipeline.hget(this.keys.sourceStats(source, current - h, p), 'accepted');
        ((await pipeline.exec()) ?? []).forEach(([error, value], i) => {
          if (error) throw error;
          perHour[i] += Number(value ?? 0);
        });
      }),
    );
    return perHour;
  }

  /** Totals over the last `hours` hourly buckets (the current one included), all partitions. */
  async summary(source: string, hours = 24, now: number = Date.now()): Promise<IngressStats> {
    const current = hourBucket(now);
    const stats: IngressStats = { accepted: 0, duplicates: 0, rejected: 0, byType: {} };
    await Promise.all(
      this.keys.partitionIds.map(async (p) => {
        const pipeline = this.redis.pipeline();
        for (let h = 0; h < hours; h++) pipeline.hgetall(this.keys.sourceStats(source, current - h, p));
        for (const [error, hash] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          for (const [field, value] of Object.entries((hash as Record<string, string>) ?? {})) {
            const n = Number(value);
            if (field.startsWith('type:')) stats.byType[field.slice(5)] = (stats.byType[field.slice(5)] ?? 0) + n;
            else if (field === 'accepted' || field === 'duplicates' || field === 'rejected') stats[field] += n;
          }
        }
      }),
    );
    return stats;
  }
}
