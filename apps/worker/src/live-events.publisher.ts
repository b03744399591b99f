import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { DomainEvent, REDIS_CLIENT, RedisKeys, StreamEventHandler } from '@hub/store';

/**
 * Publishes each processed event on the live-events channel, so every gateway can notify its MCP
 * sessions (ARCHITECTURE §1). One message per event, all in one round trip: a batch of large events
 * as one message could pass Redis's pub/sub output-buffer limit and cut every subscriber off. Fire
 * and forget for subscribers; the stream stays the record.
 */
@Injectable()
export class LiveEventsPublisher implements StreamEventHandler {
  readonly name = 'live-events';

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const channel = this.keys.liveEventsChannel();
    const pipeline = this.redis.pipeline();
    for (const event of events) pipeline.publish(channel, JSON.stringify(event));
    const failed = (await pipeline.exec())?.find(([error]) => error);
    if (failed) throw failed[0];
  }
}
