import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { SourceRateLimitGuard } from './source-rate-limit.guard';
import { WebhookAuthGuard } from './webhook-auth.guard';
import { WEBHOOK_ROUTE, WEBHOOK_SOURCE } from './webhook-request';

/**
 * Marks a handler as the ingress route of a provider: rate limit per source (429), then
 * configuration (503), content type (415) and authentication (401) before the handler runs.
 */
export const WebhookIngress = (source: string, route = 'default') =>
  applyDecorators(
    SetMetadata(WEBHOOK_SOURCE, source),
    SetMetadata(WEBHOOK_ROUTE, route),
    UseGuards(SourceRateLimitGuard, WebhookAuthGuard),
  );

/** A provider's non-ingest route (e.g. a subscription handshake): rate limited per source only. */
export const WebhookHandshake = (source: string) =>
  applyDecorators(SetMetadata(WEBHOOK_SOURCE, source), UseGuards(SourceRateLimitGuard));
