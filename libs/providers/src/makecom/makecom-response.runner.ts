import { Injectable } from '@nestjs/common';
import { Approval, ApprovalAction, ApprovalActionRunner } from '@hub/approvals';
import { DeliveryQueue, SubscriptionsService, deliveryId } from '@hub/delivery';
import { DomainEvent } from '@hub/store';
import { SEND_WEBHOOK_RESPONSE } from './makecom-actions.service';

interface ResponseArguments {
  response_url: string;
  response_type: string;
  client_id: string;
  response_data: Record<string, unknown>;
}

/**
 * Sends an approved send_webhook_response through the delivery engine (SSRF guard, Standard Webhooks
 * signatures, retries, attempt log), to the endpoint registered for its URL (or one made for it).
 * The body is the seed's `{status, client_id, timestamp, response_id, data}`. The delivery id derives
 * from the decided event and the endpoint, so a re-run after a crash adds no second delivery.
 */
@Injectable()
@ApprovalAction()
export class MakeComResponseRunner implements ApprovalActionRunner {
  readonly action = SEND_WEBHOOK_RESPONSE;

  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly queue: DeliveryQueue,
  ) {}

  async run(approval: Approval, decided: DomainEvent): Promise<Record<string, unknown>> {
    const args = approval.arguments as unknown as ResponseArguments;
    const { subscription, created } = await this.subscriptions.ensureForUrl(
      args.response_url,
      `response endpoint made for send_webhook_response (approval ${approval.id}); rotate-secret shows its secret`,
    );
    const payload = JSON.stringify({
      status: args.response_type,
      client_id: args.client_id,
      timestamp: approval.decision?.at ?? decided.occurredAt,
      response_id: approval.id,
      data: args.response_data,
    });
    const id = deliveryId(decided.id, subscription.id);
    // The event the delivery belongs to: the decision (webhook-id = its id, stable across retries).
    const event: DomainEvent = { ...decided, type: 'makecom.webhook_response' };
    await this.queue.enqueue([{ event, subscription, payload, trigger: 'action', ownPayload: true }]);
    return { delivery_id: id, subscription_id: subscription.id, url: subscription.url, endpoint_created: created };
  }
}
