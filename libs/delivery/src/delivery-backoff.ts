import { MinimalJob } from 'bullmq';
import { DeliveryQueueJobData } from './delivery';
import { nextRetryDelayMs } from './retry-schedule';

/** A failed attempt BullMQ should retry, carrying the wait already chosen (and logged as nextAttemptAt). */
export class RetryableDeliveryError extends Error {
  constructor(message: string, readonly delayMs: number) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/**
 * BullMQ backoff strategy `hub`: the wait the processor chose, else the job's own schedule; a batch
 * job that failed before sending (Redis away) runs again after 1, 2, 4... s.
 */
export function deliveryBackoff(attemptsMade: number, _type: string | undefined, error: Error | undefined, job: MinimalJob<DeliveryQueueJobData> | undefined): number {
  if (error instanceof RetryableDeliveryError) return error.delayMs;
  const data = job?.data;
  if (data && 'deliveries' in data) return 1_000 * 2 ** Math.min(Math.max(attemptsMade - 1, 0), 5);
  return nextRetryDelayMs({ attemptsMade, schedule: data?.schedule ?? [] }) ?? 0;
}
