import { DomainEvent, compileTypeGlob } from '@hub/store';
import { FilterCondition, matchesFilter } from './payload-filter';

/**
 * What a delivery's body looks like: `hub`, the envelope `{id, type, source, timestamp, data}`; or
 * `seed`, the WhatsApp document's `{event, timestamp: <unix ms>, data}` with the event name without
 * its source prefix (`message.received`).
 */
export type PayloadFormat = 'hub' | 'seed';
export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ['hub', 'seed'];

/** A webhook endpoint: where matching events are delivered, signed with its secret (ARCHITECTURE §3.4). */
export interface Subscription {
  id: string;
  url: string;
  /** Type globs (`whatsapp.message.*`, `*`). */
  events: string[];
  /** Conditions on `data`, all of which must hold. */
  filter?: FilterCondition[];
  /** Signs every delivery: `whsec_<base64>` (generated) or the string a seed tool registered. */
  secret: string;
  /**
   * True when the secret was given (by a seed tool or the API) rather than generated. Under the `seed`
   * format X-Webhook-Signature is sent only then, as the WhatsApp document says.
   */
  secretGiven?: boolean;
  /** Body shape of its deliveries; absent means `hub`. */
  payloadFormat?: PayloadFormat;
  /** Secrets replaced by rotate-secret that still sign until they expire (zero-downtime rotation). */
  previousSecrets?: { secret: string; expiresAt: string }[];
  description?: string;
  enabled: boolean;
  disabledReason?: string;
  disabledAt?: string;
  /** Deliveries per second to this endpoint; extra deliveries wait, none is dropped. */
  rateLimitPerSec?: number;
  /** Waits before each retry, in seconds (default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). */
  retrySchedule?: number[];
  /** Extra request headers sent with every delivery. */
  headers?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/**
 * What APIs show: everything but the secrets (the secret is shown on create and by rotate-secret
 * only), custom header values masked.
 */
export type PublicSubscription = Omit<Subscription, 'secret' | 'previousSecrets' | 'secretGiven'> & { payloadFormat: PayloadFormat };

/** What a masked header value reads as: its name is shown, never its value (often a receiver's token). */
export const MASKED = '***';

export function toPublicSubscription(subscription: Subscription): PublicSubscription {
  const { secret: _secret, previousSecrets: _previous, secretGiven: _given, headers, ...rest } = subscription;
  return {
    ...rest,
    ...(headers ? { headers: Object.fromEntries(Object.keys(headers).map((name) => [name, MASKED])) } : {}),
    payloadFormat: subscription.payloadFormat ?? 'hub',
  };
}

/** What creating a subscription answers: the public view plus its secret, shown this once. */
export function createdView(subscription: Subscription): PublicSubscription & { secret: string } {
  return { ...toPublicSubscription(subscription), secret: subscription.secret };
}

/** Whether the subscription's secret was given rather than generated (older records: a non-whsec_ secret was given). */
export function hasGivenSecret(subscription: Subscription): boolean {
  return subscription.secretGiven ?? !subscription.secret.startsWith('whsec_');
}

/** The secrets that sign right now: the current one, then unexpired previous ones. */
export function signingSecrets(subscription: Subscription, now: number = Date.now()): string[] {
  const previous = (subscription.previousSecrets ?? []).filter((p) => Date.parse(p.expiresAt) > now).map((p) => p.secret);
  return [subscription.secret, ...previous];
}

/** Whether an event is for this subscription (type glob and payload filter; enabled or not). */
export function subscriptionMatches(subscription: Subscription, event: DomainEvent): boolean {
  return subscription.events.some((p) => compileTypeGlob(p).test(event.type)) && matchesFilter(subscription.filter, event.data);
}

/** What rotate-secret shows: the new secret, and when the previous ones stop signing (never the old secrets). */
export function rotatedView(subscription: Subscription): PublicSubscription & { secret: string; previousSecretsExpireAt: string[] } {
  return {
    ...toPublicSubscription(subscription),
    secret: subscription.secret,
    previousSecretsExpireAt: (subscription.previousSecrets ?? []).map((p) => p.expiresAt),
  };
}
