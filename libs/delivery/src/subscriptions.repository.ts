import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';
import { Subscription } from './subscription';

export type SubscriptionChange = { subscription: Subscription; deleted: boolean };

/*
 * Compare-and-set: writes the new record only if the stored one is still exactly what the change
 * was computed from, moves the URL index, and announces the change.
 * KEYS: [subscriptions, urls]  ARGV: [id, expectedJson, nextJson, url, previousUrl, channel]
 * Returns 1 when written, 0 when the record changed (or went) meanwhile.
 */
const COMPARE_AND_SET_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[5] ~= ARGV[4] then redis.call('HDEL', KEYS[2], ARGV[5]) end
redis.call('HSET', KEYS[2], ARGV[4], ARGV[1])
redis.call('PUBLISH', ARGV[6], ARGV[1])
return 1
`;

/** How often a change is recomputed when others keep changing the same subscription. */
const MAX_CAS_TRIES = 8;

type CasRedis = Redis & { hubSubscriptionCas(numKeys: number, ...args: string[]): Promise<number> };

/** Subscriptions in one Redis hash, a URL index for upsert-by-URL, and a change channel for caches. */
@Injectable()
export class SubscriptionsRepository {
  /** In-process listeners (the worker's cache when it shares this process): told at once, not after a pub/sub hop. */
  private readonly listeners: ((change: SubscriptionChange) => void)[] = [];

  private readonly redis: CasRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    if (!('hubSubscriptionCas' in redis)) redis.defineCommand('hubSubscriptionCas', { lua: COMPARE_AND_SET_LUA });
    this.redis = redis as CasRedis;
  }

  /**
   * Read-modify-write without lost updates: `change` computes the next record from the current one,
   * and is run again on the fresh record when someone else wrote in between (the worker disabling an
   * endpoint while an operator rotates its secret). Null when the subscription does not exist.
   */
  async modify(id: string, change: (current: Subscription) => Subscription | Promise<Subscription>): Promise<Subscription | null> {
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      const raw = await this.redis.hget(this.keys.subscriptions(), id);
      if (raw === null) return null;
      const current = JSON.parse(raw) as Subscription;
      const next = await change(current);
      const written = await this.redis.hubSubscriptionCas(2, this.keys.subscriptions(), this.keys.subscriptionUrls(), id, raw, JSON.stringify(next), next.url, current.url, this.keys.subscriptionsChannel());
      if (written === 1) {
        this.announce({ subscription: next, deleted: false });
        return next;
      }
    }
    throw new Error(`subscription ${id} kept changing under ${MAX_CAS_TRIES} attempts to update it`);
  }

  async get(id: string): Promise<Subscription | null> {
    const json = await this.redis.hget(this.keys.subscriptions(), id);
    return json ? (JSON.parse(json) as Subscription) : null;
  }

  async all(): Promise<Subscription[]> {
    const map = await this.redis.hgetall(this.keys.subscriptions());
    return Object.values(map)
      .map((json) => JSON.parse(json) as Subscription)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async idForUrl(url: string): Promise<string | null> {
    return this.redis.hget(this.keys.subscriptionUrls(), url);
  }

  /** Claims a URL for a new id; returns the id that owns it (the new one, or an existing one). */
  async claimUrl(url: string, id: string): Promise<string> {
    const claimed = await this.redis.hsetnx(this.keys.subscriptionUrls(), url, id);
    return claimed === 1 ? id : ((await this.idForUrl(url)) ?? id);
  }

  /** Saves and announces the change, in one transaction. */
  async save(subscription: Subscription, previousUrl?: string): Promise<void> {
    const tx = this.redis.multi().hset(this.keys.subscriptions(), subscription.id, JSON.stringify(subscription));
    if (previousUrl && previousUrl !== subscription.url) tx.hdel(this.keys.subscriptionUrls(), previousUrl);
    tx.hset(this.keys.subscriptionUrls(), subscription.url, subscription.id);
    tx.publish(this.keys.subscriptionsChannel(), subscription.id);
    await exec(tx);
    this.announce({ subscription, deleted: false });
  }

  async delete(subscription: Subscription): Promise<void> {
    const tx = this.redis
      .multi()
      .hdel(this.keys.subscriptions(), subscription.id)
      .hdel(this.keys.subscriptionUrls(), subscription.url)
      .publish(this.keys.subscriptionsChannel(), subscription.id);
    await exec(tx);
    // Its delivery keys live in its delivery shard (another slot on a cluster); each expires on its own if this is missed.
    await this.redis.del(this.keys.failingSince(subscription.id), this.keys.skippedEvents(subscription.id), this.keys.deliveriesOfSubscription(subscription.id));
    this.announce({ subscription, deleted: true });
  }

  onChange(listener: (change: SubscriptionChange) => void): void {
    this.listeners.push(listener);
  }

  private announce(change: SubscriptionChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** Runs a MULTI and surfaces the first command error (ioredis reports them per command). */
export async function exec(tx: ReturnType<Redis['multi']>): Promise<unknown[]> {
  const replies = (await tx.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  return replies.map(([, value]) => value);
}
