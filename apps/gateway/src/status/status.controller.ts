import { Controller, Get, Inject } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { REDIS_CLIENT, RedisKeys, totalLength } from '@hub/store';
import { ProviderRegistry } from '@hub/webhook-core';
import { version } from '../../../../package.json';

export interface HubStatus {
  status: 'ok' | 'degraded';
  version: string;
  role: string;
  uptimeSeconds: number;
  redis: 'up' | 'down';
  storedEvents: number | null;
  /** Each provider: configured or not, and the sender's last own health report where it sends one. */
  providers: { source: string; configured: boolean; health?: Record<string, unknown> }[];
}

/** Public overall status (the seed document's `GET /api/status`); no secrets, no event data. */
@Controller('api/status')
export class StatusController {
  constructor(
    private readonly config: HubConfig,
    private readonly registry: ProviderRegistry,
    private readonly keys: RedisKeys,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get()
  async status(): Promise<HubStatus> {
    let storedEvents: number | null = null;
    try {
      storedEvents = await totalLength(this.redis, this.keys.partitionIds.map((p) => this.keys.eventStream(p)));
    } catch {
      storedEvents = null;
    }
    const redisUp = storedEvents !== null;
    return {
      status: redisUp ? 'ok' : 'degraded',
      version,
      role: this.config.role,
      uptimeSeconds: Math.round(process.uptime()),
      redis: redisUp ? 'up' : 'down',
      storedEvents,
      providers: await Promise.all(
        this.registry.all().map(async (a) => {
          // A store outage already shows as redis: down; the provider list still answers.
          const health = redisUp && a.senderHealth ? await a.senderHealth().catch(() => null) : null;
          return { source: a.source, configured: a.isConfigured(), ...(health ? { health } : {}) };
        }),
      ),
    };
  }
}
