import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { DomainEvent, REDIS_CLIENT, RedisKeys, StreamEventHandler } from '@hub/store';

/**
 * Publishes each processed batch on the live-events channel, so every gateway can notify its MCP
 * sessions (ARCHITECTURE §1). Fire and forget for subscribers; the stream stays the record.
 */
@Injectable()
export class LiveEventsPublisher implements StreamEventHandler {
  readonly name = 'live-events';

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    if (events.length > 0) await this.redis.publish(this.keys.liveEventsChannel(), JSON.stringify(events));
  }
}
