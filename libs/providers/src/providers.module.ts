import { DynamicModule, Module } from '@nestjs/common';
import { ProcessRoles } from '@hub/webhook-core';
import { MakeComModule } from './makecom/makecom.module';
import { SambaModule } from './samba/samba.module';
import { TavusModule } from './tavus/tavus.module';
import { TelegramBridgeModule } from './telegram-bridge/telegram-bridge.module';
import { WhatsAppModule } from './whatsapp/whatsapp.module';

/**
 * Every provider, each its own module plugged into the webhook core: adapters and MCP tools in every
 * process, routes where the gateway runs, stream handlers where the worker runs.
 */
@Module({})
export class ProvidersModule {
  static register(roles: ProcessRoles): DynamicModule {
    return {
      module: ProvidersModule,
      imports: [SambaModule, MakeComModule, TavusModule, WhatsAppModule, TelegramBridgeModule].map((m) => m.register(roles)),
    };
  }
}
