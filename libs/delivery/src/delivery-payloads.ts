import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RedisKeys } from '@hub/store';
import { BodyCache } from './body-cache';
import { DeliveriesRepository } from './deliveries.repository';

/**
 * Bytes of bodies kept in memory per process. Under `npm start` at saturation the forked worker falls
 * behind the gateway by 16,000-25,000 deliveries (about 500 bytes each in the benchmark) before it
 * catches up; the bodies of that backlog fit.
 */
const CACHE_BYTES = 16 * 1024 * 1024;
/** Bodies older than this go (their deliveries were taken by another worker, or never come). */
const CACHE_MAX_AGE_MS = 60_000;

/**
 * Delivery bodies, stored once per event and distinct bytes (hub format, seed format, an action's own
 * body) and shared by that event's deliveries by reference; a job carries the key, not the bytes.
 * Reads go through an in-process cache (BodyCache), bounded by size and age, so a first attempt
 * usually reads no Redis, and fan-out to many endpoints does not turn into one Redis read per attempt.
 */
@Injectable()
export class DeliveryPayloads {
  private readonly cache = new BodyCache(CACHE_BYTES, CACHE_MAX_AGE_MS);

  constructor(
    private readonly keys: RedisKeys,
    private readonly deliveries: DeliveriesRepository,
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
    if (body !== null && body.length <= CACHE_BYTES / 4) this.cache.keep(key, body);
    return body;
  }

  /** A body just stored for a delivery planned in this process, which reads it back soon. */
  remember(key: string, body: string): void {
    if (body.length <= CACHE_BYTES / 4) this.cache.expect(key, body);
  }
}
