import { Injectable } from '@nestjs/common';
import { newEventId } from '@hub/store';
import { DeliverySender } from './delivery-sender';
import { payloadFor } from './delivery-queue';
import { SubscriptionsService } from './subscriptions.service';
import { DeliveryErrorKind } from './delivery-http.client';

export interface TestDeliveryResult {
  ok: boolean;
  eventId: string;
  statusCode?: number;
  latencyMs: number;
  responseSnippet?: string;
  errorKind?: DeliveryErrorKind;
  error?: string;
}

/** Sends a signed `webhook.test` event to an endpoint now and reports what came back (not stored, not retried). */
@Injectable()
export class TestDeliveryService {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly sender: DeliverySender,
  ) {}

  async test(subscriptionId: string): Promise<TestDeliveryResult> {
    const subscription = await this.subscriptions.get(subscriptionId);
    const eventId = newEventId();
    const at = new Date().toISOString();
    // In the subscription's own format, so a receiver's parser sees what real deliveries look like.
    const payload = payloadFor(subscription, { id: eventId, type: 'webhook.test', source: 'hub', occurredAt: at, receivedAt: at, data: { message: 'Test delivery from the webhook hub', subscriptionId } });
    const result = await this.sender.send(subscription, { eventId, eventType: 'webhook.test', payload }, { retryCount: 0, maxRetries: 0, originalTimestamp: Math.floor(Date.now() / 1000) });
    return {
      ok: result.ok,
      eventId,
      ...(result.status !== undefined ? { statusCode: result.status } : {}),
      latencyMs: result.durationMs,
      ...(result.responseSnippet !== undefined ? { responseSnippet: result.responseSnippet } : {}),
      ...(result.errorKind ? { errorKind: result.errorKind, error: result.error } : {}),
    };
  }
}
