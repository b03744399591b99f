import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { DomainEvent, EventsRepository, parseInstant } from '@hub/store';
import { DeliveriesRepository } from './deliveries.repository';
import { Delivery, deliveryId } from './delivery';
import { DeliveryQueue, PlannedDelivery, payloadFor } from './delivery-queue';
import { Subscription, subscriptionMatches } from './subscription';
import { SubscriptionsService } from './subscriptions.service';

export type ReplayStatus = 'skipped' | 'failed' | 'all';

export interface ReplayRequest {
  /** ISO time or unix ms; default: when the endpoint was disabled, else 24 h ago. */
  since?: string | number;
  /** ISO time or unix ms; default: now. */
  until?: string | number;
  /** skipped: events missed while disabled; failed: dead deliveries; all: both plus delivered ones. */
  status?: ReplayStatus;
  /** Count only, change nothing. */
  dryRun?: boolean;
}

export interface ReplayResult {
  dryRun: boolean;
  since: string;
  until: string;
  status: ReplayStatus;
  counts: { skipped: number; failed: number; delivered: number };
  /** Deliveries queued (0 on a dry run). */
  enqueued: number;
}

/** One call replays at most this many deliveries; run it again for the rest. */
export const MAX_REPLAY = 10_000;

/** Replay by event, by time range and by status, with a dry run. Shared by REST and MCP. */
@Injectable()
export class ReplayService {
  constructor(
    private readonly events: EventsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly deliveries: DeliveriesRepository,
    private readonly queue: DeliveryQueue,
  ) {}

  /** What an endpoint missed while it was disabled: replay it with `replaySubscription(id, { status: 'skipped' })`. */
  async missedWhileDisabled(subscriptionId: string): Promise<{ skipped: number }> {
    return { skipped: await this.deliveries.countSkipped(subscriptionId) };
  }

  /** Delivers a stored event again to every enabled subscription it matches now (or to one). */
  async replayEvent(eventId: string, subscriptionId?: string): Promise<Delivery[]> {
    const event = await this.events.get(eventId);
    if (!event) throw new NotFoundException(`event ${eventId} not found (unknown, or older than the retention window)`);
    const targets = subscriptionId
      ? [await this.subscriptions.get(subscriptionId)]
      : (await this.subscriptions.list()).filter((s) => s.enabled && subscriptionMatches(s, event));
    const disabled = targets.find((s) => !s.enabled);
    if (disabled) throw new BadRequestException(`subscription ${disabled.id} is disabled; enable it first`);
    return this.queue.enqueue(await Promise.all(targets.map((subscription) => this.plan(event, subscription))));
  }

  async replaySubscription(subscriptionId: string, request: ReplayRequest = {}): Promise<ReplayResult> {
    const subscription = await this.subscriptions.get(subscriptionId);
    const status = request.status ?? 'skipped';
    if (!['skipped', 'failed', 'all'].includes(status)) throw new BadRequestException('status must be skipped, failed or all');
    const until = parseTime(request.until, 'until') ?? Date.now();
    // Skipped events are kept only while they matter (two weeks): by default replay all of them.
    const defaultSince = status === 'skipped' ? 0 : subscription.disabledAt ? Date.parse(subscription.disabledAt) : until - 86_400_000;
    const since = parseTime(request.since, 'since') ?? defaultSince;
    if (since > until) throw new BadRequestException('since must not be after until');
    if (!request.dryRun && !subscription.enabled) throw new BadRequestException(`subscription ${subscription.id} is disabled; enable it first`);

    const skippedIds = status === 'failed' ? [] : await this.deliveries.skippedEvents(subscription.id, since, until, MAX_REPLAY);
    const past = status === 'skipped' ? [] : await this.deliveries.getMany(await this.deliveries.idsOfSubscription(subscription.id, since, until, MAX_REPLAY));
    const failed = past.filter((d) => d.status === 'dead');
    const delivered = status === 'all' ? past.filter((d) => d.status === 'succeeded') : [];
    const result: ReplayResult = {
      dryRun: request.dryRun === true,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      status,
      counts: { skipped: skippedIds.length, failed: failed.length, delivered: delivered.length },
      enqueued: 0,
    };
    if (request.dryRun) return result;

    const fresh: PlannedDelivery[] = [];
    for (const eventId of skippedIds) {
      const event = await this.events.get(eventId);
      if (event) fresh.push(await this.plan(event, subscription));
    }
    for (const delivery of delivered) {
      const event = await this.events.get(delivery.eventId);
      if (event) fresh.push(await this.plan(event, subscription, delivery));
    }
    await this.queue.enqueue(fresh);
    await this.deliveries.removeSkipped(subscription.id, skippedIds);
    let redriven = 0;
    for (const delivery of failed) if (await this.redriveOne(delivery, subscription)) redriven++;
    result.enqueued = fresh.length + redriven;
    return result;
  }

  /** Runs a dead delivery again (its attempts log continues). False when its event is gone. */
  async redriveOne(delivery: Delivery, subscription: Subscription): Promise<boolean> {
    const event = await this.events.get(delivery.eventId);
    if (!event) return false;
    // An action's own body is sent again as it was; other deliveries carry the event's envelope.
    await this.queue.redrive(delivery, subscription, (await this.deliveries.ownPayload(delivery.id)) ?? payloadFor(subscription, event));
    return true;
  }

  /**
   * A new delivery of an event to a subscription. When the event's first delivery there carried its
   * sender's own body (an approved response), the replay sends that body, under the same event type.
   */
  private async plan(event: DomainEvent, subscription: Subscription, original?: Delivery): Promise<PlannedDelivery> {
    const suffix = `r${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    const first = original ?? (await this.deliveries.get(deliveryId(event.id, subscription.id)));
    const own = first ? await this.deliveries.ownPayload(first.id) : null;
    if (first && own !== null) return { event: { ...event, type: first.eventType }, subscription, payload: own, ownPayload: true, trigger: 'replay', suffix };
    return { event, subscription, payload: payloadFor(subscription, event), trigger: 'replay', suffix };
  }
}

/** Bounded like every instant a client names (1970..9999): out of range is a 400, never a 500 later. */
function parseTime(value: string | number | undefined, field: string): number | undefined {
  return parseInstant(value, field);
}
