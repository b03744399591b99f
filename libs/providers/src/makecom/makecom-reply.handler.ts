import { Injectable, Logger } from '@nestjs/common';
import { DomainEvent, StreamEventHandler, StreamHandler, isRedisUnavailableError } from '@hub/store';
import { MakeComScenariosService } from './makecom-scenarios.service';

/**
 * In the worker: makes sure every Make.com event gets its reply (and knowledge graph) stored, also
 * when the gateway that took it crashed or timed out before finishing. Idempotent: a stored reply
 * is left alone, and the computation is deterministic per event.
 */
@Injectable()
@StreamHandler()
export class MakeComReplyHandler implements StreamEventHandler {
  readonly name = 'makecom-replies';
  private readonly logger = new Logger(MakeComReplyHandler.name);

  constructor(private readonly scenarios: MakeComScenariosService) {}

  async handle(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (event.source !== 'makecom') continue;
      if ((await this.scenarios.storedReply(event.id)) !== null) continue;
      try {
        await this.scenarios.computeAndStore(event);
      } catch (error) {
        if (isRedisUnavailableError(error)) throw error;
        // A scenario action that fails is the scenario's problem, not a reason to hold the stream.
        this.logger.warn(`Make.com reply for ${event.id} could not be computed: ${(error as Error).message}`);
      }
    }
  }
}
