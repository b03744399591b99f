import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { AppendOutcome, DomainEvent, PendingEvent } from './domain-event';
import { partitionFor, partitionOfEventId, withPartition } from './event-id';
import { compileTypeGlob } from './event-type-glob';
import { isValidStreamCursor } from './instant';
import { REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';

/*
 * Appends a batch of events in one round trip. Per event: if its dedupe key exists the event is a
 * duplicate (the key holds the first event's id); otherwise set the key with a TTL, XADD the event
 * to the bounded stream and index event id -> stream id. Atomic, so two gateways racing on the
 * same redelivery store it once.
 *
 * It also counts accepted events (per type) and duplicates in the source's hourly stats hash, unless
 * the hub raised them itself (countStats "0"): those stats count what senders sent.
 *
 * With a rate limit (limit > 0), the request is first counted in the source's window, shared by
 * every gateway: a sliding estimate (previous window weighted by what is left of it, plus this one)
 * over the limit refuses the whole request, storing nothing, and answers how long to wait.
 *
 * KEYS: [stream, stats, rateWindow, ratePrevious, dedupe_1, index_1, dedupe_2, index_2, ...]
 * ARGV: [dedupeTtl, maxLen (unused: the worker trims), indexTtl, statsTtl, countStats, limit, windowMs, nowMs,
 *        id_1, source_1, type_1, json_1, id_2, ...]
 * Returns: [status_1, id_1, status_2, id_2, ...] with status 1 = accepted, 0 = duplicate; or
 * [-1, retryAfterMs] when over the rate limit.
 */
const APPEND_EVENTS_LUA = `
local stream = KEYS[1]
local stats = KEYS[2]
local dedupeTtl = ARGV[1]
local indexTtl = ARGV[3]
local count = ARGV[5] == '1'
local limit = tonumber(ARGV[6])
if limit > 0 then
  local windowMs = tonumber(ARGV[7])
  local now = tonumber(ARGV[8])
  local into = (now % windowMs) / windowMs
  local counts = redis.call('MGET', KEYS[4], KEYS[3])
  local previous = tonumber(counts[1] or '0')
  local current = tonumber(counts[2] or '0')
  if previous * (1 - into) + current >= limit then
    return {-1, windowMs - (now % windowMs)}
  end
  -- The window's key lives two windows from its first count: through its own window and the next,
  -- which reads it as the previous one.
  if redis.call('INCR', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], windowMs * 2) end
end
local out = {}
local statsCreated = false
local n = (#KEYS - 4) / 2
for i = 1, n do
  local dedupeKey = KEYS[2 * i + 3]
  local indexKey = KEYS[2 * i + 4]
  local a = 9 + (i - 1) * 4
  local id = ARGV[a]
  -- Set only when absent (one command for a new event); a duplicate reads the first event's id.
  local prior = not redis.call('SET', dedupeKey, id, 'NX', 'EX', dedupeTtl) and redis.call('GET', dedupeKey)
  if prior then
    if count and redis.call('HINCRBY', stats, 'duplicates', 1) == 1 then statsCreated = true end
    out[#out + 1] = 0
    out[#out + 1] = prior
  else
    -- No MAXLEN here: trimming at append time ignores the consumer groups and could drop entries no
    -- worker has fanned out. The worker trims behind every group's progress (EventStreamTrimmer).
    local entryId = redis.call('XADD', stream, '*',
      'id', id, 'source', ARGV[a + 1], 'type', ARGV[a + 2], 'event', ARGV[a + 3])
    redis.call('SET', indexKey, entryId, 'EX', indexTtl)
    if count then
      if redis.call('HINCRBY', stats, 'accepted', 1) == 1 then statsCreated = true end
      redis.call('HINCRBY', stats, 'type:' .. ARGV[a + 2], 1)
    end
    out[#out + 1] = 1
    out[#out + 1] = id
  end
end
-- The hour's hash gets its lifetime when it is made (its first count of either kind); the other
-- writer of that hash (IngressStatsRepository) sets it too.
if statsCreated then redis.call('EXPIRE', stats, ARGV[4]) end
return out
`;

/* KEYS: [stream, index]. Returns the stored event JSON or nil (unknown id or trimmed from the stream). */
const GET_EVENT_LUA = `
local entryId = redis.call('GET', KEYS[2])
if not entryId then return nil end
local entries = redis.call('XRANGE', KEYS[1], entryId, entryId)
if #entries == 0 then return nil end
local fields = entries[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 'event' then return fields[i + 1] end
end
return nil
`;

type HubRedis = Redis & {
  hubAppendEvents(numKeys: number, ...args: (string | number)[]): Promise<(number | string)[]>;
  hubGetEvent(numKeys: number, ...args: string[]): Promise<string | null>;
};

export interface ListEventsQuery {
  source?: string;
  /** Type glob (`whatsapp.message.*`). */
  type?: string;
  /** Only events received at or after this instant. */
  since?: Date;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface EventPage {
  data: DomainEvent[];
  nextCursor: string | null;
}

/** A stream entry as read back: its stream id and the event it holds. */
export interface StreamEntry {
  entryId: string;
  event: DomainEvent;
}

const STREAM_ID = /^\d{1,16}-\d{1,10}$/;
/** Hourly stats hashes live two days, enough for "last 24 hours" views. */
export const STATS_TTL_SECONDS = 49 * 3600;

export function hourBucket(now: number): number {
  return Math.floor(now / 3_600_000);
}
/** A page scans at most this many entries, so a rare filter cannot make one request unbounded. */
const MAX_SCAN_PER_PAGE = 5_000;

/** The source is over its rate limit (counted in Redis, so across every gateway); nothing was stored. */
export class SourceRateLimitedError extends Error {
  constructor(
    readonly source: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`rate limit exceeded for source ${source}; retry after ${retryAfterSeconds}s`);
    this.name = 'SourceRateLimitedError';
  }
}

@Injectable()
export class EventsRepository {
  private readonly redis: HubRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
  ) {
    if (!('hubAppendEvents' in redis)) {
      redis.defineCommand('hubAppendEvents', { lua: APPEND_EVENTS_LUA });
      redis.defineCommand('hubGetEvent', { lua: GET_EVENT_LUA });
    }
    this.redis = redis as HubRedis;
  }

  /**
   * Stores a batch of one source's events atomically in one round trip; outcomes are in input order.
   * `raised: true` marks events the hub raised itself (a tool result, an alert): not counted as ingress.
   */
  async append(
    batch: PendingEvent[],
    now: number = Date.now(),
    options: { raised?: boolean; dedupeTtlSeconds?: number; rateLimit?: { limit: number; windowMs: number } } = {},
  ): Promise<AppendOutcome[]> {
    if (batch.length === 0) return [];
    const source = batch[0].event.source;
    if (batch.some((p) => p.event.source !== source)) throw new Error('EventsRepository.append takes one source per batch');
    if (this.keys.partitions === 1) return this.appendToPartition(0, batch, now, options);
    // Each event goes to its dedupe key's partition, and its id says which (withPartition): one script
    // per partition the request touches (one for nearly every request), run together.
    const groups = new Map<number, number[]>();
    batch.forEach((pending, i) => {
      const partition = partitionFor(source, pending.dedupeKey, this.keys.partitions);
      pending.event.id = withPartition(pending.event.id, partition);
      groups.set(partition, [...(groups.get(partition) ?? []), i]);
    });
    // The per-source limit is kept per partition, at its share of the limit (events spread evenly).
    const rateLimit = options.rateLimit && { ...options.rateLimit, limit: Math.max(1, Math.ceil(options.rateLimit.limit / this.keys.partitions)) };
    const results = await Promise.all(
      [...groups].map(async ([partition, indexes]) => ({ indexes, outcomes: await this.appendToPartition(partition, indexes.map((i) => batch[i]), now, { ...options, rateLimit }) })),
    );
    const outcomes: AppendOutcome[] = new Array(batch.length);
    for (const { indexes, outcomes: part } of results) indexes.forEach((i, k) => (outcomes[i] = part[k]));
    return outcomes;
  }

  private async appendToPartition(
    partition: number,
    batch: PendingEvent[],
    now: number,
    options: { raised?: boolean; dedupeTtlSeconds?: number; rateLimit?: { limit: number; windowMs: number } },
  ): Promise<AppendOutcome[]> {
    const source = batch[0].event.source;
    const rate = options.rateLimit;
    const window = rate ? Math.floor(now / rate.windowMs) : 0;
    const keys: string[] = [
      this.keys.eventStream(partition),
      this.keys.sourceStats(source, hourBucket(now), partition),
      this.keys.rateWindow(source, window, partition),
      this.keys.rateWindow(source, window - 1, partition),
    ];
    const args: (string | number)[] = [
      // A source whose platform retries longer keeps its dedupe keys longer (never shorter than configured).
      Math.max(this.config.dedupeTtlSeconds, options.dedupeTtlSeconds ?? 0),
      this.config.eventStreamMaxLen,
      this.config.eventRetentionSeconds,
      STATS_TTL_SECONDS,
      options.raised ? '0' : '1',
      rate?.limit ?? 0,
      rate?.windowMs ?? 1,
      now,
    ];
    for (const { event, dedupeKey } of batch) {
      keys.push(this.keys.dedupe(event.source, dedupeKey), this.keys.eventIndex(event.id));
      args.push(event.id, event.source, event.type, JSON.stringify(event));
    }
    const reply = await this.redis.hubAppendEvents(keys.length, ...keys, ...args);
    if (Number(reply[0]) === -1) throw new SourceRateLimitedError(source, Math.max(1, Math.ceil(Number(reply[1]) / 1000)));
    const outcomes: AppendOutcome[] = [];
    for (let i = 0; i < reply.length; i += 2) {
      const id = String(reply[i + 1]);
      outcomes.push(Number(reply[i]) === 1 ? { status: 'accepted', id } : { status: 'duplicate', id });
    }
    return outcomes;
  }

  /** Stores one event the hub raised itself (see `append`); a second call with the same key is a duplicate. */
  async raise(event: DomainEvent, dedupeKey: string): Promise<AppendOutcome> {
    const [outcome] = await this.append([{ event, dedupeKey }], Date.now(), { raised: true });
    return outcome;
  }

  async get(id: string): Promise<DomainEvent | null> {
    const json = await this.redis.hubGetEvent(2, this.keys.eventStream(partitionOfEventId(id, this.keys.partitions)), this.keys.eventIndex(id));
    return json ? (JSON.parse(json) as DomainEvent) : null;
  }

  /**
   * Newest first. With one partition the cursor is the last stream id a page looked at; with several,
   * one position per partition (a stream id, "+" or "x", joined by "."), the partitions merged by time, so a page
   * boundary stays put however the partitions interleave.
   */
  async list(query: ListEventsQuery): Promise<EventPage> {
    if (query.cursor !== undefined && !this.isValidCursor(query.cursor)) return { data: [], nextCursor: null };
    if (this.keys.partitions === 1) {
      if (query.cursor === '0-0') return { data: [], nextCursor: null };
      const page = await this.scan(0, query, query.cursor);
      return { data: page.rows.map((r) => r.event), nextCursor: page.exhausted || page.lastId === null ? null : page.lastId };
    }
    // Per partition: a stream id to resume before, "+" (not started: from the newest) or "x" (done).
    const cursors = query.cursor ? query.cursor.split('.').map((c) => (c === 'x' ? null : c === '+' ? undefined : c)) : this.keys.partitionIds.map(() => undefined);
    const pages = await Promise.all(
      this.keys.partitionIds.map(async (p) => (cursors[p] === null ? { rows: [], lastId: null, exhausted: true } : this.scan(p, query, cursors[p] ?? undefined))),
    );
    const merged = pages
      .flatMap((page, p) => page.rows.map((row) => ({ ...row, p })))
      .sort((a, b) => compareStreamIds(b.entryId, a.entryId) || b.p - a.p)
      .slice(0, query.limit);
    const next = this.keys.partitionIds.map((p) => {
      const taken = merged.filter((r) => r.p === p);
      const page = pages[p];
      // Everything this partition gave was used and it has no more: done. Otherwise resume after the
      // last entry used (or where the page started, when none was).
      if (page.exhausted && taken.length === page.rows.length) return 'x';
      if (taken.length) return taken[taken.length - 1].entryId;
      return taken.length === page.rows.length && page.lastId ? page.lastId : (cursors[p] ?? '+');
    });
    const done = next.every((c) => c === 'x');
    return { data: merged.map((r) => r.event), nextCursor: done ? null : next.join('.') };
  }

  /** Up to `limit` matching events of one partition, newest first, before `cursor`. */
  private async scan(partition: number, query: ListEventsQuery, cursor: string | undefined): Promise<{ rows: { entryId: string; event: DomainEvent }[]; lastId: string | null; exhausted: boolean }> {
    const typeRe = query.type ? compileTypeGlob(query.type) : undefined;
    // Callers bound since (parseInstant); 0-0 is the first possible id, so nothing lies before it.
    const start = query.since ? `${Math.max(0, query.since.getTime())}-0` : '-';
    let end = cursor ? `(${cursor}` : '+';
    const rows: { entryId: string; event: DomainEvent }[] = [];
    let scanned = 0;
    let lastId: string | null = null;
    let exhausted = false;
    const chunk = Math.min(Math.max(query.limit * 2, 100), 1_000);

    while (rows.length < query.limit && scanned < MAX_SCAN_PER_PAGE) {
      const found = (await this.redis.xrevrange(this.keys.eventStream(partition), end, start, 'COUNT', chunk)) as [string, string[]][];
      if (found.length === 0) {
        exhausted = true;
        break;
      }
      for (const [entryId, fields] of found) {
        scanned++;
        lastId = entryId;
        const entry = fieldsToMap(fields);
        if (query.source && entry.source !== query.source) continue;
        if (typeRe && !typeRe.test(entry.type ?? '')) continue;
        rows.push({ entryId, event: JSON.parse(entry.event) as DomainEvent });
        if (rows.length === query.limit) break;
      }
      if (found.length < chunk && rows.length < query.limit) {
        exhausted = true;
        break;
      }
      end = `(${lastId}`;
    }
    return { rows, lastId, exhausted };
  }

  /** A cursor this repository gave out: a stream id (one partition), or one position per partition. */
  isValidCursor(cursor: string): boolean {
    if (this.keys.partitions === 1) return EventsRepository.isValidCursor(cursor);
    const parts = cursor.split('.');
    return parts.length === this.keys.partitions && parts.every((c) => c === 'x' || c === '+' || (c !== '0-0' && EventsRepository.isValidCursor(c)));
  }

  /** A valid stream id within the range the hub accepts. */
  static isValidCursor(cursor: string): boolean {
    return STREAM_ID.test(cursor) && isValidStreamCursor(cursor);
  }
}

/** Orders two stream ids `<ms>-<seq>` as numbers. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

export function fieldsToMap(fields: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  return map;
}

export function entryToStreamEntry(entryId: string, fields: string[]): StreamEntry {
  return { entryId, event: JSON.parse(fieldsToMap(fields).event) as DomainEvent };
}
