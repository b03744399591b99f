import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { DomainEvent, REDIS_CLIENT, RedisKeys, TypeMatcher, compileTypeGlob, duplicateClient } from '@hub/store';
import { matchesFilter } from './payload-filter';
import { Subscription } from './subscription';
import { SubscriptionsRepository } from './subscriptions.repository';

interface CachedSubscription {
  subscription: Subscription;
  patterns: TypeMatcher[];
}

export interface SubscriptionMatches {
  /** Enabled subscriptions that get a delivery. */
  deliver: Subscription[];
  /** Disabled subscriptions that would have matched: the event is recorded as skipped for later replay. */
  skip: Subscription[];
}

/**
 * Every subscription in memory, so fan-out reads no subscription from Redis per event. Kept fresh by
 * the change channel (one HGET per changed id), a full reload after a reconnect (messages may have
 * been missed) and a periodic full reload as a backstop.
 */
@Injectable()
export class SubscriptionCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SubscriptionCache.name);
  private readonly entries = new Map<string, CachedSubscription>();
  private subscriber?: Redis;
  private reloadTimer?: NodeJS.Timeout;
  private loaded = false;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly repository: SubscriptionsRepository,
    private readonly keys: RedisKeys,
  ) {}

  async onModuleInit(): Promise<void> {
    // A change made in this process applies before its API call answers, so an event ingested right
    // after a subscription is created is matched against it; other processes learn it from the channel.
    this.repository.onChange(({ subscription, deleted }) => (deleted ? this.entries.delete(subscription.id) : this.put(subscription)));
    this.subscriber = duplicateClient(this.redis, { connectionName: `${this.keys.prefix}:subscription-cache`, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, id: string) => void this.refresh(id));
    // After a reconnect messages may have been lost: reload everything.
    this.subscriber.on('ready', () => {
      if (this.loaded) void this.reloadAll();
    });
    // Not awaited: ioredis subscribes once connected; the reload after 'ready' covers what was missed.
    this.subscriber.subscribe(this.keys.subscriptionsChannel()).catch((error: Error) => this.logger.warn(`cannot subscribe to subscription changes: ${error.message}`));
    await this.reloadAll();
    this.reloadTimer = setInterval(() => void this.reloadAll(), 60_000);
    this.reloadTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.reloadTimer);
    this.subscriber?.disconnect();
  }

  /** True once a full load has succeeded (fan-out waits for it rather than deliver to nobody). */
  get ready(): boolean {
    return this.loaded;
  }

  async reloadAll(): Promise<void> {
    try {
      const all = await this.repository.all();
      this.entries.clear();
      for (const subscription of all) this.put(subscription);
      this.loaded = true;
    } catch (error) {
      this.logger.warn(`subscription reload failed: ${(error as Error).message}`);
    }
  }

  async refresh(id: string): Promise<void> {
    try {
      const subscription = await this.repository.get(id);
      if (subscription) this.put(subscription);
      else this.entries.delete(id);
    } catch (error) {
      this.logger.warn(`subscription ${id} refresh failed: ${(error as Error).message}`);
    }
  }

  /** Applies a change made in this process at once (the channel confirms it shortly after). */
  put(subscription: Subscription): void {
    try {
      this.entries.set(subscription.id, { subscription, patterns: subscription.events.map(compileTypeGlob) });
    } catch (error) {
      // One unreadable record must not stop deliveries to every other subscription.
      this.entries.delete(subscription.id);
      this.logger.error(`subscription ${subscription.id} is unreadable and gets no deliveries: ${(error as Error).message}`);
    }
  }

  get(id: string): Subscription | undefined {
    return this.entries.get(id)?.subscription;
  }

  match(event: DomainEvent): SubscriptionMatches {
    const deliver: Subscription[] = [];
    const skip: Subscription[] = [];
    for (const { subscription, patterns } of this.entries.values()) {
      if (!patterns.some((p) => p.test(event.type))) continue;
      if (!matchesFilter(subscription.filter, event.data)) continue;
      (subscription.enabled ? deliver : skip).push(subscription);
    }
    return { deliver, skip };
  }
}
