import { DomainEvent, compileTypeGlob } from '@hub/store';
import { FilterCondition, matchesFilter } from './payload-filter';

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

/** What APIs show: everything but the secrets (the secret is shown on create and by rotate-secret only). */
export type PublicSubscription = Omit<Subscription, 'secret' | 'previousSecrets'>;

export function toPublicSubscription(subscription: Subscription): PublicSubscription {
  const { secret: _secret, previousSecrets: _previous, ...rest } = subscription;
  return rest;
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
