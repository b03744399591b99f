import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Worker } from 'bullmq';
import { HubConfig } from '@hub/config';
import { BULLMQ_CLOSE_MAX_MS, QueueConnection, RedisKeys, closeWithin } from '@hub/store';
import { DeliveryQueueJobData } from './delivery';
import { DeliveryProcessor } from './delivery.processor';
import { deliveryQueueName } from './delivery-queues';
import { deliveryWorkerOptions } from './delivery-worker.options';

/** Beyond one attempt's timeout, for the attempt's bookkeeping before a worker closes. */
const SHUTDOWN_MARGIN_MS = 5_000;

/**
 * One BullMQ Worker per delivery queue shard, each running DeliveryProcessor with DELIVERY_CONCURRENCY.
 * What @nestjs/bullmq's @Processor/WorkerHost does for one queue, for a number of queues known only
 * from config (decorators are fixed when the class is declared).
 */
@Injectable()
export class DeliveryWorkers implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorkers.name);
  private workers: Worker<DeliveryQueueJobData>[] = [];

  constructor(
    private readonly config: HubConfig,
    private readonly keys: RedisKeys,
    private readonly connection: QueueConnection,
    private readonly processor: DeliveryProcessor,
  ) {}

  onModuleInit(): void {
    const options = deliveryWorkerOptions(this.config);
    this.workers = this.keys.deliveryShards.map((shard) => {
      const worker = new Worker<DeliveryQueueJobData>(deliveryQueueName(shard, this.keys.deliveryQueues), (job, token) => this.processor.process(job, token), {
        ...options,
        connection: this.connection.options(),
        prefix: this.keys.deliveryQueuePrefix(shard),
      });
      worker.on('error', (error) => this.processor.onError(error));
      worker.on('failed', (job, error) => void this.processor.onFailed(job, error));
      return worker;
    });
  }

  /**
   * Lets attempts in flight finish (each is bounded by DELIVERY_TIMEOUT_MS), for at most
   * BULLMQ_CLOSE_MAX_MS, then lets go (see closeWithin).
   */
  async onApplicationShutdown(): Promise<void> {
    const graceMs = Math.min(this.config.delivery.timeoutMs + SHUTDOWN_MARGIN_MS, BULLMQ_CLOSE_MAX_MS);
    const outcomes = await Promise.all(this.workers.map((worker) => closeWithin(worker, graceMs)));
    const dropped = outcomes.filter((outcome) => outcome === 'dropped').length;
    if (dropped > 0) this.logger.warn(`${dropped} delivery worker(s) did not close within ${graceMs} ms; their connections were dropped (jobs in flight are retried once their locks lapse)`);
  }
}
