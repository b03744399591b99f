import { Module } from '@nestjs/common';
import { ErrorShapes } from '@hub/webhook-core';
import { toJsonRpcError } from './json-rpc-errors';
import { DiscoveryModule } from '@nestjs/core';
import { DeliveryModule } from '@hub/delivery';
import { LiveEventsListener } from './live-events.listener';
import { McpAccessGuard } from './mcp-access.guard';
import { McpController } from './mcp.controller';
import { McpServerFactory } from './mcp-server.factory';
import { McpSessionRegistry } from './mcp-session.registry';
import { McpToolsets } from './mcp-toolset';
import { HubTools } from './tools/hub.tools';

/**
 * Sessions, the hub's tools, resources and live notifications, without a transport (HTTP or stdio
 * adds one). Provider modules contribute their own tools with @McpTools().
 */
@Module({
  imports: [DeliveryModule, DiscoveryModule],
  providers: [McpSessionRegistry, LiveEventsListener, McpServerFactory, McpToolsets, HubTools],
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
