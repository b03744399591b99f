import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { TypeMatcher, compileTypeGlob } from '@hub/store';
import type { RedisEventStore } from './redis-event-store';

/** One connected assistant: its own McpServer and transport (the SDK requires one per session) and its filters. */
export class McpSession {
  /** Type globs of subscribe_events; default every event, as the seed pushes everything. */
  patterns: string[] = ['*'];
  private compiled: TypeMatcher[] = [compileTypeGlob('*')];
  /** Resource URIs this session subscribed to (`hub://events/<source>`). */
  readonly resourceSubscriptions = new Set<string>();
  lastActivity = Date.now();
  /** Open standalone GET streams: a session listening for notifications is not idle. */
  openStreams = 0;

  constructor(
    readonly id: string,
    readonly server: McpServer,
    public transport: Transport | undefined,
    /**
     * Headers of the request that opened the session, lower-cased, without Authorization and Cookie:
     * tools read connection settings from them (a seed's API key header). Kept in memory only.
     */
    private readonly connectionHeaders: Record<string, string>,
    readonly eventStore?: RedisEventStore,
  ) {}

  setPatterns(patterns: string[]): void {
    this.patterns = patterns;
    this.compiled = patterns.map(compileTypeGlob);
  }

  wants(type: string): boolean {
    return this.compiled.some((p) => p.test(type));
  }

  connectionHeader(name: string): string | undefined {
    return this.connectionHeaders[name.toLowerCase()];
  }

  touch(): void {
    this.lastActivity = Date.now();
  }
}

const PRIVATE_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** The single-valued headers a session keeps (see McpSession.connectionHeaders). */
export function sessionHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && !PRIVATE_HEADERS.has(name)) kept[name] = value;
  }
  return kept;
}
