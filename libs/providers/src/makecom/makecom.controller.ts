import { Controller, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import { EventsRepository } from '@hub/store';
import { IngestService, StatusSettable, WebhookHttpRequest, WebhookIngress } from '@hub/webhook-core';
import { MAKECOM_SCENARIO_NAME } from './makecom.adapter';
import { MakeComScenariosService } from './makecom-scenarios.service';

/**
 * One route per Make.com scenario, as the seed's `/api/webhook/make.com/chatgpt-clients`. The
 * scenario's HTTP module waits for the answer, so the reply is the processed result (the seed's
 * `{webhook_id, status: "processed", client_id, result}`), computed once the event is stored.
 */
@Controller('api/webhook/make.com')
export class MakeComController {
  constructor(
    private readonly ingest: IngestService,
    private readonly scenarios: MakeComScenariosService,
    private readonly events: EventsRepository,
  ) {}

  @Post(':scenario')
  @WebhookIngress('makecom', 'scenario')
  async receive(
    @Param('scenario') scenario: string,
    @Req() req: WebhookHttpRequest,
    @Res({ passthrough: true }) res: StatusSettable,
  ): Promise<unknown> {
    if (typeof scenario !== 'string' || !MAKECOM_SCENARIO_NAME.test(scenario)) {
      throw new NotFoundException(
        `no Make.com scenario route ${JSON.stringify(String(scenario).slice(0, 80))}: scenario names are 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit`,
      );
    }
    // The scenario travels to the adapter as the route key, so normalize() can scope and record it.
    const stored = await this.ingest.ingest('makecom', scenario, req);
    const fresh = stored.stored?.[0];
    const event = fresh ?? (await this.firstEvent(stored.outcome.duplicates[0]));
    // Both a first delivery and a redelivery answer 200 with the same reply: the work is done.
    const reply = await this.scenarios.replyFor(event, fresh !== undefined);
    res.status(200);
    // Parsing the stored JSON text and letting the framework serialise it again gives the same bytes.
    return JSON.parse(reply) as unknown;
  }

  /** The event a redelivery duplicates; gone only when older than the retention window. */
  private async firstEvent(id: string | undefined) {
    const event = id ? await this.events.get(id) : null;
    if (!event) throw new NotFoundException(`this delivery duplicates ${id ?? 'an event'} that is no longer stored (older than EVENT_RETENTION_SECONDS)`);
    return event;
  }
}
