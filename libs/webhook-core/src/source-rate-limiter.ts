export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface WindowState {
  window: number;
  current: number;
  previous: number;
}

/**
 * Sliding-window counter per key (a source): O(1) per hit and two numbers per key. Replaces
 * @nestjs/throttler's in-memory storage, which keeps one timestamp per hit and prunes them on every
 * request (10 % of ingress CPU in the benchmark at a high limit).
 */
export class SourceRateLimiter {
  private readonly windows = new Map<string, WindowState>();
  private hits = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  hit(key: string, now: number = Date.now()): RateDecision {
    const window = Math.floor(now / this.windowMs);
    // Keys are (source, client address): drop the ones quiet for two windows, so the map stays bounded.
    if (++this.hits % 10_000 === 0) for (const [k, s] of this.windows) if (s.window < window - 1) this.windows.delete(k);
    let state = this.windows.get(key);
    if (!state) {
      state = { window, current: 0, previous: 0 };
      this.windows.set(key, state);
    } else if (state.window !== window) {
      state.previous = state.window === window - 1 ? state.current : 0;
      state.current = 0;
      state.window = window;
    }
    const intoWindow = (now % this.windowMs) / this.windowMs;
    const estimate = state.previous * (1 - intoWindow) + state.current;
    if (estimate >= this.limit) {
      const untilNextWindow = this.windowMs - (now % this.windowMs);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(untilNextWindow / 1000)) };
    }
    state.current++;
    return { allowed: true };
  }

  /** Keys tracked right now (bounded by the sweep). */
  get size(): number {
    return this.windows.size;
  }
}
