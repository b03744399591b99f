import { Injectable, Logger, Optional } from '@nestjs/common';
import { HubMetrics } from '@hub/observability';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { HubConfig } from '@hub/config';
import { CircuitBreaker } from './circuit-breaker';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryAttempt, DeliveryJobData } from './delivery';
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

  constructor(
    private readonly config: HubConfig,
    private readonly cache: SubscriptionCache,
    private readonly subscriptions: SubscriptionsService,
    private readonly deliveries: DeliveriesRepository,
    private readonly sender: DeliverySender,
    private readonly payloads: DeliveryPayloads,
    private readonly throttle: DeliveryThrottle,
    @Optional() private readonly metrics?: HubMetrics,
  ) {
    this.breaker = new CircuitBreaker(config.delivery.circuit);
  }

  async process(job: Job<DeliveryJobData>, token?: string): Promise<{ status?: number; durationMs: number }> {
    const data = job.data;
    const subscription = this.cache.get(data.subscriptionId) ?? (await this.reloadSubscription(data.subscriptionId));
    if (!subscription) {
      await this.deliveries.setStatus(data.deliveryId, { status: 'cancelled', lastError: 'subscription deleted' });
      await this.deliveries.releasePayload(data.deliveryId, data.payloadKey);
      return { durationMs: 0 };
    }
    if (!subscription.enabled) {
      await this.deliveries.setStatus(data.deliveryId, { status: 'cancelled', lastError: `endpoint disabled: ${subscription.disabledReason ?? ''}` });
      await this.deliveries.releasePayload(data.deliveryId, data.payloadKey);
      await this.deliveries.recordSkipped([{ subscriptionId: subscription.id, eventId: data.eventId, at: Date.now() }]);
      return { durationMs: 0 };
    }
    const payload = data.payload ?? (data.payloadKey ? await this.payloads.read(data.payloadKey) : null);
    if (payload === null) return this.withoutBody(data);

    const circuit = this.breaker.check(subscription.id);
    if (circuit.open) return this.postpone(job, token, circuit.retryInMs);
    if (subscription.rateLimitPerSec) {
      const wait = await this.throttle.waitMs(subscription.id, subscription.rateLimitPerSec);
      if (wait > 0) return this.postpone(job, token, wait);
    }

    const attemptNumber = job.attemptsMade + 1 + (data.attemptOffset ?? 0);
    const result = await this.sender.send(
      subscription,
      { eventId: data.eventId, eventType: data.eventType, payload },
      {
        retryCount: job.attemptsMade + (data.attemptOffset ?? 0),
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
      return { status: result.status, durationMs: result.durationMs };
    }

    if (tripped === 'disable') await this.disable(subscription.id, `circuit breaker tripped ${this.config.delivery.circuit.tripsToDisable} times in a row`);
    const permanent = result.status === 410 || result.errorKind === 'ssrf';
    const last = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last) {
      await this.deliveries.recordAttempt(data.deliveryId, attempt, { status: 'dead', lastStatusCode: result.status, lastError: result.error, deadAt: attempt.at }, { dead: true, payloadKey: data.payloadKey });
      this.metrics?.deliveryAttempts.inc({ result: 'dead', error_kind: result.errorKind ?? 'other' });
      // The WhatsApp document drops an exhausted delivery "logged as error"; here it is kept as a dead letter too.
      this.logger.error(
        { deliveryId: data.deliveryId, eventId: data.eventId, subscriptionId: subscription.id },
        `delivery ${data.deliveryId} of ${data.eventType} to subscription ${subscription.id} (${hostOf(subscription.url)}) gave up after ${attemptNumber} attempt(s): ` +
          `${result.error ?? `HTTP ${result.status}`}; kept as a dead letter (redrive it with POST /api/v1/dead-letters/redrive)`,
      );
      await this.afterExhausted(subscription.id, result);
      throw new UnrecoverableError(result.error ?? 'delivery failed');
    }
    const retryAfter = result.status === 429 || result.status === 503 ? parseRetryAfter(result.retryAfter) : undefined;
    const delay = nextRetryDelayMs({ attemptsMade: job.attemptsMade + 1, schedule: data.schedule, retryAfterSeconds: retryAfter }) ?? 0;
    await this.deliveries.recordAttempt(data.deliveryId, attempt, {
      status: 'retrying',
      lastStatusCode: result.status,
      lastError: result.error,
      nextAttemptAt: new Date(Date.now() + delay).toISOString(),
    });
    this.metrics?.deliveryAttempts.inc({ result: 'retrying', error_kind: result.errorKind ?? 'other' });
    throw new RetryableDeliveryError(result.error ?? 'delivery failed', delay);
  }

  onError(error: Error): void {
    this.logger.warn(`delivery worker: ${error.message}`);
  }

  /** A job can fail outside process() (stalled too often after worker crashes): keep its record honest. */
  async onFailed(job: Job<DeliveryJobData> | undefined, error: Error): Promise<void> {
    if (!job?.data?.deliveryId || error instanceof UnrecoverableError || error instanceof RetryableDeliveryError) return;
    if (job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled/i.test(error.message)) return;
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
  private async postpone(job: Job<DeliveryJobData>, token: string | undefined, ms: number): Promise<never> {
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

/** The host of a URL, for logs (never its path or query, which may carry a token). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}
