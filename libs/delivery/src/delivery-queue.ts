import { Injectable } from '@nestjs/common';
import { DomainEvent, RedisKeys } from '@hub/store';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryPayloads } from './delivery-payloads';
import { DeliveryQueues } from './delivery-queues';
import { groupBy } from './group-by';
import { HubConfig } from '@hub/config';
import { Delivery, DeliveryJobData, DeliveryTrigger, OWN_PAYLOAD_FIELD, batchDeliveryJob, deliveryId, singleDeliveryJob } from './delivery';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from './retry-schedule';
import { Subscription } from './subscription';

/** The JSON body a delivery of an event carries in the `hub` format (ARCHITECTURE §3.4). */
export function deliveryPayload(event: DomainEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, source: event.source, timestamp: event.occurredAt, data: event.data });
}

/** The `seed` format: `{event, timestamp: <unix ms>, data}`, the event name without its source prefix (the WhatsApp document). */
export function seedPayload(event: DomainEvent): string {
  const name = event.type.startsWith(`${event.source}.`) ? event.type.slice(event.source.length + 1) : event.type;
  return JSON.stringify({ event: name, timestamp: Date.parse(event.occurredAt) || Date.parse(event.receivedAt) || Date.now(), data: event.data });
}

/** The body of an event for a subscription, in its format. */
export function payloadFor(subscription: Subscription, event: DomainEvent): string {
  return subscription.payloadFormat === 'seed' ? seedPayload(event) : deliveryPayload(event);
}

export interface PlannedDelivery {
  event: DomainEvent;
  subscription: Subscription;
  /** Serialised once per event and shared by its deliveries. */
  payload: string;
  trigger: DeliveryTrigger;
  /** Makes a new delivery of the same event and subscription (replay). */
  suffix?: string;
  /** The payload is the sender's own body, not the event's envelope: kept in the record for redrive and replay. */
  ownPayload?: boolean;
}

/**
 * Producer side of the delivery queue: records each delivery, then adds its job. Job ids are
 * delivery ids, so re-running a fan-out after a crash adds nothing twice.
 */
@Injectable()
export class DeliveryQueue {
  constructor(
    private readonly queues: DeliveryQueues,
    private readonly deliveries: DeliveriesRepository,
    private readonly payloads: DeliveryPayloads,
    private readonly keys: RedisKeys,
    private readonly config: HubConfig,
  ) {}

  /** Records and queues deliveries, each in its subscription's shard (one round trip of each kind per shard). */
  async enqueue(planned: PlannedDelivery[]): Promise<Delivery[]> {
    if (planned.length === 0) return [];
    const groups = [...groupBy(planned, (p) => this.keys.deliveryShardOf(p.subscription.id))];
    if (groups.length === 1) return this.enqueueInShard(groups[0][0], planned);
    const created = await Promise.all(groups.map(([shard, group]) => this.enqueueInShard(shard, group)));
    const records = new Map(created.flat().map((d) => [d.id, d]));
    return planned.map((p) => records.get(deliveryId(p.event.id, p.subscription.id, p.suffix))!);
  }

  private async enqueueInShard(shard: number, planned: PlannedDelivery[]): Promise<Delivery[]> {
    // One instant for the whole fan-out batch, formatted once (toISOString costs about 1 µs under load).
    const now = Date.now();
    const at = new Date(now).toISOString();
    const records: Delivery[] = planned.map((p) => ({
      // An action's own body (not the event envelope) is kept for redrive and replay.
      ...(p.ownPayload ? { [OWN_PAYLOAD_FIELD]: p.payload } : {}),
      id: deliveryId(p.event.id, p.subscription.id, p.suffix),
      eventId: p.event.id,
      eventType: p.event.type,
      subscriptionId: p.subscription.id,
      url: p.subscription.url,
      status: 'pending',
      trigger: p.trigger,
      attemptCount: 0,
      createdAt: at,
      updatedAt: at,
    }));
    const bodies = planned.map((p) => ({ key: this.payloads.keyFor(p.event.id, p.payload, p.subscription.id), body: p.payload }));
    await this.deliveries.createMany(shard, records, bodies);
    for (const { key, body } of bodies) this.payloads.remember(key, body);
    const jobs = planned.map((p, i): DeliveryJobData => ({
      deliveryId: records[i].id,
      eventId: p.event.id,
      eventType: p.event.type,
      subscriptionId: p.subscription.id,
      payloadKey: bodies[i].key,
      schedule: p.subscription.retrySchedule ?? [...DEFAULT_RETRY_SCHEDULE_SECONDS],
      createdAt: now,
    }));
    await this.queues.queues[shard].addBulk(this.jobsFor(planned, jobs));
    return records;
  }

  /**
   * The queue jobs of these deliveries: a job each, except that deliveries to one endpoint (without a
   * per-endpoint rate limit, which a batch could not honour) share batch jobs of up to
   * DELIVERY_BATCH_SIZE. A batch's id is its first delivery's and its size, so a fan-out re-run after a
   * crash that reads the same entries adds it once; the processor skips deliveries already done.
   */
  private jobsFor(planned: PlannedDelivery[], jobs: DeliveryJobData[]) {
    const rateLimited = new Set(planned.filter((p) => p.subscription.rateLimitPerSec).map((p) => p.subscription.id));
    const out: (ReturnType<typeof singleDeliveryJob> | ReturnType<typeof batchDeliveryJob>)[] = [];
    for (const group of groupBy(jobs, (job) => job.subscriptionId).values()) {
      const size = rateLimited.has(group[0].subscriptionId) ? 1 : this.config.delivery.batchSize;
      for (let from = 0; from < group.length; from += size) {
        const chunk = group.slice(from, from + size);
        out.push(chunk.length === 1 ? singleDeliveryJob(chunk[0]) : batchDeliveryJob(chunk));
      }
    }
    return out;
  }

  /** Re-runs a dead delivery from a fresh attempt budget (its log continues). */
  async redrive(delivery: Delivery, subscription: Subscription, payload: string): Promise<void> {
    const queue = this.queues.forSubscription(subscription.id);
    await queue.remove(delivery.id).catch(() => undefined);
    await this.deliveries.setStatus(delivery.id, { status: 'pending', url: subscription.url, trigger: 'redrive' });
    await this.deliveries.removeDead([delivery.id]);
    const body = { key: this.payloads.keyFor(delivery.eventId, payload, subscription.id), body: payload };
    await this.deliveries.retainPayload(delivery.id, body);
    const schedule = subscription.retrySchedule ?? [...DEFAULT_RETRY_SCHEDULE_SECONDS];
    const job = singleDeliveryJob({
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      subscriptionId: subscription.id,
      payloadKey: body.key,
      schedule,
      // Retry headers keep counting from the first attempt of the original delivery.
      createdAt: Date.parse(delivery.createdAt) || Date.now(),
      attemptOffset: delivery.attemptCount,
    });
    await queue.add(job.name, job.data, job.opts);
  }
}
