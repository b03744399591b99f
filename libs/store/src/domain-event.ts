import { newEventId } from './event-id';

/**
 * Sources of events; an event's `type` always starts with `<source>.`. `hub` is the hub's own
 * (approvals requested and decided, alerts); the others are the platforms it receives from.
 */
export const EVENT_SOURCES = ['digitalsamba', 'makecom', 'tavus', 'whatsapp', 'telegram', 'cctelegram', 'hub'] as const;
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

/** An event the hub itself raises (a workflow's outcome), stamped now, ready to append. */
export function newDomainEvent(source: string, type: string, data: unknown, options: { subject?: string; now?: number } = {}): DomainEvent {
  const now = options.now ?? Date.now();
  const at = new Date(now).toISOString();
  return { id: newEventId(now), source, type, occurredAt: at, receivedAt: at, ...(options.subject ? { subject: options.subject } : {}), data };
}
