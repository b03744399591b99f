/**
 * Waits before each retry, in seconds, after an immediate first attempt: 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 10 h (Svix's schedule; 8 attempts over about 27.6 h). A subscription may set its own
 * (the WhatsApp seed's [1, 3, 10]).
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];

export const JITTER = 0.2;

export interface RetryDecisionInput {
  /** Attempts already made (1 after the first failure). */
  attemptsMade: number;
  /** Waits before each retry in seconds; entry i is the wait before attempt i + 2. */
  schedule: readonly number[];
  /** Seconds the receiver asked for with Retry-After (429/503), if any. */
  retryAfterSeconds?: number;
  /** Random in [0, 1); injectable for tests. */
  random?: () => number;
}

/**
 * Milliseconds to wait before the next attempt, or null when the schedule is exhausted. Each delay
 * gets ±20 % jitter so failing receivers are not hit in lockstep; a Retry-After is honoured but
 * clamped to [scheduled delay, 2 × scheduled delay] (Svix's rule), so a receiver can slow retries
 * down, not stop them or speed them up.
 */
export function nextRetryDelayMs(input: RetryDecisionInput): number | null {
  const { attemptsMade, schedule } = input;
  if (attemptsMade < 1 || attemptsMade > schedule.length) return null;
  const base = schedule[attemptsMade - 1];
  const random = input.random ?? Math.random;
  let seconds = base * (1 - JITTER + 2 * JITTER * random());
  if (input.retryAfterSeconds !== undefined && input.retryAfterSeconds > 0) {
    const floor = Math.max(base, 1);
    seconds = Math.min(Math.max(input.retryAfterSeconds, floor), 2 * floor);
  }
  return Math.round(seconds * 1000);
}

/** Parses Retry-After: delta seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
