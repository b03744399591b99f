import { Injectable } from '@nestjs/common';
import { DomainEvent, StreamEventHandler, StreamHandler } from '@hub/store';
import { TavusConversationsService } from './tavus-conversations.service';

/** Keeps the conversation read models from every Tavus event (each event applied once). */
@Injectable()
@StreamHandler()
export class TavusConversationsHandler implements StreamEventHandler {
  readonly name = 'tavus-conversations';

  constructor(private readonly conversations: TavusConversationsService) {}

  async handle(events: DomainEvent[]): Promise<void> {
    for (const event of events) if (event.source === 'tavus') await this.conversations.apply(event);
  }
}
