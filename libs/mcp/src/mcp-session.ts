import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { compileTypeGlob } from '@hub/store';
import type { RedisEventStore } from './redis-event-store';

/** One connected assistant: its own McpServer and transport (the SDK requires one per session) and its filters. */
export class McpSession {
  /** Type globs of subscribe_events; default every event, as the seed pushes everything. */
  patterns: string[] = ['*'];
  private compiled: RegExp[] = [compileTypeGlob('*')];
  /** Resource URIs this session subscribed to (`hub://events/<source>`). */
  readonly resourceSubscriptions = new Set<string>();
  lastActivity = Date.now();
  /** Open standalone GET streams: a session listening for notifications is not idle. */
  openStreams = 0;

  constructor(
    readonly id: string,
    readonly server: McpServer,
    public transport: Transport | undefined,
    /** X-DigitalSamba-Api-Key of the connection, for the Digital Samba tools; kept in memory only. */
    readonly digitalSambaApiKey: string | undefined,
    readonly eventStore?: RedisEventStore,
  ) {}

  setPatterns(patterns: string[]): void {
    this.patterns = patterns;
    this.compiled = patterns.map(compileTypeGlob);
  }

  wants(type: string): boolean {
    return this.compiled.some((p) => p.test(type));
  }

  touch(): void {
    this.lastActivity = Date.now();
  }
}
