import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { JobType, Queue } from 'bullmq';
import { QueueConnection, RedisKeys, closeWithin } from '@hub/store';
import { DELIVERY_QUEUE, DeliveryQueueJobData } from './delivery';

/** A queue only adds jobs: closing it waits for nothing but its connections' goodbye. */
const QUEUE_CLOSE_GRACE_MS = 5_000;

/**
 * The delivery queue's shards (DELIVERY_QUEUES), one BullMQ queue each under its own hash tag, so on a
 * Redis Cluster they spread over the masters. A subscription's deliveries always go to the same shard,
 * which keeps per-endpoint order, throttles and circuit breakers working. Made here rather than with
 * BullModule.registerQueue because the count comes from config, after module decoration.
 */
@Injectable()
export class DeliveryQueues implements OnApplicationShutdown {
  /** Every shard's queue, shard n at index n (the queue dashboard shows them all). */
  readonly queues: Queue<DeliveryQueueJobData>[];
  private readonly logger = new Logger(DeliveryQueues.name);

  constructor(
    private readonly keys: RedisKeys,
    connection: QueueConnection,
  ) {
    this.queues = keys.deliveryShards.map((shard) => {
      const queue = new Queue<DeliveryQueueJobData>(deliveryQueueName(shard, keys.deliveryQueues), {
        connection: connection.options(),
        prefix: keys.deliveryQueuePrefix(shard),
        defaultJobOptions: {
          removeOnComplete: { age: 3_600, count: 10_000 },
          removeOnFail: { age: 14 * 86_400 },
        },
      });
      // An EventEmitter 'error' without a listener would crash the process when Redis drops.
      queue.on('error', (error: Error) => this.logger.warn(`delivery queue ${queue.name}: ${error.message}`));
      return queue;
    });
  }

  /** The queue of a subscription's deliveries. */
  forSubscription(subscriptionId: string): Queue<DeliveryQueueJobData> {
    return this.queues[this.keys.deliveryShardOf(subscriptionId)];
  }

  /** Job counts summed over the shards. */
  async jobCounts(...states: JobType[]): Promise<Record<string, number>> {
    const perShard = await Promise.all(this.queues.map((queue) => queue.getJobCounts(...states)));
    const total: Record<string, number> = {};
    for (const counts of perShard) for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
    return total;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((queue) => closeWithin(queue, QUEUE_CLOSE_GRACE_MS)));
  }
}

/** `deliveries` with one shard (as before shards existed), else `deliveries-<n>` (names must differ for the dashboard). */
export function deliveryQueueName(shard: number, shards: number): string {
  return shards === 1 ? DELIVERY_QUEUE : `${DELIVERY_QUEUE}-${shard}`;
}
