import { Injectable } from '@nestjs/common';
import { version } from '../../../package.json';
import { DeliveryHttpClient, HttpAttempt } from './delivery-http.client';
import { seedWebhookSignature, standardWebhookSignature } from './standard-webhooks.signer';
import { Subscription, hasGivenSecret, signingSecrets } from './subscription';

export const USER_AGENT = `webhook-hub/${version}`;

export interface OutgoingMessage {
  /** The event id: `webhook-id` and `Idempotency-Key`, stable across retries. */
  eventId: string;
  eventType: string;
  /** Exact bytes to send (and sign). */
  payload: string;
}

export interface RetryInfo {
  /** Retries made before this attempt (0 on the first attempt). */
  retryCount: number;
  maxRetries: number;
  /** Unix seconds of the first attempt. */
  originalTimestamp: number;
}

/**
 * Builds the signed request for one attempt and sends it. Standard Webhooks headers (every active
 * secret signs during rotation), the seed documents' headers, and the subscription's own.
 */
@Injectable()
export class DeliverySender {
  constructor(private readonly http: DeliveryHttpClient) {}

  /** `body` is the payload's bytes when the caller has them already (they are signed and sent as they are). */
  headersFor(subscription: Subscription, message: OutgoingMessage, retry: RetryInfo, now: number = Date.now(), body: Buffer | string = message.payload): Record<string, string> {
    const timestamp = Math.floor(now / 1000);
    const headers: Record<string, string> = {
      ...(subscription.headers ?? {}),
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': message.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhookSignature(signingSecrets(subscription, now), message.eventId, timestamp, body),
      'x-webhook-event': message.eventType,
      'idempotency-key': message.eventId,
    };
    // The WhatsApp document signs only when a secret was given; the hub format always carries it.
    if (subscription.payloadFormat !== 'seed' || hasGivenSecret(subscription)) {
      headers['x-webhook-signature'] = seedWebhookSignature(subscription.secret, body);
    }
    if (retry.retryCount > 0) {
      headers['x-webhook-retry-count'] = String(retry.retryCount);
      headers['x-webhook-max-retries'] = String(retry.maxRetries);
      headers['x-webhook-original-timestamp'] = String(retry.originalTimestamp);
    }
    return headers;
  }

  send(subscription: Subscription, message: OutgoingMessage, retry: RetryInfo): Promise<HttpAttempt> {
    // Encoded once: both signatures and the request use the same bytes.
    const body = Buffer.from(message.payload);
    return this.http.post(subscription.url, this.headersFor(subscription, message, retry, Date.now(), body), body);
  }
}
