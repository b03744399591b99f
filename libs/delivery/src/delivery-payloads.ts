import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RedisKeys } from '@hub/store';
import { DeliveriesRepository } from './deliveries.repository';

/** Bytes of bodies kept in memory per process: a burst of deliveries of one event reads Redis once. */
const CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Delivery bodies, stored once per event and distinct bytes (hub format, seed format, an action's own
 * body) and shared by that event's deliveries by reference; a job carries the key, not the bytes.
 * Reads go through a small in-process cache, bounded by size, so fan-out to many endpoints does not
 * turn into one Redis read per attempt.
 */
@Injectable()
export class DeliveryPayloads {
  private readonly cache = new Map<string, string>();
  private cachedBytes = 0;

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
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      // Refresh its place: the map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const body = await this.deliveries.payloadBody(key);
    if (body !== null) this.remember(key, body);
    return body;
  }

  /** Keeps a body just stored (fan-out in the same process reads it back at once). */
  remember(key: string, body: string): void {
    if (body.length > CACHE_BYTES / 4 || this.cache.has(key)) return;
    this.cache.set(key, body);
    this.cachedBytes += body.length;
    for (const [oldest, value] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(oldest);
      this.cachedBytes -= value.length;
    }
  }
}
