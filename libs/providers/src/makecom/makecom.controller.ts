import { Controller, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import { IngestService, StatusSettable, WebhookHttpRequest, WebhookIngress } from '@hub/webhook-core';
import { MAKECOM_SCENARIO_NAME } from './makecom.adapter';

/** One route per Make.com scenario, as the seed's `/api/webhook/make.com/chatgpt-clients`. */
@Controller('api/webhook/make.com')
export class MakeComController {
  constructor(private readonly ingest: IngestService) {}

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
    const reply = await this.ingest.ingest('makecom', scenario, req);
    res.status(reply.status);
    return reply.body;
  }
}
