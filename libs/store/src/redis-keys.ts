/**
 * Key names. Every key carries the hash tag `{<prefix>}` so the keys one Lua script touches share a
 * cluster slot; the same code then runs on Redis Cluster or a managed Redis.
 */
export class RedisKeys {
  readonly tag: string;

  constructor(readonly prefix: string) {
    this.tag = `{${prefix}}`;
  }

  /** The event stream: every accepted event, in arrival order. */
  eventStream(): string {
    return `${this.tag}:events`;
  }

  /** Event id -> stream entry id, so GET /events/:id is one lookup. */
  eventIndex(eventId: string): string {
    return `${this.tag}:event:${eventId}`;
  }

  /** Dedupe marker: holds the id of the first event seen with this key. */
  dedupe(source: string, dedupeKey: string): string {
    return `${this.tag}:dedupe:${source}:${dedupeKey}`;
  }

  /** Counters of one source for one hour (accepted, duplicates, rejected, type:<type>). */
  sourceStats(source: string, hourBucket: number): string {
    return `${this.tag}:stats:${source}:${hourBucket}`;
  }

  /** Stream entries that failed processing too often. */
  deadEventStream(): string {
    return `${this.tag}:events:dead`;
  }

  /** Pattern matching every key of this prefix (for tests and resets). */
  allKeysPattern(): string {
    return `${this.tag}:*`;
  }
}
