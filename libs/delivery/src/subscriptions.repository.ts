import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';
import { Subscription } from './subscription';

export type SubscriptionChange = { subscription: Subscription; deleted: boolean };

/** Subscriptions in one Redis hash, a URL index for upsert-by-URL, and a change channel for caches. */
@Injectable()
export class SubscriptionsRepository {
  /** In-process listeners (the worker's cache when it shares this process): told at once, not after a pub/sub hop. */
  private readonly listeners: ((change: SubscriptionChange) => void)[] = [];

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

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
      .del(this.keys.failingSince(subscription.id), this.keys.skippedEvents(subscription.id), this.keys.deliveriesOfSubscription(subscription.id))
      .publish(this.keys.subscriptionsChannel(), subscription.id);
    await exec(tx);
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
