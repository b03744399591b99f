import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { DomainEvent, REDIS_CLIENT, RedisKeys, StreamEventHandler } from '@hub/store';

/**
 * Most characters one live-events message carries. Redis cuts a subscriber off whose pending output
 * passes its pub/sub limits (8 MB for 60 s, or 32 MB, by default): a whole batch of large events as
 * one message could do that, so messages are kept far below, while a batch of ordinary events (a
 * few KB each) still goes as one PUBLISH instead of one per event.
 */
export const LIVE_MESSAGE_MAX_CHARS = 64 * 1024;

/**
 * Publishes each processed event on the live-events channel, so every gateway can notify its MCP
 * sessions (ARCHITECTURE §1). A batch's events are packed into as few messages as fit
 * LIVE_MESSAGE_MAX_CHARS (a JSON array, or the event itself when it travels alone), all in one round
 * trip. Fire and forget for subscribers; the stream stays the record.
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
    const messages = packLiveMessages(events.map((event) => JSON.stringify(event)));
    if (messages.length === 1) {
      await this.redis.publish(channel, messages[0]);
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const message of messages) pipeline.publish(channel, message);
    const failed = (await pipeline.exec())?.find(([error]) => error);
    if (failed) throw failed[0];
  }
}

/** Groups serialised events, in order, into messages of at most `maxChars` (an event longer than that goes alone). */
export function packLiveMessages(serialised: string[], maxChars = LIVE_MESSAGE_MAX_CHARS): string[] {
  const messages: string[] = [];
  let group: string[] = [];
  let chars = 0;
  const flush = (): void => {
    if (group.length > 0) messages.push(group.length === 1 ? group[0] : `[${group.join(',')}]`);
    group = [];
    chars = 0;
  };
  for (const json of serialised) {
    // The array with this event: its events, a comma between each two, two brackets.
    if (group.length > 0 && chars + json.length + 2 > maxChars) flush();
    group.push(json);
    chars += json.length + 1;
  }
  flush();
  return messages;
}
