import { WorkerOptions } from 'bullmq';
import { HubConfig } from '@hub/config';
import { deliveryBackoff } from './delivery-backoff';

/**
 * The delivery worker's BullMQ options. @Processor takes them at decoration time, but concurrency and
 * the lock come from config: this object is passed by reference and filled from HubConfig when the
 * worker module is instantiated, before @nestjs/bullmq creates the Worker (in its onModuleInit).
 */
export const deliveryWorkerOptions: Omit<WorkerOptions, 'connection'> = {
  concurrency: 32,
  settings: { backoffStrategy: deliveryBackoff },
  // BullMQ waits this long after a Redis error before fetching again (default 15 s): a blip would
  // pause every delivery, and a shutdown, for that long.
  runRetryDelay: 1_000,
};

export const DELIVERY_WORKER_SETTINGS = Symbol('DELIVERY_WORKER_SETTINGS');

export function configureDeliveryWorker(config: HubConfig): Omit<WorkerOptions, 'connection'> {
  deliveryWorkerOptions.concurrency = config.delivery.concurrency;
  deliveryWorkerOptions.lockDuration = config.delivery.lockMs;
  // Check for stalled jobs as often as a lock can expire, and survive a few crashes in a row.
  deliveryWorkerOptions.stalledInterval = config.delivery.lockMs;
  deliveryWorkerOptions.maxStalledCount = 3;
  return deliveryWorkerOptions;
}
