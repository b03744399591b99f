import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { HubConfig } from '@hub/config';
import { RedisKeys } from '@hub/store';
import { BodyCache } from './body-cache';
import { DeliveriesRepository } from './deliveries.repository';

/**
 * Length of the bodies kept in memory per process (string length; keys and overhead add about a
 * quarter). Under `npm start` at saturation the forked worker falls behind the gateway by 16,000-25,000
 * deliveries (about 500 characters each in the benchmark) before it catches up; that backlog fits.
 */
const CACHE_LENGTH = 16 * 1024 * 1024;
/** Bodies older than this go (their deliveries were taken by another worker, or never come). */
const CACHE_MAX_AGE_MS = 60_000;
/**
 * A planned body this young is not evicted for a newer one: it is among the next to be sent. Past
 * that, a backlog's oldest bodies give way (their reads go to Redis), and so do bodies whose
 * deliveries another worker took, which would otherwise hold the space for CACHE_MAX_AGE_MS.
 */
const CACHE_PROTECT_MS = 10_000;

/**
 * Delivery bodies, stored once per event and distinct bytes (hub format, seed format, an action's own
 * body) and shared by that event's deliveries by reference; a job carries the key, not the bytes.
 * Reads go through an in-process cache (BodyCache), bounded by size and age, so a first attempt
 * usually reads no Redis, and fan-out to many endpoints does not turn into one Redis read per attempt.
 */
@Injectable()
export class DeliveryPayloads {
  private readonly cache = new BodyCache({ maxLength: CACHE_LENGTH, maxEntryLength: CACHE_LENGTH / 4, maxAgeMs: CACHE_MAX_AGE_MS, protectMs: CACHE_PROTECT_MS });

  constructor(
    private readonly keys: RedisKeys,
    private readonly deliveries: DeliveriesRepository,
    private readonly config: HubConfig,
  ) {}

  /** The key of these bytes for this event in the subscription's delivery shard: equal bytes in a shard share one key. */
  keyFor(eventId: string, body: string, subscriptionId: string): string {
    const digest = createHash('sha1').update(body).digest('base64url').slice(0, 16);
    return this.keys.deliveryPayload(eventId, digest, this.keys.deliveryShardOf(subscriptionId));
  }

  /** The body under `key`, or null when no delivery holds it any more. */
  async read(key: string): Promise<string | null> {
    const cached = this.cache.take(key);
    if (cached !== undefined) return cached;
    const body = await this.deliveries.payloadBody(key);
    if (body !== null) this.cache.keep(key, body);
    return body;
  }

  /**
   * A body just stored for a delivery planned in this process, which reads it back soon. A process
   * that sends no deliveries (a gateway storing a replay or a redrive) keeps nothing.
   */
  remember(key: string, body: string): void {
    if (this.config.runsWorker) this.cache.expect(key, body);
  }
}
