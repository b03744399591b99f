/** Sources the hub receives from; an event's `type` always starts with `<source>.`. */
export const EVENT_SOURCES = ['digitalsamba', 'makecom', 'tavus', 'whatsapp', 'telegram', 'cctelegram'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** One normalised event, as stored and as delivered (ARCHITECTURE §3.3). */
export interface DomainEvent {
  id: string;
  source: string;
  type: string;
  /** When the platform says it happened (ISO 8601); receivedAt when the platform gives no time. */
  occurredAt: string;
  receivedAt: string;
  subject?: string;
  data: unknown;
  /** How the delivery arrived, when the platform says more than the payload (e.g. a sender's retry count). */
  meta?: Record<string, unknown>;
}

/** An event about to be stored, with the key that makes a redelivery of it a duplicate. */
export interface PendingEvent {
  event: DomainEvent;
  /** Unique per source; the store prefixes it with the source. */
  dedupeKey: string;
}

export type AppendOutcome = { status: 'accepted'; id: string } | { status: 'duplicate'; id: string };
