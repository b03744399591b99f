import { Module } from '@nestjs/common';
import { DeliveryWorkerModule, FanoutHandler } from '@hub/delivery';
import { EventStreamConsumer } from './event-stream.consumer';
import { LiveEventsPublisher } from './live-events.publisher';
import { STREAM_EVENT_HANDLERS, StreamEventHandler } from './stream-event-handler';

/**
 * The background side: the event-stream consumer, whose handlers run before an entry is
 * acknowledged (fan-out to delivery jobs, live-event publishing), and the delivery processor.
 */
@Module({
  imports: [DeliveryWorkerModule],
  providers: [
    EventStreamConsumer,
    LiveEventsPublisher,
    {
      provide: STREAM_EVENT_HANDLERS,
      inject: [FanoutHandler, LiveEventsPublisher],
      // Deliveries first: a notification must not announce an event whose deliveries were not queued.
      useFactory: (fanout: FanoutHandler, live: LiveEventsPublisher): StreamEventHandler[] => [fanout, live],
    },
  ],
  exports: [EventStreamConsumer],
})
export class WorkerModule {}
