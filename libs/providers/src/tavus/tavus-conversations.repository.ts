import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';

/*
 * Applies one event to a conversation's read model, once: the event id is marked first, so a re-run
 * changes nothing. An item (a message, a tool call, a result) is kept by its own id, and its counters
 * move only the first time that id is seen (a redelivered message counts once). An ended
 * conversation keeps status "ended" whatever later `updated` events say.
 *
 * KEYS: [conversation, seen, items, index]
 * ARGV: [eventId, ttlSeconds, nowMs, ends ("1"/"0"), itemId ("" = none), itemJson, counterCount,
 *        (counterField, increment) * counterCount, (field, value) * rest]
 * Returns 1 when applied, 0 when this event was applied before.
 */
const APPLY_LUA = `
if redis.call('HSETNX', KEYS[2], ARGV[1], '1') == 0 then return 0 end
local ttl = tonumber(ARGV[2])
local counters = tonumber(ARGV[7])
local fresh = true
if ARGV[5] ~= '' then
  fresh = redis.call('HSETNX', KEYS[3], ARGV[5], ARGV[6]) == 1
  redis.call('EXPIRE', KEYS[3], ttl)
end
local i = 8
if fresh then
  for c = 1, counters do
    redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
else
  i = i + counters * 2
end
local ended = redis.call('HGET', KEYS[1], 'status') == 'ended'
while i < #ARGV do
  local field, value = ARGV[i], ARGV[i + 1]
  if not (field == 'status' and ended and ARGV[4] ~= '1') then redis.call('HSET', KEYS[1], field, value) end
  i = i + 2
end
redis.call('HSETNX', KEYS[1], 'first_event_at', ARGV[3])
redis.call('HSET', KEYS[1], 'last_event_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[4], ARGV[3], redis.call('HGET', KEYS[1], 'conversation_id') or '')
-- The index lists conversations as long as their read models live.
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[3]) - ttl * 1000)
return 1
`;

export type ItemKind = 'messages' | 'tool_calls' | 'tool_results';

export interface ConversationChange {
  conversationId: string;
  eventId: string;
  /** This event ends the conversation (its status may then change to ended, and stays). */
  ends?: boolean;
  item?: { kind: ItemKind; id: string; value: Record<string, unknown> };
  /** Counters that move once per new item (or per event without an item). */
  counters?: Record<string, number>;
  /** Fields set on the conversation; objects are stored as JSON. */
  fields?: Record<string, string | number | boolean | object | null | undefined>;
}

export interface StoredConversation {
  fields: Record<string, string>;
  messages: Record<string, unknown>[];
  toolCalls: Record<string, unknown>[];
  toolResults: Record<string, unknown>[];
}

type ConversationRedis = Redis & { hubApplyConversation(numKeys: number, ...args: (string | number)[]): Promise<number> };

/** The conversation read models, kept for the event retention (EVENT_RETENTION_SECONDS). */
@Injectable()
export class TavusConversationsRepository {
  private readonly redis: ConversationRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
  ) {
    if (!('hubApplyConversation' in redis)) redis.defineCommand('hubApplyConversation', { lua: APPLY_LUA });
    this.redis = redis as ConversationRedis;
  }

  private key(id: string, part?: string): string {
    return part ? this.keys.provider('tavus', 'conversation', id, part) : this.keys.provider('tavus', 'conversation', id);
  }

  private get index(): string {
    return this.keys.provider('tavus', 'conversations');
  }

  async apply(change: ConversationChange, now = Date.now()): Promise<boolean> {
    const { conversationId: id } = change;
    const counters = Object.entries(change.counters ?? {});
    const fields = Object.entries({ conversation_id: id, ...(change.fields ?? {}) })
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
    const applied = await this.redis.hubApplyConversation(
      4,
      this.key(id),
      this.key(id, 'seen'),
      this.key(id, change.item?.kind ?? 'messages'),
      this.index,
      change.eventId,
      this.config.eventRetentionSeconds,
      now,
      change.ends ? '1' : '0',
      change.item?.id ?? '',
      change.item ? JSON.stringify(change.item.value) : '',
      counters.length,
      ...counters.flat(),
      ...fields.flat(),
    );
    return applied === 1;
  }

  async get(id: string): Promise<StoredConversation | null> {
    const [fields, messages, toolCalls, toolResults] = await this.redis
      .multi()
      .hgetall(this.key(id))
      .hvals(this.key(id, 'messages'))
      .hvals(this.key(id, 'tool_calls'))
      .hvals(this.key(id, 'tool_results'))
      .exec()
      .then((replies) => (replies ?? []).map(([, value]) => value));
    const record = fields as Record<string, string>;
    if (!record || Object.keys(record).length === 0) return null;
    const parse = (values: unknown) => (values as string[]).map((v) => JSON.parse(v) as Record<string, unknown>);
    return { fields: record, messages: parse(messages), toolCalls: parse(toolCalls), toolResults: parse(toolResults) };
  }

  /** The counters and state of the conversations active since `since` (most recent first, at most `limit`). */
  async recentFields(since: number, limit: number): Promise<Record<string, string>[]> {
    const ids = await this.redis.zrevrangebyscore(this.index, '+inf', since, 'LIMIT', 0, limit);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, value]) => value as Record<string, string>).filter((f) => f && Object.keys(f).length > 0);
  }
}
