import { Injectable, Logger, Optional } from '@nestjs/common';
import { HubMetrics } from '@hub/observability';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { HubConfig } from '@hub/config';
import { RedisKeys } from '@hub/store';
import { CircuitBreaker } from './circuit-breaker';
import { DeliveriesRepository } from './deliveries.repository';
import { DELIVERY_BATCH_JOB, DeliveryAttempt, DeliveryBatchJobData, DeliveryJobData, DeliveryQueueJobData, singleDeliveryJob } from './delivery';
import { DeliveryQueues } from './delivery-queues';
import { SendSlots, forEachRamped } from './send-slots';
import { Subscription } from './subscription';
import { DeliveryPayloads } from './delivery-payloads';
import { DeliverySender } from './delivery-sender';
import { HttpAttempt } from './delivery-http.client';
import { RetryableDeliveryError } from './delivery-backoff';
import { nextRetryDelayMs, parseRetryAfter } from './retry-schedule';
import { SubscriptionCache } from './subscription-cache';
import { SubscriptionsService } from './subscriptions.service';
import { DeliveryThrottle } from './throttle';

/**
 * Sends one delivery attempt: sign, POST, log the attempt, then decide. 2xx ends it; 410 disables
 * the endpoint at once; an SSRF refusal is permanent; anything else is retried on the schedule; the
 * last failure becomes a dead letter and advances the endpoint's failure clock. A paused endpoint
 * (circuit open, throttle) makes the job wait without spending an attempt. DeliveryWorkers runs it
 * for every delivery queue shard.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);
  private readonly breaker: CircuitBreaker;
  private readonly slots: SendSlots[];

  constructor(
    private readonly config: HubConfig,
    private readonly cache: SubscriptionCache,
    private readonly subscriptions: SubscriptionsService,
    private readonly deliveries: DeliveriesRepository,
    private readonly sender: DeliverySender,
    private readonly payloads: DeliveryPayloads,
    private readonly throttle: DeliveryThrottle,
    private readonly queues: DeliveryQueues,
    private readonly keys: RedisKeys,
    @Optional() private readonly metrics?: HubMetrics,
  ) {
    this.breaker = new CircuitBreaker(config.delivery.circuit);
    // DELIVERY_CONCURRENCY per shard, as when each of a shard's Worker's job slots sent one delivery.
    this.slots = keys.deliveryShards.map(() => new SendSlots(config.delivery.concurrency));
  }

  /** The send slots of the shard a subscription's deliveries are in. */
  private slotsOf(subscriptionId: string): SendSlots {
    return this.slots[this.keys.deliveryShardOf(subscriptionId)];
  }

  async process(job: Job<DeliveryQueueJobData>, token?: string): Promise<unknown> {
    if (job.name === DELIVERY_BATCH_JOB) return this.processBatch(job as Job<DeliveryBatchJobData>, token);
    return this.processOne(job as Job<DeliveryJobData>, token);
  }

  private async processOne(job: Job<DeliveryJobData>, token?: string): Promise<{ status?: number; durationMs: number }> {
    const data = job.data;
    // Taken out of a batch without knowing whether its attempt went out: a delivery with an outcome is done.
    if (data.checkOutcome && job.attemptsMade === 0) {
      const [state] = await this.deliveries.statesOf([data.deliveryId]);
      if (!state || ['succeeded', 'dead', 'cancelled'].includes(state.status)) return { durationMs: 0 };
    }
    const subscription = await this.subscriptionOf(data.subscriptionId);
    if (!subscription?.enabled) {
      await this.cancel(data, subscription);
      return { durationMs: 0 };
    }
    const payload = await this.bodyOf(data);
    if (payload === null) return this.withoutBody(data);

    const circuit = this.breaker.check(subscription.id);
    if (circuit.open) return this.postpone(job, token, circuit.retryInMs);
    if (subscription.rateLimitPerSec) {
      const wait = await this.throttle.waitMs(subscription.id, subscription.rateLimitPerSec);
      if (wait > 0) return this.postpone(job, token, wait);
    }

    const outcome = await this.slotsOf(subscription.id).run(() => this.attempt(subscription, data, payload, job.attemptsMade, job.opts.attempts ?? 1));
    if (outcome.next === 'retry') throw new RetryableDeliveryError(outcome.result.error ?? 'delivery failed', outcome.retryInMs);
    if (outcome.next === 'dead') throw new UnrecoverableError(outcome.result.error ?? 'delivery failed');
    return { status: outcome.result.status, durationMs: outcome.result.durationMs };
  }

  /**
   * A batch job: the first attempt of each of its deliveries, sent together within the shard's send
   * slots. A delivery that needs another attempt gets its own job (its id, its schedule from the second
   * wait on), queued as soon as its attempt is logged, so from then on it is retried, dead-lettered and
   * redriven as any delivery. Run again (its worker died, or Redis failed), it sends only what has no
   * outcome yet.
   */
  private async processBatch(job: Job<DeliveryBatchJobData>, token?: string): Promise<{ sent: number; retrying: number }> {
    const subscription = await this.subscriptionOf(job.data.subscriptionId);
    const circuit = subscription?.enabled ? this.breaker.check(subscription.id) : { open: false as const };
    if (circuit.open) return this.postpone(job, token, circuit.retryInMs);
    const items = await this.withoutOutcome(job.data.deliveries);
    if (!subscription?.enabled) {
      for (const data of items) await this.cancel(data, subscription);
      return { sent: 0, retrying: 0 };
    }
    // A rate limit set after the batch was made: each delivery waits its turn in a job of its own.
    if (subscription.rateLimitPerSec) {
      await this.queueOwnJobs(items.map((data) => ({ data, delayMs: 0, fresh: true })));
      return { sent: 0, retrying: items.length };
    }
    const tally = { sent: 0, retrying: 0 };
    await forEachRamped(items, this.config.delivery.concurrency, async (data) => {
      try {
        return await this.sendFromBatch(data, subscription, tally);
      } catch (error) {
        // Redis failed around this delivery's attempt: it goes on in a job of its own, which first
        // checks whether the attempt was logged. If even that cannot be queued, the batch fails and runs again.
        this.logger.warn({ deliveryId: data.deliveryId }, `batch delivery ${data.deliveryId}: ${(error as Error).message}; it goes on in a job of its own`);
        await this.queueOwnJobs([{ data, delayMs: 1_000, fresh: true }]);
        tally.retrying++;
        return false;
      }
    });
    return tally;
  }

  /** One delivery of a batch; true when it went well (the batch then sends more at once). */
  private async sendFromBatch(data: DeliveryJobData, batchSubscription: Subscription, tally: { sent: number; retrying: number }): Promise<boolean> {
    // Read again per delivery: an earlier one may have disabled the endpoint (410, the breaker), or an operator did.
    const subscription = this.cache.get(data.subscriptionId) ?? batchSubscription;
    if (!subscription.enabled) return (await this.cancel(data, subscription), false);
    const payload = await this.bodyOf(data);
    if (payload === null) return (await this.withoutBody(data), true);
    const outcome = await this.slotsOf(subscription.id).run(async () => {
      // Checked once a slot is free: the breaker may have opened while this delivery waited for one.
      const paused = this.breaker.check(subscription.id);
      return paused.open ? paused : this.attempt(subscription, data, payload, 0, data.schedule.length + 1);
    });
    if ('open' in outcome) {
      // The breaker is open: this delivery waits out the cooldown in a job of its own, without using an attempt.
      await this.queueOwnJobs([{ data, delayMs: Math.max(outcome.retryInMs, 10), fresh: true }]);
      tally.retrying++;
      return false;
    }
    tally.sent++;
    if (outcome.next === 'retry') {
      await this.queueOwnJobs([{ data, delayMs: outcome.retryInMs }]);
      tally.retrying++;
    }
    return outcome.next === 'done';
  }

  /**
   * One attempt: sign, POST, log it, count it, and decide what comes next: done (2xx), dead (410, an
   * SSRF refusal, or the last attempt), or another attempt after the schedule's wait.
   */
  private async attempt(subscription: Subscription, data: DeliveryJobData, payload: string, attemptsMade: number, attempts: number): Promise<AttemptOutcome> {
    const attemptNumber = attemptsMade + 1 + (data.attemptOffset ?? 0);
    const result = await this.sender.send(
      subscription,
      { eventId: data.eventId, eventType: data.eventType, payload },
      {
        retryCount: attemptsMade + (data.attemptOffset ?? 0),
        maxRetries: data.schedule.length + (data.attemptOffset ?? 0),
        originalTimestamp: Math.floor(data.createdAt / 1000),
      },
    );
    const attempt: DeliveryAttempt = {
      attempt: attemptNumber,
      at: new Date().toISOString(),
      url: subscription.url,
      ...(result.status !== undefined ? { statusCode: result.status } : {}),
      durationMs: result.durationMs,
      ...(result.responseSnippet ? { responseSnippet: result.responseSnippet } : {}),
      ...(result.errorKind ? { errorKind: result.errorKind, error: result.error } : {}),
    };
    const tripped = this.breaker.record(subscription.id, result.ok);
    this.metrics?.deliveryDuration.observe(result.durationMs / 1000);

    if (result.ok) {
      await this.deliveries.recordAttempt(data.deliveryId, attempt, { status: 'succeeded', lastStatusCode: result.status }, { subscriptionSucceeded: subscription.id, payloadKey: data.payloadKey });
      this.metrics?.deliveryAttempts.inc({ result: 'succeeded', error_kind: 'none' });
      return { next: 'done', result };
    }

    if (tripped === 'disable') await this.disable(subscription.id, `circuit breaker tripped ${this.config.delivery.circuit.tripsToDisable} times in a row`);
    const permanent = result.status === 410 || result.errorKind === 'ssrf';
    if (permanent || attemptsMade + 1 >= attempts) {
      await this.deliveries.recordAttempt(data.deliveryId, attempt, { status: 'dead', lastStatusCode: result.status, lastError: result.error, deadAt: attempt.at }, { dead: true, payloadKey: data.payloadKey });
      this.metrics?.deliveryAttempts.inc({ result: 'dead', error_kind: result.errorKind ?? 'other' });
      // The WhatsApp document drops an exhausted delivery "logged as error"; here it is kept as a dead letter too.
      this.logger.error(
        { deliveryId: data.deliveryId, eventId: data.eventId, subscriptionId: subscription.id },
        `delivery ${data.deliveryId} of ${data.eventType} to subscription ${subscription.id} (${hostOf(subscription.url)}) gave up after ${attemptNumber} attempt(s): ` +
          `${result.error ?? `HTTP ${result.status}`}; kept as a dead letter (redrive it with POST /api/v1/dead-letters/redrive)`,
      );
      await this.afterExhausted(subscription.id, result);
      return { next: 'dead', result };
    }
    const retryAfter = result.status === 429 || result.status === 503 ? parseRetryAfter(result.retryAfter) : undefined;
    const delay = nextRetryDelayMs({ attemptsMade: attemptsMade + 1, schedule: data.schedule, retryAfterSeconds: retryAfter }) ?? 0;
    await this.deliveries.recordAttempt(data.deliveryId, attempt, {
      status: 'retrying',
      lastStatusCode: result.status,
      lastError: result.error,
      nextAttemptAt: new Date(Date.now() + delay).toISOString(),
    });
    this.metrics?.deliveryAttempts.inc({ result: 'retrying', error_kind: result.errorKind ?? 'other' });
    return { next: 'retry', result, retryInMs: delay };
  }

  /**
   * Jobs of their own for deliveries of a batch: a retry after the first attempt (the schedule goes on
   * from its second wait, attempt numbers from 2), or, `fresh`, a delivery not attempted yet (or not
   * known to be), which checks its outcome before sending. The job id is the delivery id, so queueing
   * one twice adds it once.
   */
  private async queueOwnJobs(items: { data: DeliveryJobData; delayMs: number; fresh?: boolean }[]): Promise<void> {
    if (items.length === 0) return;
    const jobs = items.map(({ data, delayMs, fresh }) =>
      singleDeliveryJob(fresh ? { ...data, checkOutcome: true } : { ...data, schedule: data.schedule.slice(1), attemptOffset: (data.attemptOffset ?? 0) + 1 }, delayMs),
    );
    await this.queues.forSubscription(items[0].data.subscriptionId).addBulk(jobs);
  }

  /**
   * The deliveries of a batch that still need their first attempt: on a first run all of them, on a run
   * again (a crash, or a second batch made by a fan-out re-run) those with no outcome yet. One left
   * retrying may have lost its job if the process died right after logging the attempt: it is queued
   * again for the time its record says (a no-op when the job exists).
   */
  private async withoutOutcome(items: DeliveryJobData[]): Promise<DeliveryJobData[]> {
    const states = await this.deliveries.statesOf(items.map((d) => d.deliveryId));
    const now = Date.now();
    await this.queueOwnJobs(
      items.flatMap((data, i) => (states[i]?.status === 'retrying' ? [{ data, delayMs: Math.max(0, (Date.parse(states[i]?.nextAttemptAt ?? '') || now) - now) }] : [])),
    );
    const missing = items.filter((_, i) => states[i] === null);
    if (missing.length > 0) this.logger.warn(`batch delivery: no record of ${missing.length} deliveries (${missing[0].deliveryId}, ...), expired or removed; not sent`);
    return items.filter((_, i) => states[i]?.status === 'pending');
  }

  /** A delivery whose subscription is gone, or disabled (then its event is kept as skipped, for replay). */
  private async cancel(data: DeliveryJobData, subscription: Subscription | undefined): Promise<void> {
    await this.deliveries.setStatus(data.deliveryId, { status: 'cancelled', lastError: subscription ? `endpoint disabled: ${subscription.disabledReason ?? ''}` : 'subscription deleted' });
    await this.deliveries.releasePayload(data.deliveryId, data.payloadKey);
    if (subscription) await this.deliveries.recordSkipped([{ subscriptionId: subscription.id, eventId: data.eventId, at: Date.now() }]);
  }

  /** The bytes a delivery sends, or null when they are no longer stored. */
  private async bodyOf(data: DeliveryJobData): Promise<string | null> {
    return data.payload ?? (data.payloadKey ? this.payloads.read(data.payloadKey) : null);
  }

  private async subscriptionOf(id: string): Promise<Subscription | undefined> {
    return this.cache.get(id) ?? (await this.reloadSubscription(id));
  }

  onError(error: Error): void {
    this.logger.warn(`delivery worker: ${error.message}`);
  }

  /**
   * A job can fail outside process() (stalled too often after worker crashes), and a batch job can run
   * out of tries (Redis away for a while): keep the records honest. A batch's deliveries go on in jobs of
   * their own, queued on the queue's connection (which waits out Redis outages), each with its full schedule.
   */
  async onFailed(job: Job<DeliveryQueueJobData> | undefined, error: Error): Promise<void> {
    if (!job?.data || error instanceof UnrecoverableError || error instanceof RetryableDeliveryError) return;
    if (job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled/i.test(error.message)) return;
    if ('deliveries' in job.data) {
      const { deliveries } = job.data;
      await this.queueOwnJobs(deliveries.map((data) => ({ data, delayMs: 1_000, fresh: true }))).catch((queueError: Error) =>
        this.logger.error(
          { deliveryIds: deliveries.map((d) => d.deliveryId) },
          `batch job ${job.id} failed (${error.message}) and its ${deliveries.length} deliveries could not be queued on their own: ${queueError.message}; ` +
            'replay them with POST /api/v1/subscriptions/:id/replay',
        ),
      );
      return;
    }
    if (!job.data.deliveryId) return;
    await this.deliveries.markDead(job.data.deliveryId, `job failed: ${error.message}`).catch(() => undefined);
    await this.deliveries.releasePayload(job.data.deliveryId, job.data.payloadKey).catch(() => undefined);
  }

  /**
   * The body is gone: every reference was released, which happens when this delivery is done already
   * (a job run again after its worker died past the last attempt's record). A delivery still open
   * without its body cannot be sent: dead, saying why, so a redrive (which stores the body again) can fix it.
   */
  private async withoutBody(data: DeliveryJobData): Promise<{ durationMs: number }> {
    const record = await this.deliveries.get(data.deliveryId);
    if (record && ['succeeded', 'dead', 'cancelled'].includes(record.status)) return { durationMs: 0 };
    await this.deliveries.markDead(data.deliveryId, 'the body to send is no longer stored; redrive the delivery to send it again');
    this.logger.error({ deliveryId: data.deliveryId, eventId: data.eventId }, `delivery ${data.deliveryId}: its body is no longer stored; marked dead`);
    return { durationMs: 0 };
  }

  /** Waits without spending an attempt (BullMQ's manual delay). */
  private async postpone(job: Job<DeliveryQueueJobData>, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + Math.max(ms, 10), token);
    throw new DelayedError();
  }

  private async afterExhausted(subscriptionId: string, result: HttpAttempt): Promise<void> {
    if (result.status === 410) return this.disable(subscriptionId, 'endpoint answered 410 Gone');
    const now = Date.now();
    const windowMs = this.config.delivery.disableAfterHours * 3_600_000;
    const since = await this.deliveries.startFailureClock(subscriptionId, now, Math.ceil((2 * windowMs) / 1000));
    if (now - since >= windowMs) {
      await this.disable(subscriptionId, `every delivery failed for ${this.config.delivery.disableAfterHours} h`);
    }
  }

  private async disable(subscriptionId: string, reason: string): Promise<void> {
    try {
      // The repository tells this process's cache at once; other workers hear it on the channel.
      await this.subscriptions.setEnabled(subscriptionId, false, reason);
      this.breaker.forget(subscriptionId);
      this.logger.warn({ subscriptionId }, `disabled subscription ${subscriptionId}: ${reason}`);
    } catch (error) {
      this.logger.warn(`could not disable ${subscriptionId}: ${(error as Error).message}`);
    }
  }

  private async reloadSubscription(id: string) {
    await this.cache.refresh(id);
    return this.cache.get(id);
  }
}

type AttemptOutcome = { next: 'done' | 'dead'; result: HttpAttempt } | { next: 'retry'; result: HttpAttempt; retryInMs: number };

/** The host of a URL, for logs (never its path or query, which may carry a token). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}
