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
    const changes = events.filter((e) => e.source === 'tavus').flatMap((e) => this.conversations.changesFor(e));
    // Sent together on one connection, the steps still run in stream order (Redis runs a connection's
    // commands in the order sent), without a round trip each.
    await Promise.all(changes.map((change) => this.conversations.applyChange(change)));
  }
}
