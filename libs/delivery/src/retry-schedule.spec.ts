import { DEFAULT_RETRY_SCHEDULE_SECONDS, nextRetryDelayMs, parseRetryAfter } from './retry-schedule';

describe('nextRetryDelayMs', () => {
  const at = (attemptsMade: number, random: number, retryAfterSeconds?: number) =>
    nextRetryDelayMs({ attemptsMade, schedule: DEFAULT_RETRY_SCHEDULE_SECONDS, random: () => random, retryAfterSeconds });

  it('follows the default schedule with ±20 % jitter', () => {
    expect(at(1, 0.5)).toBe(5_000);
    expect(at(1, 0)).toBe(4_000);
    expect(at(1, 0.999999)).toBe(6_000);
    expect(at(2, 0.5)).toBe(300_000);
    expect(at(7, 0.5)).toBe(36_000_000);
  });

  it('ends after the last scheduled attempt', () => {
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS).toHaveLength(7);
    expect(at(8, 0.5)).toBeNull();
  });

  it('honours Retry-After clamped to [delay, 2 × delay]', () => {
    expect(at(1, 0.5, 8)).toBe(8_000);
    expect(at(1, 0.5, 1)).toBe(5_000);
    expect(at(1, 0.5, 3600)).toBe(10_000);
    expect(nextRetryDelayMs({ attemptsMade: 1, schedule: [0, 0], retryAfterSeconds: 30 })).toBe(2_000);
    expect(nextRetryDelayMs({ attemptsMade: 3, schedule: [1, 3, 10], random: () => 0.5 })).toBe(10_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT'))).toBe(60);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
