import { Injectable, Logger } from '@nestjs/common';
import { HubConfig } from '@hub/config';
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

  constructor(
    private readonly scenarios: MakeComScenariosService,
    private readonly config: HubConfig,
  ) {}

  async handle(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (event.source !== 'makecom') continue;
      if ((await this.scenarios.storedReply(event.id)) !== null) continue;
      try {
        // Bounded like the inline reply: a slow scenario action finishes beside the stream, never holding it up.
        await withinSeconds(this.scenarios.computeAndStore(event), this.config.makecom.timeoutSeconds);
      } catch (error) {
        if (isRedisUnavailableError(error)) throw error;
        // A scenario action that fails is the scenario's problem, not a reason to hold the stream.
        this.logger.warn(`Make.com reply for ${event.id} could not be computed: ${(error as Error).message}`);
      }
    }
  }
}

/** Waits for `work` at most `seconds`; the work itself goes on (and is logged if it fails later). */
async function withinSeconds(work: Promise<unknown>, seconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => undefined);
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, seconds * 1000)))]).finally(() => clearTimeout(timer));
}
