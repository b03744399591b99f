import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { DomainEvent } from '@hub/store';
import type { McpSession } from './mcp-session';

/** A notification beyond the hub's own (`notifications/message`, resource updates), e.g. a seed's custom method. */
export interface McpNotification {
  method: string;
  params: Record<string, unknown>;
}

/**
 * Tools a module contributes to every MCP session (provider modules add their seeds' tools this
 * way; libs/mcp names no provider). Registered once per session, on the session's own McpServer.
 */
export interface McpToolset {
  register(server: McpServer, session: McpSession): void;
  /** Extra notifications an event causes for a session whose filter it matches. */
  notificationsFor?(event: DomainEvent): McpNotification[];
}

/** Marks a provider as an McpToolset; found by discovery in whatever modules the process loads. */
export const McpTools = DiscoveryService.createDecorator<void>();

/** Every contributed toolset, read lazily: sessions open after boot, when every provider exists. */
@Injectable()
export class McpToolsets {
  private cached?: McpToolset[];

  constructor(private readonly discovery: DiscoveryService) {}

  all(): McpToolset[] {
    this.cached ??= [
      ...new Set(
        this.discovery
          .getProviders({ metadataKey: McpTools.KEY })
          .map((wrapper) => wrapper.instance as McpToolset | undefined)
          .filter((toolset): toolset is McpToolset => typeof toolset?.register === 'function'),
      ),
    ];
    return this.cached;
  }
}
