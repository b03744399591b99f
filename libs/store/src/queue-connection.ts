import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { HubConfig } from '@hub/config';
import { createRedisClient } from './redis-client';

/**
 * BullMQ's connection. For one Redis, BullMQ gets options and opens (and closes) its own
 * connections. A cluster has to be given as an ioredis Cluster instance, which BullMQ shares and
 * duplicates for its blocking reads but never closes: this provider makes it and closes it.
 */
@Injectable()
export class QueueConnection implements OnApplicationShutdown {
  private cluster?: Redis;

  constructor(private readonly config: HubConfig) {}

  /** What to give BullMQ's `connection`. */
  options(): Redis | { url: string; connectionName: string; username?: string; password?: string; tls?: object } {
    const redis = this.config.redis;
    const connectionName = `${this.config.prefix}:queue`;
    if (redis.clusterNodes?.length) {
      // BullMQ needs commands to wait out a reconnect (offline queue) and never give up (no retry cap).
      this.cluster ??= createRedisClient(redis, connectionName, { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined });
      return this.cluster;
    }
    return {
      url: redis.url,
      connectionName,
      ...(redis.username ? { username: redis.username } : {}),
      ...(redis.password ? { password: redis.password } : {}),
      ...(redis.tls ? { tls: {} } : {}),
    };
  }

  onApplicationShutdown(): void {
    this.cluster?.disconnect();
  }
}
