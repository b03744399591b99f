import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT, RedisKeys } from '@hub/store';

/*
 * Records a health report unless a newer one is recorded already (reports processed out of order
 * by two workers). KEYS: [health]  ARGV: [status, atMs, json]  Returns 1 when recorded.
 */
const RECORD_LUA = `
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if at > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'at', ARGV[2], 'report', ARGV[3])
return 1
`;

export interface BridgeHealth {
  status: string;
  previous_status?: string;
  checks: unknown[];
  uptime_seconds?: number;
  events_processed_total?: number;
  reported_at: string;
  event_id: string;
}

type HealthRedis = Redis & { hubRecordBridgeHealth(numKeys: number, ...args: (string | number)[]): Promise<number> };

/** The CCTelegram bridge's last health report (one per hub), for `/api/status` and alert transitions. */
@Injectable()
export class BridgeHealthRepository {
  private readonly redis: HealthRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    if (!('hubRecordBridgeHealth' in redis)) redis.defineCommand('hubRecordBridgeHealth', { lua: RECORD_LUA });
    this.redis = redis as HealthRedis;
  }

  private get key(): string {
    return this.keys.provider('cctelegram', 'health');
  }

  async last(): Promise<BridgeHealth | null> {
    const report = await this.redis.hget(this.key, 'report');
    return report ? (JSON.parse(report) as BridgeHealth) : null;
  }

  /** The recorded status and its time, or null before the first report. */
  async current(): Promise<{ status: string; at: number } | null> {
    const [status, at] = await this.redis.hmget(this.key, 'status', 'at');
    return status ? { status, at: Number(at) } : null;
  }

  async record(health: BridgeHealth, atMs: number): Promise<boolean> {
    return (await this.redis.hubRecordBridgeHealth(1, this.key, health.status, atMs, JSON.stringify(health))) === 1;
  }
}
