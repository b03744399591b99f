import { DomainEvent } from '@hub/store';

/**
 * Something the worker does with every stored event (fan-out to subscriptions, notifications, ...).
 * It must be idempotent: after a crash an entry is processed again (at-least-once).
 */
export interface StreamEventHandler {
  readonly name: string;
  handle(events: DomainEvent[]): Promise<void>;
}

/** Injection token of the list of handlers the consumer runs, in order, before acknowledging. */
export const STREAM_EVENT_HANDLERS = Symbol('STREAM_EVENT_HANDLERS');
