import { RedisKeys } from './redis-keys';

const tagOf = (key: string) => key.slice(0, key.indexOf('}') + 1);
const EVENT = 'evt_01JXAMPLE0000000000000000';
const subscription = (n: number) => `sub_01JSUBSCRIPTI0N00000000${String(n).padStart(2, '0')}`;
const delivery = (n: number) => `dlv_${EVENT.slice(4)}_${subscription(n).slice(4)}`;

describe('RedisKeys delivery shards', () => {
  it('keeps every delivery key under the prefix tag with one shard (names as before shards)', () => {
    const keys = new RedisKeys('hub');
    expect(keys.delivery(delivery(1))).toBe(`{hub}:delivery:${delivery(1)}`);
    expect(keys.deliveriesIndex()).toBe('{hub}:deliveries');
    expect(keys.deadLetters()).toBe('{hub}:dead-letters');
    expect(keys.deliveryQueuePrefix(0)).toBe(keys.queuePrefix());
    expect(keys.failingSince(subscription(1))).toBe(`{hub}:subscription:${subscription(1)}:failing-since`);
  });

  it("puts a delivery's record, attempts, indexes, body and its subscription's clocks under one shard tag", () => {
    const keys = new RedisKeys('hub', 1, 4);
    const shards = new Set<number>();
    for (let n = 0; n < 16; n++) {
      const shard = keys.deliveryShardOf(subscription(n));
      shards.add(shard);
      expect(keys.deliveryShardOfDelivery(delivery(n))).toBe(shard);
      expect(keys.deliveryShardOfDelivery(`${delivery(n)}_replay1`)).toBe(shard);
      const tag = `{hub:q${shard}}`;
      for (const key of [
        keys.delivery(delivery(n)),
        keys.deliveryAttempts(delivery(n)),
        keys.deliveriesOfSubscription(subscription(n)),
        keys.deliveriesOfEvent(EVENT, shard),
        keys.deliveriesIndex(shard),
        keys.deadLetters(shard),
        keys.deliveryPayload(EVENT, 'digest', shard),
        keys.failingSince(subscription(n)),
        keys.throttleWindow(subscription(n), 1),
        keys.deliveryQueuePrefix(shard),
      ]) {
        expect(tagOf(key)).toBe(tag);
      }
      // Subscriptions themselves keep the prefix's tag.
      expect(tagOf(keys.subscriptions())).toBe('{hub}');
    }
    expect(shards.size).toBeGreaterThan(1);
  });
});
