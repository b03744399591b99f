import { Module } from '@nestjs/common';
import { EventStreamConsumer } from './event-stream.consumer';
import { STREAM_EVENT_HANDLERS, StreamEventHandler } from './stream-event-handler';

/**
 * The background side: the event-stream consumer. Delivery fan-out plugs in as a
 * StreamEventHandler (next issue); until then stored events are acknowledged as processed.
 */
@Module({
  providers: [
    EventStreamConsumer,
    { provide: STREAM_EVENT_HANDLERS, useFactory: (): StreamEventHandler[] => [] },
  ],
  exports: [EventStreamConsumer],
})
export class WorkerModule {}
