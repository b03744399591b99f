import { performance } from 'node:perf_hooks';

/**
 * The delivery bodies a process keeps in memory, bounded by size and age, for a delivery queue that
 * is consumed oldest first.
 *
 * - Fan-out announces each body once per delivery it planned here (`expect`); each of those reads
 *   (`take`) counts down, and the last one drops the body. A read that never comes here (the delivery
 *   was cancelled or done already, or another worker took its job) leaves the body until it is evicted
 *   or ages out.
 * - A body read from Redis (`keep`: a retry, or a delivery another process planned) is kept apart,
 *   without a count, so the other deliveries of one event to many endpoints read Redis once. These go
 *   first when room is needed: a replay or a retry wave reads each body once and must not lock fan-out
 *   out of the cache.
 * - When the cache is full, the oldest planned bodies go only once they are older than `protectMs`;
 *   younger ones are not evicted, and a new body finds no room instead. Deliveries go out oldest first,
 *   so under a backlog the bodies kept are the ones needed next. (Least-recently-used eviction did the
 *   opposite: each new body pushed out the oldest, which was the next to be sent, so past the cache's
 *   size every read went to Redis, and each read pushed out the next one.)
 * - Anything older than `maxAgeMs` goes at the next call.
 *
 * The bound counts the bodies' string lengths (UTF-16 code units), not their keys or the maps' own
 * overhead, which a heap snapshot puts at about a quarter more.
 */
export class BodyCache {
  private readonly planned = new Map<string, Entry>();
  private readonly kept = new Map<string, Entry>();
  private length = 0;

  constructor(
    /** maxEntryLength: a longer body is never kept (one large body must not empty the cache). */
    private readonly options: { maxLength: number; maxEntryLength: number; maxAgeMs: number; protectMs: number },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** One more delivery planned here will read this body. */
  expect(key: string, body: string): void {
    const now = this.prune();
    const entry = this.planned.get(key);
    if (entry) {
      entry.reads++;
      return;
    }
    if (this.kept.has(key)) this.drop(this.kept, key);
    if (!this.makeRoom(body.length, now, true)) return;
    this.planned.set(key, { body, reads: 1, at: now });
    this.length += body.length;
  }

  /** A body read from Redis: kept, if room can be made among the other such bodies, until it ages out. */
  keep(key: string, body: string): void {
    const now = this.prune();
    if (this.planned.has(key) || this.kept.has(key) || !this.makeRoom(body.length, now, false)) return;
    this.kept.set(key, { body, reads: 0, at: now });
    this.length += body.length;
  }

  /** The body, counting the read of a planned one (its last read drops it). */
  take(key: string): string | undefined {
    this.prune();
    const planned = this.planned.get(key);
    if (planned) {
      if (--planned.reads <= 0) this.drop(this.planned, key);
      return planned.body;
    }
    return this.kept.get(key)?.body;
  }

  get size(): { planned: number; kept: number; length: number } {
    return { planned: this.planned.size, kept: this.kept.size, length: this.length };
  }

  /** Drops what is older than maxAgeMs, and answers the time. */
  private prune(): number {
    const now = this.now();
    this.pruneMap(this.planned, now);
    this.pruneMap(this.kept, now);
    return now;
  }

  /** Each map is in insertion order, so the oldest are first. */
  private pruneMap(map: Map<string, Entry>, now: number): void {
    for (const [key, entry] of map) {
      if (now - entry.at < this.options.maxAgeMs) return;
      this.drop(map, key);
    }
  }

  /** Evicts bodies read from Redis, then (for a planned body) planned ones past protectMs, oldest first. */
  private makeRoom(length: number, now: number, forPlanned: boolean): boolean {
    if (length > this.options.maxEntryLength) return false;
    for (const [key] of this.kept) {
      if (this.length + length <= this.options.maxLength) break;
      this.drop(this.kept, key);
    }
    if (forPlanned) {
      for (const [key, entry] of this.planned) {
        if (this.length + length <= this.options.maxLength || now - entry.at < this.options.protectMs) break;
        this.drop(this.planned, key);
      }
    }
    return this.length + length <= this.options.maxLength;
  }

  private drop(map: Map<string, Entry>, key: string): void {
    const entry = map.get(key);
    if (!entry) return;
    map.delete(key);
    this.length -= entry.body.length;
  }
}

interface Entry {
  body: string;
  /** Reads still expected (planned bodies only). */
  reads: number;
  at: number;
}
