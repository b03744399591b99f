import { DynamicModule, Module } from '@nestjs/common';
import { DeliveryModule } from '@hub/delivery';
import { ProcessRoles, providerModule } from '@hub/webhook-core';
import { WhatsAppAdapter } from './whatsapp.adapter';
import { WhatsAppController } from './whatsapp.controller';
import { WhatsAppWebhookTools } from './whatsapp-webhook.tools';

/** WhatsApp: `GET/POST /webhooks/whatsapp` (source `whatsapp`) and the seed's `whatsapp_webhook_*` MCP tools. */
@Module({})
export class WhatsAppModule {
  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(WhatsAppModule, roles, {
      imports: [DeliveryModule],
      controllers: [WhatsAppController],
      providers: [WhatsAppAdapter, WhatsAppWebhookTools],
      exports: [WhatsAppAdapter],
    });
  }
}
