export { LiveEventsListener, notifySession } from './live-events.listener';
export { McpCoreModule, McpHttpModule } from './mcp.module';
export { McpServerFactory } from './mcp-server.factory';
export { McpSessionRegistry } from './mcp-session.registry';
export { RedisEventStore } from './redis-event-store';
export * from './mcp-toolset';
export { McpSession, sessionHeaders } from './mcp-session';
export { ToolInputError, fail, ok, run } from './tool-result';
