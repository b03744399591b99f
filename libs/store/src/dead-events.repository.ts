import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { DomainEvent } from './domain-event';
import { compareStreamIds, fieldsToMap } from './events.repository';
import { REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';

/*
 * Moves one dead entry back onto the event stream, atomically: its original fields are appended
 * again, the event's id index points at the new entry, and the dead entry goes.
 * KEYS: [dead, stream, index]  ARGV: [deadEntryId, indexTtl, maxLen]  Returns the new entry id or nil.
 */
const REDRIVE_LUA = `
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entries == 0 then return nil end
local fields = entries[1][2]
local original = {}
for i = 1, #fields, 2 do
  if fields[i] ~= 'entryId' and fields[i] ~= 'reason' then
    original[#original + 1] = fields[i]
    original[#original + 1] = fields[i + 1]
  end
end
local entryId = redis.call('XADD', KEYS[2], '*', unpack(original))
redis.call('SET', KEYS[3], entryId, 'EX', ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[1])
return entryId
`;

export interface DeadEvent {
  /** The dead entry's id, what redrive takes. */
  deadId: string;
  /** Where it stood in the event stream. */
  entryId: string;
  reason: string;
  deadAt: string;
  event: DomainEvent | null;
}

type DeadRedis = Redis & { hubRedriveDeadEvent(numKeys: number, ...args: (string | number)[]): Promise<string | null> };

const STREAM_ID = /^\d{1,16}-\d{1,10}$/;

/**
 * Stream entries the worker gave up on (STREAM_MAX_DELIVERIES failed runs, or unreadable): listed
 * and sent through the handlers again once the cause is fixed (REST and MCP).
 */
@Injectable()
export class DeadEventsRepository {
  private readonly redis: DeadRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    if (!('hubRedriveDeadEvent' in redis)) redis.defineCommand('hubRedriveDeadEvent', { lua: REDRIVE_LUA });
    this.redis = redis as DeadRedis;
  }

  /**
   * Newest first, every partition's dead events merged by time; `cursor` is the last deadId of the
   * previous page (dead ids are stream ids, so one position serves every partition).
   */
  async list(query: { limit: number; cursor?: string }): Promise<{ data: DeadEvent[]; nextCursor: string | null }> {
    if (query.cursor !== undefined && !STREAM_ID.test(query.cursor)) throw new BadRequestException('cursor must be a nextCursor value from a previous page');
    const perPartition = await Promise.all(
      this.keys.partitionIds.map(async (p) => (await this.redis.xrevrange(this.keys.deadEventStream(p), query.cursor ? `(${query.cursor}` : '+', '-', 'COUNT', query.limit + 1)) as [string, string[]][]),
    );
    const rows = perPartition.flat().sort(([a], [b]) => compareStreamIds(b, a));
    const data = rows.slice(0, query.limit).map(([deadId, fields]) => toDeadEvent(deadId, fields));
    return { data, nextCursor: rows.length > query.limit ? data[data.length - 1].deadId : null };
  }

  async count(): Promise<number> {
    const lengths = await Promise.all(this.keys.partitionIds.map((p) => this.redis.xlen(this.keys.deadEventStream(p))));
    return lengths.reduce((a, b) => a + b, 0);
  }

  /** Puts the given dead entries (or every one, at most 1000 a call) back on the event stream. */
  async redrive(request: { ids?: unknown; dryRun?: unknown }, retentionSeconds: number, maxLen: number): Promise<{ dryRun: boolean; matched: number; redriven: number; missing: string[] }> {
    const ids = request.ids;
    if (ids !== undefined && (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000 || !ids.every((id) => typeof id === 'string' && STREAM_ID.test(id)))) {
      throw new BadRequestException('ids must be 1-1000 dead event ids (deadId values from the list)');
    }
    const targets = (ids as string[] | undefined) ?? (await this.list({ limit: 1000 })).data.map((d) => d.deadId);
    if (request.dryRun === true) return { dryRun: true, matched: targets.length, redriven: 0, missing: [] };
    let redriven = 0;
    const missing: string[] = [];
    for (const deadId of targets) {
      // The partition whose dead stream holds it (a dead id names no partition; there are few of them).
      let entryId: string | null = null;
      for (const p of this.keys.partitionIds) {
        const dead = await this.redis.xrange(this.keys.deadEventStream(p), deadId, deadId);
        const eventId = dead[0] ? fieldsToMap(dead[0][1]).id : undefined;
        if (!eventId) continue;
        entryId = await this.redis.hubRedriveDeadEvent(3, this.keys.deadEventStream(p), this.keys.eventStream(p), this.keys.eventIndex(eventId), deadId, retentionSeconds, maxLen);
        break;
      }
      if (entryId) redriven++;
      else missing.push(deadId);
    }
    return { dryRun: false, matched: targets.length, redriven, missing };
  }
}

function toDeadEvent(deadId: string, fields: string[]): DeadEvent {
  const map = fieldsToMap(fields);
  let event: DomainEvent | null = null;
  try {
    event = map.event ? (JSON.parse(map.event) as DomainEvent) : null;
  } catch {
    event = null;
  }
  return { deadId, entryId: map.entryId ?? '', reason: map.reason ?? '', deadAt: new Date(Number(deadId.split('-')[0])).toISOString(), event };
}
