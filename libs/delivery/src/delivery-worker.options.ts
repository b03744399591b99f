import { WorkerOptions } from 'bullmq';
import { HubConfig } from '@hub/config';
import { deliveryBackoff } from './delivery-backoff';

/** The BullMQ options of each delivery shard's Worker (connection and prefix are added per shard). */
export function deliveryWorkerOptions(config: HubConfig): Omit<WorkerOptions, 'connection'> {
  return {
    concurrency: config.delivery.concurrency,
    lockDuration: config.delivery.lockMs,
    // Check for stalled jobs as often as a lock can expire, and survive a few crashes in a row.
    stalledInterval: config.delivery.lockMs,
    maxStalledCount: 3,
    settings: { backoffStrategy: deliveryBackoff },
    // BullMQ waits this long after a Redis error before fetching again (default 15 s): a blip would
    // pause every delivery, and a shutdown, for that long.
    runRetryDelay: 1_000,
  };
}
