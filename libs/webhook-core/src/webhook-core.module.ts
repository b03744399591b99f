import { Global, Module } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { AdminTokenGuard } from './admin-token.guard';
import { ErrorShapes } from './error-shapes';
import { HubExceptionFilter } from './hub-exception.filter';
import { IngestService } from './ingest.service';
import { ProviderRegistry } from './provider-registry';
import { SourceRateLimitGuard } from './source-rate-limit.guard';
import { WebhookAuthGuard } from './webhook-auth.guard';

/** The provider-independent half of ingress: guards, registry, ingest and the error filter. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    ProviderRegistry,
    IngestService,
    SourceRateLimitGuard,
    WebhookAuthGuard,
    AdminTokenGuard,
    ErrorShapes,
    HubExceptionFilter,
    // The app's filter, and the one instance the lean ingress handler hands its errors to.
    { provide: APP_FILTER, useExisting: HubExceptionFilter },
  ],
  exports: [ProviderRegistry, IngestService, SourceRateLimitGuard, WebhookAuthGuard, AdminTokenGuard, ErrorShapes, HubExceptionFilter],
})
export class WebhookCoreModule {}
