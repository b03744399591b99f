import { Controller, Get, Header, Post, Req, Res } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import { IngressStatsRepository } from '@hub/store';
import { IngestService, StatusSettable, WebhookHandshake, WebhookHttpRequest, WebhookIngress } from '@hub/webhook-core';
import { TavusAdapter } from './tavus.adapter';
import { TAVUS_TOOL_CALL_TYPES } from './tavus-event-types';
import { TavusAnalytics, TavusConversationsService } from './tavus-conversations.service';

/** The seed document's monitoring view, counts only. */
export interface TavusWebhookStatus {
  status: 'healthy' | 'not_configured';
  /** Where to point Tavus `callback_url`; never includes the token. */
  webhook_url: string;
  /** True when TAVUS_WEBHOOK_TOKEN is set: unsigned senders (Tavus itself) must append `?t=<token>`. */
  token_required: boolean;
  /** True when TAVUS_WEBHOOK_SECRET is set: `x-tavus-signature` is accepted. */
  signature_accepted: boolean;
  last_24h: {
    total_events: number;
    successful_events: number;
    failed_events: number;
    duplicate_events: number;
    tool_calls: number;
  };
  /** The document's analytics of the last 24 h, from the conversation read models. */
  analytics: TavusAnalytics;
  /** Seconds this process has been running. */
  uptime: number;
}

@Controller('api/tavus/webhook')
export class TavusController {
  constructor(
    private readonly ingest: IngestService,
    private readonly stats: IngressStatsRepository,
    private readonly adapter: TavusAdapter,
    private readonly config: HubConfig,
    private readonly conversations: TavusConversationsService,
  ) {}

  @Post()
  @WebhookIngress('tavus')
  async receive(
    @Req() req: WebhookHttpRequest,
    @Res({ passthrough: true }) res: StatusSettable,
  ): Promise<unknown> {
    const reply = await this.ingest.ingest('tavus', 'default', req);
    res.status(reply.status);
    return reply.body;
  }

  /**
   * Public like the document's: it shows counts only, never a credential. Rate limited with the
   * source; a store outage propagates and the error filter answers 503.
   */
  @Get()
  @WebhookHandshake('tavus')
  @Header('Cache-Control', 'no-store')
  async status(): Promise<TavusWebhookStatus> {
    const [{ accepted, duplicates, rejected, byType }, analytics] = await Promise.all([this.stats.summary('tavus', 24), this.conversations.analytics()]);
    const { secrets, tokens } = this.config.tavus;
    return {
      status: this.adapter.isConfigured() ? 'healthy' : 'not_configured',
      webhook_url: `${this.config.publicUrl}/api/tavus/webhook`,
      token_required: tokens.length > 0,
      signature_accepted: secrets.length > 0,
      last_24h: {
        total_events: accepted + duplicates + rejected,
        successful_events: accepted,
        failed_events: rejected,
        duplicate_events: duplicates,
        tool_calls: TAVUS_TOOL_CALL_TYPES.reduce((sum, type) => sum + (byType[type] ?? 0), 0),
      },
      analytics,
      uptime: Math.round(process.uptime()),
    };
  }
}
