import { Controller, Post, Req, Res } from '@nestjs/common';
import { IngestService, StatusSettable, WebhookHttpRequest, WebhookIngress } from '@hub/webhook-core';

/** The seed document's endpoint (`WEBHOOK_ENDPOINT` default), also the one to register with the platform. */
@Controller('webhooks/digitalsamba')
export class DigitalSambaController {
  constructor(private readonly ingest: IngestService) {}

  @Post()
  @WebhookIngress('digitalsamba')
  async receive(@Req() req: WebhookHttpRequest, @Res({ passthrough: true }) res: StatusSettable): Promise<unknown> {
    const reply = await this.ingest.ingest('digitalsamba', 'default', req);
    res.status(reply.status);
    return reply.body;
  }
}
