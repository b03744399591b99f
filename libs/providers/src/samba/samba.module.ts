import { DynamicModule, Module } from '@nestjs/common';
import { ProcessRoles, providerModule } from '@hub/webhook-core';
import { DigitalSambaClient } from './digital-samba.client';
import { DigitalSambaAdapter } from './samba.adapter';
import { DigitalSambaController } from './samba.controller';
import { SambaWebhookTools } from './samba-webhook.tools';

/** Digital Samba: `POST /webhooks/digitalsamba` (source `digitalsamba`) and the seed's webhook MCP tools. */
@Module({})
export class SambaModule {
  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(SambaModule, roles, {
      controllers: [DigitalSambaController],
      providers: [DigitalSambaAdapter, DigitalSambaClient, SambaWebhookTools],
      exports: [DigitalSambaAdapter],
    });
  }
}
