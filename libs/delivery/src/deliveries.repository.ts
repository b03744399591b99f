import { Inject, Injectable } from '@nestjs/common';
import type { ChainableCommander, default as Redis } from 'ioredis';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';
import { DELIVERY_ID_PATTERN, Delivery, DeliveryAttempt, DeliveryStatus, OWN_PAYLOAD_FIELD, PAYLOAD_REF_FIELD } from './delivery';
import { DeliveryRedis, withDeliveryScripts } from './delivery-scripts';
import { groupBy } from './group-by';
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
   * Records new deliveries of one delivery shard (status pending) in one round trip: the keys share
   * the shard's hash tag, one slot on a cluster. A record that exists already (a
   * fan-out re-run after a crash) is left alone, whatever state it moved on to. Indexes older than
   * the records' lifetime are trimmed on the way. Each new record takes a reference on its body
   * (`payloads[i]`, shared by deliveries with the same key); each distinct body is sent once.
   */
  async createMany(shard: number, deliveries: Delivery[], payloads: { key: string; body: string }[]): Promise<void> {
    if (deliveries.length === 0) return;
    const keys: string[] = [this.keys.deliveriesIndex(shard), this.keys.deadLetters(shard)];
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
      keys.push(this.keys.delivery(d.id), this.keys.deliveriesOfSubscription(d.subscriptionId), this.keys.deliveriesOfEvent(d.eventId, shard), key);
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
      this.keys.deadLetters(this.keys.deliveryShardOfDelivery(id)),
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

  /** Newest first, filtered by subscription, event and status (merged over the delivery shards). */
  async list(query: DeliveryQuery): Promise<{ data: Delivery[]; nextCursor: string | null }> {
    const shards = this.keys.deliveryShards;
    const indexes = query.eventId
      ? shards.map((shard) => this.keys.deliveriesOfEvent(query.eventId!, shard))
      : query.subscriptionId
        ? [this.keys.deliveriesOfSubscription(query.subscriptionId)]
        : shards.map((shard) => this.keys.deliveriesIndex(shard));
    return this.page(indexes, query, (d) =>
      (!query.subscriptionId || d.subscriptionId === query.subscriptionId) && (!query.status || d.status === query.status),
    );
  }

  /** Dead letters, newest first (of one subscription: only its shard's). */
  async listDead(query: { subscriptionId?: string; limit: number; cursor?: string }): Promise<{ data: Delivery[]; nextCursor: string | null }> {
    const shards = query.subscriptionId ? [this.keys.deliveryShardOf(query.subscriptionId)] : this.keys.deliveryShards;
    return this.page(
      shards.map((shard) => this.keys.deadLetters(shard)),
      query,
      (d) => d.status === 'dead' && (!query.subscriptionId || d.subscriptionId === query.subscriptionId),
    );
  }

  /** Dead letters in every shard. */
  async countDead(): Promise<number> {
    const counts = await Promise.all(this.keys.deliveryShards.map((shard) => this.redis.zcard(this.keys.deadLetters(shard))));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** Marks a delivery dead without an attempt (its job failed outside an attempt, e.g. stalled too often). */
  async markDead(id: string, reason: string): Promise<void> {
    const now = new Date();
    await exec(
      this.redis
        .multi()
        .hset(this.keys.delivery(id), toHash({ status: 'dead', lastError: reason, deadAt: now.toISOString(), updatedAt: now.toISOString() }))
        .hdel(this.keys.delivery(id), 'nextAttemptAt')
        .zadd(this.keys.deadLetters(this.keys.deliveryShardOfDelivery(id)), now.getTime(), id),
    );
  }

  async removeDead(ids: string[]): Promise<void> {
    const byShard = groupBy(ids, (id) => this.keys.deliveryShardOfDelivery(id));
    await Promise.all([...byShard].map(([shard, group]) => this.redis.zrem(this.keys.deadLetters(shard), ...group)));
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

  /** Each delivery's status and next attempt time (null where none exists), in the order given, one round trip per shard. */
  async statesOf(ids: string[]): Promise<({ status: DeliveryStatus; nextAttemptAt?: string } | null)[]> {
    const replies = await this.readEach(ids, (pipeline, key) => pipeline.hmget(key, 'status', 'nextAttemptAt'));
    return ids.map((id) => {
      const [status, nextAttemptAt] = (replies.get(id) ?? []) as (string | null)[];
      return status ? { status: status as DeliveryStatus, ...(nextAttemptAt ? { nextAttemptAt } : {}) } : null;
    });
  }

  /** The deliveries of these ids that exist, in the order given (one pipeline per shard). */
  async getMany(ids: string[]): Promise<Delivery[]> {
    const replies = await this.readEach(ids, (pipeline, key) => pipeline.hgetall(key));
    return ids
      .map((id) => replies.get(id) as Record<string, string> | undefined)
      .filter((hash): hash is Record<string, string> => hash !== undefined && Object.keys(hash).length > 0)
      .map(fromHash);
  }

  /** One read of each delivery's record, by id: one pipeline per shard, the shards read together. */
  private async readEach(ids: string[], read: (pipeline: ChainableCommander, key: string) => unknown): Promise<Map<string, unknown>> {
    const replies = new Map<string, unknown>();
    await Promise.all(
      [...groupBy(ids, (id) => this.keys.deliveryShardOfDelivery(id)).values()].map(async (group) => {
        const pipeline = this.redis.pipeline();
        for (const id of group) read(pipeline, this.keys.delivery(id));
        ((await pipeline.exec()) ?? []).forEach(([error, reply], i) => {
          if (error) throw error;
          replies.set(group[i], reply);
        });
      }),
    );
    return replies;
  }

  /**
   * One page, newest first, merged over sorted sets (one per shard) in the order Redis gives within
   * one set: score descending, then id descending. The cursor is the last item's `<ms>-<id>`; each set
   * is read after it in chunks, so a page costs a few reads per set however many items share a score.
   */
  private async page(indexes: string[], query: { limit: number; cursor?: string }, keep: (d: Delivery) => boolean): Promise<{ data: Delivery[]; nextCursor: string | null }> {
    const after = query.cursor ? parseCursor(query.cursor) : undefined;
    const chunk = Math.min(Math.max(query.limit * 2, 100), 1000);
    const readers = await Promise.all(indexes.map((index) => IndexReader.after(this.redis, index, after, chunk)));
    const data: Delivery[] = [];
    let last: IndexItem | undefined;
    let scanned = 0;
    for (;;) {
      await Promise.all(readers.map((reader) => reader.fill()));
      const batch: IndexItem[] = [];
      while (batch.length < chunk) {
        const next = IndexReader.take(readers);
        if (!next) break;
        batch.push(next);
        if (readers.some((reader) => reader.needsFill())) break;
      }
      if (batch.length === 0) return { data, nextCursor: null };
      const deliveries = new Map((await this.getMany(batch.map((item) => item.id))).map((d) => [d.id, d]));
      for (const item of batch) {
        scanned++;
        last = item;
        const d = deliveries.get(item.id);
        if (d && keep(d)) data.push(d);
        // A filter that matches little stops after 5,000 items and hands out a cursor to go on.
        if (data.length === query.limit || scanned >= 5_000) return { data, nextCursor: `${last.score}-${last.id}` };
      }
    }
  }
}

interface IndexItem {
  score: number;
  id: string;
}

function parseCursor(cursor: string): IndexItem {
  const dash = cursor.indexOf('-');
  return { score: Number(cursor.slice(0, dash)), id: cursor.slice(dash + 1) };
}

/** True when `a` comes before `b` in newest-first order (score, then id, descending). */
function before(a: IndexItem, b: IndexItem): boolean {
  return a.score > b.score || (a.score === b.score && a.id > b.id);
}

/** Reads one sorted set newest first, in chunks, from after a cursor. */
class IndexReader {
  private buffer: IndexItem[] = [];
  private done = false;

  private constructor(
    private readonly redis: Redis,
    private readonly index: string,
    /** Read from this score down, skipping this many items at exactly that score (already handed out). */
    private maxScore: number,
    private skipAtMax: number,
    private readonly chunk: number,
  ) {}

  static async after(redis: Redis, index: string, cursor: IndexItem | undefined, chunk: number): Promise<IndexReader> {
    if (!cursor) return new IndexReader(redis, index, Infinity, 0, chunk);
    // Items at the cursor's score that sort at or before it were on earlier pages.
    const atScore = await redis.zrevrangebyscore(index, cursor.score, cursor.score);
    return new IndexReader(redis, index, cursor.score, atScore.filter((id) => id >= cursor.id).length, chunk);
  }

  /** The reader whose next item comes first, which hands it over; undefined when all are drained. */
  static take(readers: IndexReader[]): IndexItem | undefined {
    let best: IndexReader | undefined;
    for (const reader of readers) if (reader.buffer.length && (!best || before(reader.buffer[0], best.buffer[0]))) best = reader;
    return best?.buffer.shift();
  }

  /** Its buffer is empty while the set may hold more: merging must wait for a read. */
  needsFill(): boolean {
    return this.buffer.length === 0 && !this.done;
  }

  async fill(): Promise<void> {
    if (!this.needsFill()) return;
    const max = this.maxScore === Infinity ? '+inf' : this.maxScore;
    const rows = await this.redis.zrevrangebyscore(this.index, max, '-inf', 'WITHSCORES', 'LIMIT', this.skipAtMax, this.chunk);
    for (let i = 0; i < rows.length; i += 2) this.buffer.push({ id: rows[i], score: Number(rows[i + 1]) });
    if (rows.length / 2 < this.chunk) this.done = true;
    const lowest = this.buffer.at(-1);
    if (!lowest) return;
    if (lowest.score === this.maxScore) this.skipAtMax += this.buffer.length;
    else {
      this.maxScore = lowest.score;
      this.skipAtMax = this.buffer.filter((item) => item.score === lowest.score).length;
    }
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
