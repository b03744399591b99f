import { Injectable } from '@nestjs/common';
import { DomainEvent } from '@hub/store';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryQueue, PlannedDelivery, deliveryPayload, seedPayload } from './delivery-queue';
import { SubscriptionCache } from './subscription-cache';

/**
 * Turns stored events into delivery jobs: match subscriptions from the in-memory cache (no Redis
 * read per event), record deliveries, `addBulk` their jobs, and note events a disabled endpoint
 * missed. Runs in the stream consumer before the entries are acknowledged, so a crash re-runs it;
 * job ids make that harmless.
 */
@Injectable()
export class FanoutHandler {
  readonly name = 'fanout';

  constructor(
    private readonly cache: SubscriptionCache,
    private readonly queue: DeliveryQueue,
    private readonly deliveries: DeliveriesRepository,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    if (!this.cache.ready) await this.cache.reloadAll();
    if (!this.cache.ready) throw new Error('subscriptions not loaded yet');
    const planned: PlannedDelivery[] = [];
    const skipped: { subscriptionId: string; eventId: string; at: number }[] = [];
    const now = Date.now();
    for (const event of events) {
      const { deliver, skip } = this.cache.match(event);
      if (deliver.length > 0) {
        // Serialised once per event and format, shared by its deliveries.
        let hub: string | undefined;
        let seed: string | undefined;
        for (const subscription of deliver) {
          const payload = subscription.payloadFormat === 'seed' ? (seed ??= seedPayload(event)) : (hub ??= deliveryPayload(event));
          planned.push({ event, subscription, payload, trigger: 'fanout' });
        }
      }
      for (const subscription of skip) skipped.push({ subscriptionId: subscription.id, eventId: event.id, at: now });
    }
    await this.queue.enqueue(planned);
    await this.deliveries.recordSkipped(skipped);
  }
}
