import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type Redis from 'ioredis';
import { RedisKeys } from '@hub/store';

/** Messages kept per stream, and how long a silent session's streams live. */
const MAX_MESSAGES_PER_STREAM = 1_000;
const STREAM_TTL_SECONDS = 3_600;

/**
 * One session's resumable message log in Redis streams, so a client reconnecting with
 * Last-Event-ID gets what it missed — on the standalone GET stream too. Event ids carry their
 * stream id (`<base64url stream id>.<entry id>`), which is what getStreamIdForEventId needs and
 * what the SDK's example store gets wrong for `_GET_stream`.
 */
export class RedisEventStore implements EventStore {
  /** Streams this session wrote, so ending the session can drop them. */
  readonly streamIds = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly sessionId: string,
  ) {}

  /**
   * Stores the message and returns its event id. When Redis cannot take it, the message still goes
   * out live under an id that was not stored (a throw here would leave the client's request without
   * an answer forever); only a later resume misses it.
   */
  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const key = this.keys.mcpStream(this.sessionId, streamId);
    this.streamIds.add(streamId);
    let entryId: string;
    try {
      const [[error, stored]] = (await this.redis
        .multi()
        .xadd(key, 'MAXLEN', '~', MAX_MESSAGES_PER_STREAM, '*', 'm', JSON.stringify(message))
        .expire(key, STREAM_TTL_SECONDS)
        .exec()) as [[Error | null, string], unknown];
      if (error) throw error;
      entryId = stored;
    } catch {
      // Shaped like a stream id from this host's clock, so a resume from it still reads what came after.
      entryId = `${Date.now()}-${++this.unstored}`;
    }
    return `${Buffer.from(streamId).toString('base64url')}.${entryId}`;
  }

  /** Messages sent while Redis was unreachable (their ids were never stored). */
  private unstored = 0;

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return parseEventId(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const parsed = parseEventId(lastEventId);
    if (!parsed) throw new Error(`unknown event id ${lastEventId.slice(0, 80)}`);
    const key = this.keys.mcpStream(this.sessionId, parsed.streamId);
    const rows = (await this.redis.xrange(key, `(${parsed.entryId}`, '+')) as [string, string[]][];
    for (const [entryId, fields] of rows) {
      await send(`${Buffer.from(parsed.streamId).toString('base64url')}.${entryId}`, JSON.parse(fields[1]) as JSONRPCMessage);
    }
    return parsed.streamId;
  }

  /** Drops the session's streams (on DELETE or idle expiry). */
  async clear(): Promise<void> {
    const keys = [...this.streamIds].map((s) => this.keys.mcpStream(this.sessionId, s));
    if (keys.length) await this.redis.del(...keys);
  }
}

function parseEventId(eventId: string): { streamId: string; entryId: string } | undefined {
  const match = /^([A-Za-z0-9_-]{1,200})\.(\d{1,16}-\d{1,10})$/.exec(eventId);
  if (!match) return undefined;
  return { streamId: Buffer.from(match[1], 'base64url').toString('utf8'), entryId: match[2] };
}
