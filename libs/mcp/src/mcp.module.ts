import { Module } from '@nestjs/common';
import { ErrorShapes } from '@hub/webhook-core';
import { toJsonRpcError } from './json-rpc-errors';
import { DeliveryModule } from '@hub/delivery';
import { DigitalSambaClient } from './digital-samba.client';
import { LiveEventsListener } from './live-events.listener';
import { McpAccessGuard } from './mcp-access.guard';
import { McpController } from './mcp.controller';
import { McpServerFactory } from './mcp-server.factory';
import { McpSessionRegistry } from './mcp-session.registry';
import { DigitalSambaSeedTools } from './tools/digital-samba-seed.tools';
import { HubTools } from './tools/hub.tools';
import { WhatsAppSeedTools } from './tools/whatsapp-seed.tools';

/** Sessions, tools, resources and live notifications, without a transport (HTTP or stdio adds one). */
@Module({
  imports: [DeliveryModule],
  providers: [McpSessionRegistry, LiveEventsListener, McpServerFactory, HubTools, WhatsAppSeedTools, DigitalSambaSeedTools, DigitalSambaClient],
  exports: [McpSessionRegistry, LiveEventsListener, McpServerFactory],
})
export class McpCoreModule {}

/** The MCP server at /mcp (Streamable HTTP), for the gateway. */
@Module({
  imports: [McpCoreModule],
  controllers: [McpController],
  providers: [McpAccessGuard],
})
export class McpHttpModule {
  constructor(errorShapes: ErrorShapes) {
    // Every error at /mcp, also from body parsing and guards, reaches the client as JSON-RPC.
    errorShapes.register('/mcp', toJsonRpcError);
  }
}
