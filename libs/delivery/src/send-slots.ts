/**
 * A counting semaphore, first come first served: bounds the attempts in flight in one process when a
 * batch job sends many deliveries at once (DELIVERY_CONCURRENCY per delivery shard, as when every job
 * was one delivery). Hand-written: the well-known limiters (p-limit, p-queue) are ESM-only, and this
 * hub is CommonJS.
 */
export class SendSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Runs `work` when a slot is free, and frees it when `work` settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next in line, or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }

  /** Attempts running now (for tests and metrics). */
  get inUse(): number {
    return this.size - this.free;
  }
}

/**
 * Runs `work` for every item, in order, with a window of parallel runs that starts at 1, doubles
 * after each success (up to `max`) and falls back to 1 after a failure: a batch to a healthy
 * endpoint is soon sent in parallel, while one to a failing endpoint goes one at a time. When `work`
 * throws, no further item starts; the promise rejects once the runs under way have ended.
 */
export async function forEachRamped<T>(items: T[], max: number, work: (item: T) => Promise<boolean>): Promise<void> {
  let window = 1;
  let next = 0;
  let running = 0;
  let failure: { error: unknown } | undefined;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (running === 0 && (failure || next >= items.length)) return failure ? reject(failure.error) : resolve();
      while (!failure && running < window && next < items.length) {
        const item = items[next++];
        running++;
        work(item).then(
          (ok) => {
            running--;
            window = ok ? Math.min(window * 2, max) : 1;
            pump();
          },
          (error: unknown) => {
            running--;
            failure ??= { error };
            pump();
          },
        );
      }
    };
    pump();
  });
}
