import { Controller, Post, Req, Res } from '@nestjs/common';
import { IngestService, StatusSettable, WebhookHttpRequest, WebhookIngress } from '@hub/webhook-core';
import { CcTelegramRoute } from './cctelegram-event-types';

/**
 * The three receiver routes of the CCTelegram bridge document. Each passes its own route key, so the
 * adapter can insist on the matching webhook_type. A response's decision (an approval) and a health
 * report's alert are made by the worker from the stored event.
 */
@Controller('webhook')
export class CcTelegramController {
  constructor(private readonly ingest: IngestService) {}

  @Post('events')
  @WebhookIngress('cctelegram', 'events')
  events(@Req() req: WebhookHttpRequest, @Res({ passthrough: true }) res: StatusSettable): Promise<unknown> {
    return this.receive('events', req, res);
  }

  @Post('responses')
  @WebhookIngress('cctelegram', 'responses')
  responses(@Req() req: WebhookHttpRequest, @Res({ passthrough: true }) res: StatusSettable): Promise<unknown> {
    return this.receive('responses', req, res);
  }

  @Post('health')
  @WebhookIngress('cctelegram', 'health')
  health(@Req() req: WebhookHttpRequest, @Res({ passthrough: true }) res: StatusSettable): Promise<unknown> {
    return this.receive('health', req, res);
  }

  /**
   * The document's answers, 200 `{"status": "received"}` (events, health) or `{"status": "processed"}`
   * (responses), with the stored event ids beside them (`accepted`, `duplicates`).
   */
  private async receive(route: CcTelegramRoute, req: WebhookHttpRequest, res: StatusSettable): Promise<unknown> {
    const reply = await this.ingest.ingest('cctelegram', route, req);
    res.status(200);
    return { status: route === 'responses' ? 'processed' : 'received', ...reply.outcome };
  }
}
