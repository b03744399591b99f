import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';
import { DELIVERY_ID_PATTERN, Delivery, DeliveryAttempt, DeliveryStatus, OWN_PAYLOAD_FIELD, PAYLOAD_REF_FIELD } from './delivery';
import { DeliveryRedis, withDeliveryScripts } from './delivery-scripts';
import { exec } from './subscriptions.repository';

/** Attempts kept per delivery (the newest). */
export const MAX_ATTEMPTS_KEPT = 50;
/** Delivery records live two weeks (longer than the longest retry schedule plus time to look). */
export const DELIVERY_TTL_SECONDS = 14 * 86_400;

export interface DeliveryQuery {
  subscriptionId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  limit: number;
  /** Score (ms) and id of the last item of the previous page, as `<ms>-<id>`. */
  cursor?: string;
}

/**
 * Delivery records (a hash each), their attempt logs (a list each) and time indexes (sorted sets):
 * all, per subscription, per event, and the dead letters.
 */
@Injectable()
export class DeliveriesRepository {
  private readonly redis: DeliveryRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withDeliveryScripts(redis);
  }

  /**
   * Records new deliveries (status pending) in one round trip. A record that exists already (a
   * fan-out re-run after a crash) is left alone, whatever state it moved on to. Indexes older than
   * the records' lifetime are trimmed on the way. Each new record takes a reference on its body
   * (`payloads[i]`, shared by deliveries with the same key); each distinct body is sent once.
   */
  async createMany(deliveries: Delivery[], payloads: { key: string; body: string }[]): Promise<void> {
    if (deliveries.length === 0) return;
    const keys: string[] = [this.keys.deliveriesIndex(), this.keys.deadLetters()];
    const args: (string | number)[] = [DELIVERY_TTL_SECONDS, `(${Date.now() - DELIVERY_TTL_SECONDS * 1000}`, deliveries.length];
    const bodies: string[] = [];
    const bodyArg = new Map<string, number>();
    // Lua's ARGV is 1-based: bodies follow the 3 leading arguments and 4 per delivery.
    const firstBodyArg = 3 + deliveries.length * 4 + 1;
    deliveries.forEach((d, i) => {
      const { key, body } = payloads[i];
      let index = bodyArg.get(key);
      if (index === undefined) {
        index = firstBodyArg + bodies.length;
        bodyArg.set(key, index);
        bodies.push(body);
      }
      keys.push(this.keys.delivery(d.id), this.keys.deliveriesOfSubscription(d.subscriptionId), this.keys.deliveriesOfEvent(d.eventId), key);
      args.push(d.id, Date.parse(d.createdAt), JSON.stringify(toHash({ ...d, [PAYLOAD_REF_FIELD]: key } as Partial<Delivery>)), index);
    });
    await this.redis.hubCreateDeliveries(keys.length, ...keys, ...args, ...bodies);
  }

  /** The shared body a delivery sends, or null when it is gone (every delivery of it done). */
  payloadBody(payloadKey: string): Promise<string | null> {
    return this.redis.hget(payloadKey, 'body');
  }

  /** Drops the delivery's reference on its body (once; the body goes with its last reference). */
  async releasePayload(id: string, payloadKey: string | undefined): Promise<void> {
    if (payloadKey) await this.redis.hubReleasePayload(2, this.keys.delivery(id), payloadKey);
  }

  /** Takes a reference on a body for a delivery sent again (redrive), storing the body if it is gone. */
  async retainPayload(id: string, payload: { key: string; body: string }): Promise<void> {
    await this.redis.hubRetainPayload(2, this.keys.delivery(id), payload.key, payload.key, payload.body, DELIVERY_TTL_SECONDS);
  }

  /** Appends an attempt and updates the delivery's state, in one round trip. */
  async recordAttempt(
    id: string,
    attempt: DeliveryAttempt,
    state: Partial<Delivery>,
    options: { dead?: boolean; subscriptionSucceeded?: string; payloadKey?: string } = {},
  ): Promise<void> {
    const attempts = this.keys.deliveryAttempts(id);
    await this.redis.hubRecordAttempt(
      5,
      attempts,
      this.keys.delivery(id),
      this.keys.deadLetters(),
      options.subscriptionSucceeded ? this.keys.failingSince(options.subscriptionSucceeded) : attempts,
      // A delivery holding no reference (queued before bodies were shared) releases nothing: the record
      // has no payloadKey field, so the placeholder key is never touched.
      options.payloadKey ?? attempts,
      JSON.stringify(attempt),
      MAX_ATTEMPTS_KEPT,
      DELIVERY_TTL_SECONDS,
      JSON.stringify(toHash({ ...state, attemptCount: attempt.attempt, updatedAt: attempt.at })),
      state.status ?? '',
      options.dead ? Date.parse(attempt.at) : '',
      id,
      options.subscriptionSucceeded ? '1' : '0',
    );
  }

  async setStatus(id: string, state: Partial<Delivery>): Promise<void> {
    await this.redis.hset(this.keys.delivery(id), toHash({ ...state, updatedAt: new Date().toISOString() }));
  }

  async get(id: string): Promise<Delivery | null> {
    const hash = await this.redis.hgetall(this.keys.delivery(id));
    return Object.keys(hash).length ? fromHash(hash) : null;
  }

  /** One delivery with its attempts log, or null for an unknown or malformed id. */
  async getWithAttempts(id: string): Promise<(Delivery & { attempts: DeliveryAttempt[] }) | null> {
    if (!DELIVERY_ID_PATTERN.test(id)) return null;
    const [delivery, attempts] = await Promise.all([this.get(id), this.attempts(id)]);
    return delivery ? { ...delivery, attempts } : null;
  }

  /** The body a delivery sends when it is not its event's envelope (see OWN_PAYLOAD_FIELD), else null. */
  ownPayload(id: string): Promise<string | null> {
    return this.redis.hget(this.keys.delivery(id), OWN_PAYLOAD_FIELD);
  }

  async attempts(id: string): Promise<DeliveryAttempt[]> {
    const items = await this.redis.lrange(this.keys.deliveryAttempts(id), 0, -1);
    return items.map((json) => JSON.parse(json) as DeliveryAttempt);
  }

  /** Newest first, filtered by subscription, event and status. */
  async list(query: DeliveryQuery): Promise<{ data: Delivery[]; nextCursor: string | null }> {
    const index = query.eventId
      ? this.keys.deliveriesOfEvent(query.eventId)
      : query.subscriptionId
        ? this.keys.deliveriesOfSubscription(query.subscriptionId)
        : this.keys.deliveriesIndex();
    return this.page(index, query, (d) =>
      (!query.subscriptionId || d.subscriptionId === query.subscriptionId) && (!query.status || d.status === query.status),
    );
  }

  /** Dead letters, newest first. */
  async listDead(query: { subscriptionId?: string; limit: number; cursor?: string }): Promise<{ data: Delivery[]; nextCursor: string | null }> {
    return this.page(this.keys.deadLetters(), query, (d) => d.status === 'dead' && (!query.subscriptionId || d.subscriptionId === query.subscriptionId));
  }

  /** Marks a delivery dead without an attempt (its job failed outside an attempt, e.g. stalled too often). */
  async markDead(id: string, reason: string): Promise<void> {
    const now = new Date();
    await exec(
      this.redis
        .multi()
        .hset(this.keys.delivery(id), toHash({ status: 'dead', lastError: reason, deadAt: now.toISOString(), updatedAt: now.toISOString() }))
        .hdel(this.keys.delivery(id), 'nextAttemptAt')
        .zadd(this.keys.deadLetters(), now.getTime(), id),
    );
  }

  async removeDead(ids: string[]): Promise<void> {
    if (ids.length) await this.redis.zrem(this.keys.deadLetters(), ...ids);
  }

  /** Starts the subscription's failure clock if not running; returns when it started (ms). */
  async startFailureClock(subscriptionId: string, now: number, ttlSeconds: number): Promise<number> {
    const key = this.keys.failingSince(subscriptionId);
    const [, since] = (await exec(this.redis.multi().set(key, String(now), 'EX', ttlSeconds, 'NX').get(key))) as [unknown, string | null];
    return since ? Number(since) : now;
  }

  async clearFailureClock(subscriptionId: string): Promise<void> {
    await this.redis.del(this.keys.failingSince(subscriptionId));
  }

  /** Records events that matched a disabled subscription, for replay after it is enabled again. */
  async recordSkipped(entries: { subscriptionId: string; eventId: string; at: number }[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.redis.multi();
    for (const e of entries) {
      tx.zadd(this.keys.skippedEvents(e.subscriptionId), e.at, e.eventId);
      tx.expire(this.keys.skippedEvents(e.subscriptionId), DELIVERY_TTL_SECONDS);
    }
    await exec(tx);
  }

  /** How many events a disabled subscription missed (kept for replay). */
  async countSkipped(subscriptionId: string): Promise<number> {
    return this.redis.zcard(this.keys.skippedEvents(subscriptionId));
  }

  async skippedEvents(subscriptionId: string, from: number, to: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.skippedEvents(subscriptionId), from, to, 'LIMIT', 0, limit);
  }

  async removeSkipped(subscriptionId: string, eventIds: string[]): Promise<void> {
    if (eventIds.length) await this.redis.zrem(this.keys.skippedEvents(subscriptionId), ...eventIds);
  }

  /** Deliveries of a subscription in a time window (oldest first), for replay by range and status. */
  async idsOfSubscription(subscriptionId: string, from: number, to: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.deliveriesOfSubscription(subscriptionId), from, to, 'LIMIT', 0, limit);
  }

  async getMany(ids: string[]): Promise<Delivery[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.delivery(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies
      .map(([error, hash]) => {
        if (error) throw error;
        return Object.keys(hash as object).length ? fromHash(hash as Record<string, string>) : null;
      })
      .filter((d): d is Delivery => d !== null);
  }

  private async page(index: string, query: { limit: number; cursor?: string }, keep: (d: Delivery) => boolean): Promise<{ data: Delivery[]; nextCursor: string | null }> {
    const data: Delivery[] = [];
    let max = '+inf';
    let afterId: string | undefined;
    if (query.cursor) {
      const [ms, id] = [query.cursor.slice(0, query.cursor.indexOf('-')), query.cursor.slice(query.cursor.indexOf('-') + 1)];
      max = ms;
      afterId = id;
    }
    let scanned = 0;
    let last: { score: number; id: string } | undefined;
    const chunk = Math.min(Math.max(query.limit * 2, 100), 1000);
    let offset = 0;
    while (data.length < query.limit && scanned < 5_000) {
      const rows = await this.redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', offset, chunk);
      if (rows.length === 0) return { data, nextCursor: null };
      const ids: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < rows.length; i += 2) {
        ids.push(rows[i]);
        scores.push(Number(rows[i + 1]));
      }
      offset += ids.length;
      // Skip up to and including the cursor's id among equal scores.
      let start = 0;
      if (afterId) {
        const at = ids.indexOf(afterId);
        if (at >= 0) start = at + 1;
        afterId = undefined;
      }
      const deliveries = new Map((await this.getMany(ids.slice(start))).map((d) => [d.id, d]));
      for (let i = start; i < ids.length; i++) {
        scanned++;
        last = { score: scores[i], id: ids[i] };
        const d = deliveries.get(ids[i]);
        if (d && keep(d)) data.push(d);
        if (data.length === query.limit) break;
      }
      if (rows.length / 2 < chunk) return { data, nextCursor: data.length === query.limit && last ? `${last.score}-${last.id}` : null };
    }
    return { data, nextCursor: last ? `${last.score}-${last.id}` : null };
  }
}

function toHash(d: Partial<Delivery>): Record<string, string> {
  const hash: Record<string, string> = {};
  for (const [k, v] of Object.entries(d)) if (v !== undefined && v !== null) hash[k] = String(v);
  return hash;
}

function fromHash(hash: Record<string, string>): Delivery {
  const { [OWN_PAYLOAD_FIELD]: _payload, [PAYLOAD_REF_FIELD]: _ref, ...rest } = hash;
  return {
    ...(rest as unknown as Delivery),
    attemptCount: Number(hash.attemptCount ?? 0),
    ...(hash.lastStatusCode ? { lastStatusCode: Number(hash.lastStatusCode) } : {}),
  };
}
