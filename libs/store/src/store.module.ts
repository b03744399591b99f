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
        // Auto-pipelining: the commands of requests served in the same event-loop turn leave in one
        // socket write, instead of one write (a syscall) each; under load writes were the largest
        // single cost of the gateway (docs/performance.md). One Redis only (see createRedisClient).
        const client = createRedisClient(config.redis, `${config.prefix}:commands`, { enableAutoPipelining: true });
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
    { provide: RedisKeys, inject: [HubConfig], useFactory: (config: HubConfig) => new RedisKeys(config.prefix, config.eventPartitions, config.deliveryQueues) },
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
   * The partition and delivery queue counts are fixed for the life of a prefix: events, dedupe keys,
   * ids, deliveries and their jobs already sit where the count put them, and another count would look
   * for them elsewhere (or run two workers' worth of queues over one shard's jobs). The first process
   * records them; a process started with other counts refuses to start (only noted in the log when
   * Redis came up after the boot).
   */
  private async checkPartitions(): Promise<void> {
    const key = this.keys.meta();
    const counts = [
      { field: 'eventPartitions', variable: 'EVENT_PARTITIONS', value: this.keys.partitions, placed: 'events, dedupe keys and ids' },
      { field: 'deliveryQueues', variable: 'DELIVERY_QUEUES', value: this.keys.deliveryQueues, placed: 'deliveries, their jobs and records' },
    ];
    for (const { field, variable, value, placed } of counts) {
      await this.redis.hsetnx(key, field, String(value));
      const recorded = Number(await this.redis.hget(key, field));
      if (recorded !== value) {
        throw new Error(
          `${variable} is ${value} but prefix ${this.keys.prefix} was started with ${recorded}: the count cannot change on a ` +
            `running system (${placed} are placed by it). Keep ${variable}=${recorded}, or start the new count under another HUB_PREFIX (docs/scaling.md)`,
        );
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
