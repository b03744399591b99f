import { Module } from '@nestjs/common';
import { DeliveryWorkerModule, FanoutHandler } from '@hub/delivery';
import { EventStreamConsumer } from './event-stream.consumer';
import { STREAM_EVENT_HANDLERS, StreamEventHandler } from './stream-event-handler';

/**
 * The background side: the event-stream consumer, whose handlers run before an entry is
 * acknowledged (fan-out to delivery jobs), and the delivery processor.
 */
@Module({
  imports: [DeliveryWorkerModule],
  providers: [
    EventStreamConsumer,
    {
      provide: STREAM_EVENT_HANDLERS,
      inject: [FanoutHandler],
      useFactory: (fanout: FanoutHandler): StreamEventHandler[] => [fanout],
    },
  ],
  exports: [EventStreamConsumer],
})
export class WorkerModule {}
