import { DeliveryErrorKind } from './delivery-http.client';

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'dead' | 'cancelled';
export type DeliveryTrigger = 'fanout' | 'replay' | 'redrive' | 'action';

/** One event sent to one subscription, with its attempts. */
export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  subscriptionId: string;
  url: string;
  status: DeliveryStatus;
  trigger: DeliveryTrigger;
  attemptCount: number;
  createdAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  deadAt?: string;
}

/**
 * A delivery whose body is not its event's envelope (an approved action's own body) keeps that body
 * in its record (field `payload`, never shown by the API), so a redrive or replay sends the same bytes.
 */
export const OWN_PAYLOAD_FIELD = 'payload';

/**
 * The record field naming the shared body a live delivery holds a reference to (see
 * DeliveryPayloads); removed when the delivery is done with it, so a reference is released once.
 */
export const PAYLOAD_REF_FIELD = 'payloadKey';

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  url: string;
  statusCode?: number;
  durationMs: number;
  /** First 4 KiB of the response body. */
  responseSnippet?: string;
  /** dns, connect, tls, timeout, http (non-2xx), ssrf, other. */
  errorKind?: DeliveryErrorKind;
  error?: string;
}

/**
 * What a delivery job carries: ids, and the key of the body to send, stored once per event and
 * format however many endpoints receive it (a job does not copy up to MAX_BODY_BYTES per subscriber).
 */
export interface DeliveryJobData {
  deliveryId: string;
  eventId: string;
  eventType: string;
  subscriptionId: string;
  /** Where the bytes to send are (DeliveryPayloads), serialised once at fan-out. */
  payloadKey?: string;
  /** The bytes themselves, in jobs queued before payloads were stored apart. */
  payload?: string;
  /** Retry waits in seconds, fixed when the job was made. */
  schedule: number[];
  /** Unix ms of the first attempt's scheduling (X-Webhook-Original-Timestamp). */
  createdAt: number;
  /** Attempts made before a redrive, so attempt numbers in the log keep counting. */
  attemptOffset?: number;
  /** Taken out of a batch job without knowing whether its first attempt went out: skip it if it has an outcome. */
  checkOutcome?: boolean;
}

/**
 * Several deliveries to one endpoint in one job (DELIVERY_BATCH_SIZE): what a fan-out of a burst of
 * events makes, so the queue's per-job cost is paid once per batch (issue 15). The first attempt of
 * each is sent by the batch; a delivery that needs another attempt gets a job of its own (DELIVERY_JOB,
 * id = delivery id), so retries, dead letters and redrive work on single deliveries as before.
 */
export interface DeliveryBatchJobData {
  subscriptionId: string;
  deliveries: DeliveryJobData[];
}

/** What a job of the delivery queues carries: one delivery, or a batch of them (by job name). */
export type DeliveryQueueJobData = DeliveryJobData | DeliveryBatchJobData;

export const DELIVERY_QUEUE = 'deliveries';
export const DELIVERY_JOB = 'deliver';
export const DELIVERY_BATCH_JOB = 'deliver-batch';

/** A batch job that fails before its deliveries are sent (Redis away) is run again this many times in all. */
const BATCH_JOB_ATTEMPTS = 6;

/** The queue job of one delivery: its id is the delivery's, its attempts its schedule's plus one. */
export function singleDeliveryJob(data: DeliveryJobData, delayMs = 0) {
  return { name: DELIVERY_JOB, data, opts: { jobId: data.deliveryId, attempts: data.schedule.length + 1, backoff: { type: 'hub' }, ...(delayMs > 0 ? { delay: delayMs } : {}) } };
}

/** The queue job of several deliveries to one endpoint, named after its first delivery and its size. */
export function batchDeliveryJob(deliveries: DeliveryJobData[]) {
  const data: DeliveryBatchJobData = { subscriptionId: deliveries[0].subscriptionId, deliveries };
  return { name: DELIVERY_BATCH_JOB, data, opts: { jobId: `${deliveries[0].deliveryId}_x${deliveries.length}`, attempts: BATCH_JOB_ATTEMPTS, backoff: { type: 'hub' } } };
}

/** Delivery ids double as BullMQ job ids (which may not contain ':'): `dlv_<event>_<subscription>[_<suffix>]`. */
export function deliveryId(eventId: string, subscriptionId: string, suffix?: string): string {
  return `dlv_${eventId.replace(/^evt_/, '')}_${subscriptionId.replace(/^sub_/, '')}${suffix ? `_${suffix}` : ''}`;
}

export const DELIVERY_ID_PATTERN = /^dlv_[0-9A-HJKMNP-TV-Z]{26}_[0-9A-HJKMNP-TV-Z]{26}(_[a-z0-9]{1,16})?$/;
