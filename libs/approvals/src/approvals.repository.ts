import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';
import { Approval, ApprovalDecision, ApprovalStatus, ApprovalTelegramMessage } from './approval';

/*
 * Creates an approval: its hash, its place in the index and the expiry schedule, and the outbox
 * entry that says its `requested` event is still to be stored, atomically; an id that exists
 * already (a request derived from an event, made again) changes nothing and returns 0.
 * KEYS: [approval, index, outbox, expiring]  ARGV: [id, requestJson, expiresAtMs, ttlSeconds, nowMs, pruneBelow]
 */
const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'request', ARGV[2], 'status', 'pending', 'expiresAtMs', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZREMRANGEBYLEX', KEYS[2], '-', ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1] .. ':requested')
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
return 1
`;

/*
 * Expires a pending approval whose time has come (and queues its `expired` event); anything else
 * only leaves the expiry schedule. KEYS: [approval, outbox, expiring]  ARGV: [id, nowMs]
 * Returns 1 when it expired the approval now, 0 otherwise.
 */
const EXPIRE_LUA = `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'pending' then
  if tonumber(ARGV[2]) < tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) then return 0 end
  redis.call('HSET', KEYS[1], 'status', 'expired')
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1] .. ':expired')
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 1
end
redis.call('ZREM', KEYS[3], ARGV[1])
return 0
`;

/*
 * The first decision wins: only a pending, unexpired approval changes, and its `decided` event
 * joins the outbox in the same step. A pending one past its time becomes expired instead.
 * KEYS: [approval, outbox, expiring]  ARGV: [status, decisionJson, nowMs, id]
 * Returns {'ok'} | {'missing'} | {'expired'} | {'conflict', status, decisionJson}
 */
const DECIDE_LUA = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'pending' then return {'conflict', status, redis.call('HGET', KEYS[1], 'decision') or ''} end
redis.call('ZREM', KEYS[3], ARGV[4])
if tonumber(ARGV[3]) >= tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4] .. ':expired')
  return {'expired'}
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'decision', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4] .. ':decided')
return {'ok'}
`;

type ApprovalRedis = Redis & {
  hubCreateApproval(numKeys: number, ...args: (string | number)[]): Promise<number>;
  hubDecideApproval(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  hubExpireApproval(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

export type DecideOutcome =
  | { outcome: 'ok' }
  | { outcome: 'missing' }
  | { outcome: 'expired' }
  | { outcome: 'conflict'; status: ApprovalStatus; decision?: ApprovalDecision };

const FIELDS = ['request', 'status', 'expiresAtMs', 'decision', 'result', 'telegram'] as const;

/** Approvals in Redis; every key shares the prefix's hash tag, so each script touches one slot. */
@Injectable()
export class ApprovalsRepository {
  private readonly redis: ApprovalRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
  ) {
    if (!('hubCreateApproval' in redis)) {
      redis.defineCommand('hubCreateApproval', { lua: CREATE_LUA });
      redis.defineCommand('hubDecideApproval', { lua: DECIDE_LUA });
      redis.defineCommand('hubExpireApproval', { lua: EXPIRE_LUA });
    }
    this.redis = redis as ApprovalRedis;
  }

  /** How long an approval is kept: its time to decide, then the event retention. */
  private get ttlSeconds(): number {
    return this.config.approvals.ttlSeconds + this.config.eventRetentionSeconds;
  }

  /** False when an approval with this id exists already (nothing changed). */
  async create(approval: Approval, now: number, pruneBelowId: string): Promise<boolean> {
    const { status: _status, decision: _decision, result: _result, telegram: _telegram, ...request } = approval;
    const created = await this.redis.hubCreateApproval(
      4,
      this.keys.approval(approval.id),
      this.keys.approvalsIndex(),
      this.keys.approvalsOutbox(),
      this.keys.approvalsExpiring(),
      approval.id,
      JSON.stringify(request),
      Date.parse(approval.expiresAt),
      this.ttlSeconds,
      now,
      `(${pruneBelowId}`,
    );
    return created === 1;
  }

  async decide(id: string, status: 'approved' | 'rejected', decision: ApprovalDecision, now: number): Promise<DecideOutcome> {
    const [outcome, current, decisionJson] = await this.redis.hubDecideApproval(
      3,
      this.keys.approval(id),
      this.keys.approvalsOutbox(),
      this.keys.approvalsExpiring(),
      status,
      JSON.stringify(decision),
      now,
      id,
    );
    if (outcome === 'conflict') {
      return { outcome, status: current as ApprovalStatus, ...(decisionJson ? { decision: JSON.parse(decisionJson) as ApprovalDecision } : {}) };
    }
    return { outcome: outcome as 'ok' | 'missing' | 'expired' };
  }

  async get(id: string, now = Date.now()): Promise<Approval | null> {
    const values = await this.redis.hmget(this.keys.approval(id), ...FIELDS);
    return toApproval(values, now);
  }

  async getMany(ids: string[], now = Date.now()): Promise<(Approval | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.approval(id), ...FIELDS);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, values]) => (error ? null : toApproval(values as (string | null)[], now)));
  }

  /** Newest first; `before` is the last id of the previous page. */
  async pageIds(before: string | undefined, count: number): Promise<string[]> {
    return this.redis.zrevrangebylex(this.keys.approvalsIndex(), before ? `(${before}` : '+', '-', 'LIMIT', 0, count);
  }

  /** How many approvals are pending (each pending one is on the expiry schedule). */
  pendingCount(): Promise<number> {
    return this.redis.zcard(this.keys.approvalsExpiring());
  }

  /** Ids of pending approvals whose time has come. */
  async dueToExpire(now: number, count: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.approvalsExpiring(), '-inf', now, 'LIMIT', 0, count);
  }

  /** True when this call expired the approval (it was pending and due). */
  async expire(id: string, now: number): Promise<boolean> {
    return (await this.redis.hubExpireApproval(3, this.keys.approval(id), this.keys.approvalsOutbox(), this.keys.approvalsExpiring(), id, now)) === 1;
  }

  /** The action's outcome; the first one recorded stays (a re-run after a crash changes nothing). */
  async recordResult(id: string, result: Record<string, unknown>): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.approval(id), 'result', JSON.stringify(result))) === 1;
  }

  async recordTelegramMessage(id: string, message: ApprovalTelegramMessage): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.approval(id), 'telegram', JSON.stringify(message))
      .set(this.keys.approvalRef(telegramRef(message)), id, 'EX', this.ttlSeconds)
      .exec();
  }

  async findByRef(ref: string): Promise<string | null> {
    return this.redis.get(this.keys.approvalRef(ref));
  }

  /** Outbox entries older than `olderThan` ms: events whose store step did not happen (a crash). */
  async outboxDue(olderThan: number, count: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.approvalsOutbox(), '-inf', olderThan, 'LIMIT', 0, count);
  }

  async clearOutbox(member: string): Promise<void> {
    await this.redis.zrem(this.keys.approvalsOutbox(), member);
  }
}

export function telegramRef(message: ApprovalTelegramMessage): string {
  return `telegram:${message.chatId}:${message.messageId}`;
}

function toApproval(values: (string | null)[], now: number): Approval | null {
  const [request, status, expiresAtMs, decision, result, telegram] = values;
  if (!request || !status) return null;
  // A pending approval past its time is expired, whether or not anything has tried to decide it.
  const effective = (status === 'pending' && now >= Number(expiresAtMs) ? 'expired' : status) as ApprovalStatus;
  return {
    ...(JSON.parse(request) as Omit<Approval, 'status'>),
    status: effective,
    ...(decision ? { decision: JSON.parse(decision) as ApprovalDecision } : {}),
    ...(result ? { result: JSON.parse(result) as Record<string, unknown> } : {}),
    ...(telegram ? { telegram: JSON.parse(telegram) as ApprovalTelegramMessage } : {}),
  };
}
