import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';

const TAKE_SLOT_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return n
`;

/**
 * Per-subscription delivery rate (`rateLimitPerSec`), shared by all workers: a counter per second
 * in Redis. Only subscriptions that set a rate pay this round trip.
 */
@Injectable()
export class DeliveryThrottle {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    if (!('hubTakeSlot' in redis)) redis.defineCommand('hubTakeSlot', { numberOfKeys: 1, lua: TAKE_SLOT_LUA });
  }

  /** 0 when the delivery may go now, else the milliseconds to wait for the next free second. */
  async waitMs(subscriptionId: string, perSecond: number, now: number = Date.now()): Promise<number> {
    const second = Math.floor(now / 1000);
    const taken = Number(await (this.redis as unknown as { hubTakeSlot(key: string): Promise<number> }).hubTakeSlot(this.keys.throttleWindow(subscriptionId, second)));
    if (taken <= perSecond) return 0;
    // Spread the overflow over the following seconds instead of stampeding the next one.
    const secondsAhead = Math.floor((taken - 1) / perSecond);
    return (second + secondsAhead) * 1000 - now + Math.floor(Math.random() * 50);
  }
}
