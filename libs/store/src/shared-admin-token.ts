import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { waitUntilReady } from './redis-client';
import { REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';

/**
 * Without HUB_ADMIN_TOKEN each process would generate its own token, and behind a load balancer half
 * the ops and MCP calls would fail. The first process of a prefix stores its generated token in Redis
 * (SET NX); every process then uses the stored one, read again after a reconnect (a process that
 * booted while Redis was down adopts it then). A token set in the environment is never stored.
 */
@Injectable()
export class SharedAdminToken implements OnModuleInit {
  private readonly logger = new Logger(SharedAdminToken.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.adminTokenGenerated) return;
    this.redis.on('ready', () => void this.adopt());
    if (await waitUntilReady(this.redis, 3_000)) await this.adopt();
  }

  private async adopt(): Promise<void> {
    try {
      const key = this.keys.adminToken();
      await this.redis.set(key, this.config.adminToken, 'NX');
      const shared = await this.redis.get(key);
      if (shared && shared !== this.config.adminToken) {
        this.config.adminToken = shared;
        this.logger.log('using the admin token another process of this prefix generated (HUB_ADMIN_TOKEN is not set)');
      }
    } catch (error) {
      this.logger.warn(`could not share the generated admin token yet: ${(error as Error).message}`);
    }
  }
}
