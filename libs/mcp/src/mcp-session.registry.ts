import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import { McpSession } from './mcp-session';

/** Sessions of this gateway process; expired after MCP_SESSION_IDLE_MS without requests or an open stream. */
@Injectable()
export class McpSessionRegistry implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(McpSessionRegistry.name);
  private readonly sessions = new Map<string, McpSession>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly config: HubConfig) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep(), Math.min(this.config.mcp.sessionIdleMs, 30_000));
    this.sweeper.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((s) => this.close(s)));
  }

  add(session: McpSession): void {
    this.sessions.set(session.id, session);
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  all(): McpSession[] {
    return [...this.sessions.values()];
  }

  get size(): number {
    return this.sessions.size;
  }

  remove(id: string): void {
    this.sessions.delete(id);
  }

  async close(session: McpSession): Promise<void> {
    this.sessions.delete(session.id);
    await session.server.close().catch(() => undefined);
    // An ended session cannot be resumed: drop its stored messages now instead of at their TTL.
    await session.eventStore?.clear().catch(() => undefined);
  }

  private async sweep(): Promise<void> {
    const cutoff = Date.now() - this.config.mcp.sessionIdleMs;
    for (const session of this.sessions.values()) {
      if (session.openStreams === 0 && session.lastActivity < cutoff) {
        this.logger.log(`closing idle MCP session ${session.id}`);
        await this.close(session);
      }
    }
  }
}
