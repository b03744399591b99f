import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { DeadEventsRepository } from './dead-events.repository';
import { EventsRepository } from './events.repository';
import { IngressStatsRepository } from './ingress-stats.repository';
import { createRedisClient, waitUntilReady } from './redis-client';
import { REDIS_CLIENT } from './redis.constants';
import { RedisKeys } from './redis-keys';
import { QueueConnection } from './queue-connection';
import { SharedAdminToken } from './shared-admin-token';

/** Redis connection, key names and repositories, shared by gateway and worker. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [HubConfig],
      useFactory: (config: HubConfig) => {
        const client = createRedisClient(config.redis, `${config.prefix}:commands`);
        const logger = new Logger('Redis');
        let lastReported = 0;
        // Without a listener ioredis prints every reconnect failure; report at most every 10 s.
        client.on('error', (err: Error) => {
          if (Date.now() - lastReported > 10_000) {
            lastReported = Date.now();
            logger.warn(`Redis unavailable: ${err.message}`);
          }
        });
        return client;
      },
    },
    { provide: RedisKeys, inject: [HubConfig], useFactory: (config: HubConfig) => new RedisKeys(config.prefix, config.eventPartitions) },
    EventsRepository,
    IngressStatsRepository,
    SharedAdminToken,
    DeadEventsRepository,
    QueueConnection,
  ],
  exports: [REDIS_CLIENT, RedisKeys, EventsRepository, IngressStatsRepository, DeadEventsRepository, QueueConnection],
})
export class StoreModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Serve only once Redis is ready, so the first request does not meet a connecting client. */
  async onModuleInit(): Promise<void> {
    if (!(await waitUntilReady(this.redis, 3_000))) {
      new Logger('Redis').warn('Redis is not reachable yet; serving anyway (503 until it is)');
      this.redis.once('ready', () => void this.checkPartitions().catch((error: Error) => new Logger('Redis').error(error.message)));
      return;
    }
    await this.checkPartitions();
  }

  /**
   * The partition count is fixed for the life of a prefix: events, dedupe keys and ids already sit
   * in their partitions, and another count would look for them elsewhere. The first process records
   * it; a process started with another count refuses to start (only noted in the log when Redis came
   * up after the boot).
   */
  private async checkPartitions(): Promise<void> {
    const key = this.keys.meta();
    await this.redis.hsetnx(key, 'eventPartitions', String(this.keys.partitions));
    const recorded = Number(await this.redis.hget(key, 'eventPartitions'));
    if (recorded !== this.keys.partitions) {
      throw new Error(
        `EVENT_PARTITIONS is ${this.keys.partitions} but prefix ${this.keys.prefix} was started with ${recorded}: the count cannot change on a ` +
          `running system (events, dedupe keys and ids are placed by it). Keep EVENT_PARTITIONS=${recorded}, or start the new count under another HUB_PREFIX (docs/scaling.md)`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
