import { DiscoveryService } from '@nestjs/core';
import { DomainEvent } from './domain-event';

/**
 * Something the worker does with every stored event before its stream entry is acknowledged
 * (fan-out, a provider's workflow, live notifications). It must be idempotent: after a crash an
 * entry is processed again (at-least-once), and the same entry handled twice must leave one result.
 * Handlers see every batch and pick the types they care about; a thrown error leaves the entry
 * pending, so throw only for what a retry can fix.
 */
export interface StreamEventHandler {
  readonly name: string;
  handle(events: DomainEvent[]): Promise<void>;
}

/**
 * Marks a provider (in any module the process loads) as a stream handler: the worker finds it by
 * discovery and runs it after fan-out, before live notifications. Provider modules contribute their
 * workflows this way; the worker names none of them.
 */
export const StreamHandler = DiscoveryService.createDecorator<void>();

/** Injection token of the list of handlers the consumer runs, in order, before acknowledging. */
export const STREAM_EVENT_HANDLERS = Symbol('STREAM_EVENT_HANDLERS');
