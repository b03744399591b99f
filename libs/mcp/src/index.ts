export { LiveEventsListener, notifySession } from './live-events.listener';
export { McpCoreModule, McpHttpModule } from './mcp.module';
export { McpServerFactory } from './mcp-server.factory';
export { McpSession } from './mcp-session';
export { McpSessionRegistry } from './mcp-session.registry';
export { RedisEventStore } from './redis-event-store';
