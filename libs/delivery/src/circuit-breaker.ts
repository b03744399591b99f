export interface CircuitSettings {
  minRequests: number;
  failureRatePercent: number;
  windowMs: number;
  cooldownMs: number;
  tripsToDisable: number;
}

interface EndpointWindow {
  start: number;
  requests: number;
  failures: number;
  openUntil: number;
  /** Trips since the last success. */
  trips: number;
}

export type CircuitVerdict = { open: false } | { open: true; retryInMs: number };

/**
 * A fast breaker per endpoint, in process memory: when a window holds at least `minRequests`
 * attempts of which `failureRatePercent` failed, deliveries to that endpoint pause for `cooldownMs`
 * (jobs wait without using up attempts). `tripsToDisable` trips without a success in between tell
 * the caller to disable the endpoint. Per worker on purpose: it reacts in milliseconds and needs no
 * Redis round trip; the failure clock in Redis is the slow, shared judgement.
 */
export class CircuitBreaker {
  private readonly windows = new Map<string, EndpointWindow>();

  constructor(private readonly settings: CircuitSettings) {}

  check(key: string, now: number = Date.now()): CircuitVerdict {
    const w = this.windows.get(key);
    return w && w.openUntil > now ? { open: true, retryInMs: w.openUntil - now } : { open: false };
  }

  /** Records an attempt's outcome; returns 'tripped' or 'disable' when the breaker opens. */
  record(key: string, success: boolean, now: number = Date.now()): 'ok' | 'tripped' | 'disable' {
    let w = this.windows.get(key);
    if (!w || now - w.start > this.settings.windowMs) {
      w = { start: now, requests: 0, failures: 0, openUntil: w?.openUntil ?? 0, trips: w?.trips ?? 0 };
      this.windows.set(key, w);
    }
    w.requests++;
    if (success) {
      w.trips = 0;
      return 'ok';
    }
    w.failures++;
    if (w.openUntil > now) return 'ok';
    if (w.requests >= this.settings.minRequests && (w.failures * 100) / w.requests >= this.settings.failureRatePercent) {
      w.openUntil = now + this.settings.cooldownMs;
      w.trips++;
      w.start = now;
      w.requests = 0;
      w.failures = 0;
      return w.trips >= this.settings.tripsToDisable ? 'disable' : 'tripped';
    }
    return 'ok';
  }

  forget(key: string): void {
    this.windows.delete(key);
  }
}
