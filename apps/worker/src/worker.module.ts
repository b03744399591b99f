import { Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { DeliveryWorkerModule, FanoutHandler } from '@hub/delivery';
import { STREAM_EVENT_HANDLERS, StreamEventHandler, StreamHandler } from '@hub/store';
import { BullProcessorsShutdown } from './bullmq-processors.shutdown';
import { EventStreamConsumer } from './event-stream.consumer';
import { LiveEventsPublisher } from './live-events.publisher';

/**
 * The background side: the event-stream consumer, whose handlers run before an entry is
 * acknowledged, and the delivery processor. Handlers run in this order: fan-out to delivery jobs,
 * the workflows modules contribute with @StreamHandler() (found by discovery; the worker names
 * none), then live-event publishing.
 */
@Module({
  imports: [DeliveryWorkerModule, DiscoveryModule],
  providers: [
    BullProcessorsShutdown,
    EventStreamConsumer,
    LiveEventsPublisher,
    {
      provide: STREAM_EVENT_HANDLERS,
      inject: [FanoutHandler, LiveEventsPublisher, DiscoveryService],
      // Deliveries first: a notification must not announce an event whose deliveries were not queued,
      // and a workflow's own events (results, alerts) are stored before the entry that caused them is acked.
      // Discovered instances are read when the consumer starts, once every provider is constructed.
      useFactory: (fanout: FanoutHandler, live: LiveEventsPublisher, discovery: DiscoveryService): (() => StreamEventHandler[]) => () => {
        const contributed = discovery
          .getProviders({ metadataKey: StreamHandler.KEY })
          .map((wrapper) => wrapper.instance as StreamEventHandler | undefined)
          .filter((handler): handler is StreamEventHandler => typeof handler?.handle === 'function');
        return [fanout, ...new Set(contributed), live];
      },
    },
  ],
  exports: [EventStreamConsumer],
})
export class WorkerModule {}
