import { Controller, Post, Req, Res } from '@nestjs/common';
import { IngestService, StatusSettable, WebhookHttpRequest, WebhookIngress } from '@hub/webhook-core';

/** The URL given to the Bot API's setWebhook. Telegram treats any 2XY as delivered. */
@Controller('webhooks/telegram')
export class TelegramBotController {
  constructor(private readonly ingest: IngestService) {}

  @Post()
  @WebhookIngress('telegram')
  async receive(@Req() req: WebhookHttpRequest, @Res({ passthrough: true }) res: StatusSettable): Promise<unknown> {
    const reply = await this.ingest.ingest('telegram', 'default', req);
    res.status(reply.status);
    return reply.body;
  }
}
