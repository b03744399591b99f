import { MinimalJob } from 'bullmq';
import { DeliveryJobData } from './delivery';
import { nextRetryDelayMs } from './retry-schedule';

/** A failed attempt BullMQ should retry, carrying the wait already chosen (and logged as nextAttemptAt). */
export class RetryableDeliveryError extends Error {
  constructor(message: string, readonly delayMs: number) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/** BullMQ backoff strategy `hub`: the wait the processor chose, else the job's own schedule. */
export function deliveryBackoff(attemptsMade: number, _type: string | undefined, error: Error | undefined, job: MinimalJob<DeliveryJobData> | undefined): number {
  if (error instanceof RetryableDeliveryError) return error.delayMs;
  return nextRetryDelayMs({ attemptsMade, schedule: job?.data.schedule ?? [] }) ?? 0;
}
