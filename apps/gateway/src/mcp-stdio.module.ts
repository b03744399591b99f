import { DynamicModule, Module } from '@nestjs/common';
import { ApprovalsModule } from '@hub/approvals';
import { HubConfig, HubConfigModule } from '@hub/config';
import { McpCoreModule } from '@hub/mcp';
import { ProvidersModule } from '@hub/providers';
import { StoreModule } from '@hub/store';
import { TOOLS_ONLY, WebhookCoreModule } from '@hub/webhook-core';
import { bullRootModule } from './hub.module';

/**
 * What the MCP tools need, without HTTP and without the worker: store, delivery queue producer,
 * provider adapters (list_sources, list_event_types) and the MCP core (tools, live notifications).
 */
@Module({})
export class McpStdioModule {
  static register(config: HubConfig): DynamicModule {
    return {
      module: McpStdioModule,
      imports: [HubConfigModule.forRoot(config), StoreModule, bullRootModule(), WebhookCoreModule, ApprovalsModule.register(TOOLS_ONLY), ProvidersModule.register(TOOLS_ONLY), McpCoreModule],
    };
  }
}
