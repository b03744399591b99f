import {
  BadRequestException,
  Controller,
  ForbiddenException,
  Get,
  Header,
  Post,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HubConfig } from '@hub/config';
import {
  IngestService,
  StatusSettable,
  WebhookHttpRequest,
  WebhookHandshake,
  WebhookIngress,
  matchesAnyToken,
} from '@hub/webhook-core';

const CHALLENGE = /^[A-Za-z0-9_-]{1,256}$/;

@Controller('webhooks/whatsapp')
export class WhatsAppController {
  constructor(
    private readonly ingest: IngestService,
    private readonly config: HubConfig,
  ) {}

  /** Meta's subscription handshake: echo hub.challenge when hub.verify_token matches. */
  @Get()
  @WebhookHandshake('whatsapp')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  handshake(@Query() query: Record<string, unknown>): string {
    const tokens = this.config.whatsapp.verifyTokens;
    if (tokens.length === 0) throw new ServiceUnavailableException('provider not configured: set WHATSAPP_VERIFY_TOKEN');
    const mode = query['hub.mode'];
    const challenge = query['hub.challenge'];
    if (mode !== 'subscribe') throw new ForbiddenException('hub.mode must be "subscribe"');
    if (!matchesAnyToken(query['hub.verify_token'] as string | undefined, tokens)) {
      throw new ForbiddenException('hub.verify_token does not match');
    }
    if (typeof challenge !== 'string' || !CHALLENGE.test(challenge)) {
      throw new BadRequestException('hub.challenge is missing or not 1-256 characters of [A-Za-z0-9_-]');
    }
    return challenge;
  }

  @Post()
  @WebhookIngress('whatsapp')
  async receive(
    @Req() req: WebhookHttpRequest,
    @Res({ passthrough: true }) res: StatusSettable,
  ): Promise<unknown> {
    const reply = await this.ingest.ingest('whatsapp', 'default', req);
    res.status(reply.status);
    return reply.body;
  }
}
