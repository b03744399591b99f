/**
 * The delivery bodies a process keeps in memory, bounded by size and age, for a delivery queue that
 * is consumed oldest first.
 *
 * - Fan-out announces each body once per delivery it planned here (`expect`); each of those reads
 *   (`take`) counts down, and the last one drops the body. A process that is not lagging keeps only
 *   the bodies of deliveries in flight.
 * - When the cache is full, new bodies are not kept, and nothing is evicted to make room. Deliveries go
 *   out oldest first, so under a backlog larger than the cache the bodies kept are the ones needed
 *   next. (Least-recently-used eviction did the opposite: each new body pushed out the oldest, which
 *   was the next to be sent, so past the cache's size every read went to Redis, and each read pushed
 *   out the next one.)
 * - A body read from Redis (`keep`: a retry, or a delivery another process planned) is kept while
 *   there is room, without a count, so the other deliveries of one event to many endpoints read
 *   Redis once.
 * - Anything older than `maxAgeMs` goes, so bodies whose deliveries another worker took (or that a
 *   gateway stored for a replay) do not hold the space.
 */
export class BodyCache {
  private readonly entries = new Map<string, { body: string; reads: number; at: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** One more delivery planned here will read this body. */
  expect(key: string, body: string): void {
    const entry = this.entries.get(key);
    if (entry) {
      if (Number.isFinite(entry.reads)) entry.reads++;
      return;
    }
    this.add(key, body, 1);
  }

  /** A body read from Redis: kept, if there is room, until it ages out. */
  keep(key: string, body: string): void {
    if (!this.entries.has(key)) this.add(key, body, Infinity);
  }

  /** The body, counting the read; the last expected read drops it. */
  take(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (--entry.reads <= 0) this.drop(key, entry.body);
    return entry.body;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private add(key: string, body: string, reads: number): void {
    const now = this.now();
    // The map's order is insertion order, so the oldest are first.
    for (const [oldest, entry] of this.entries) {
      if (now - entry.at < this.maxAgeMs) break;
      this.drop(oldest, entry.body);
    }
    if (this.bytes + body.length > this.maxBytes) return;
    this.entries.set(key, { body, reads, at: now });
    this.bytes += body.length;
  }

  private drop(key: string, body: string): void {
    this.entries.delete(key);
    this.bytes -= body.length;
  }
}
