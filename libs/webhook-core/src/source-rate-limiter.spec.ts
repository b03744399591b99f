import { SourceRateLimiter } from './source-rate-limiter';

describe('SourceRateLimiter', () => {
  it('allows the limit per window and per key, then refuses with Retry-After', () => {
    const limiter = new SourceRateLimiter(3, 60_000);
    const t0 = 6_000_000; // the start of a window
    expect([1, 2, 3].map(() => limiter.hit('whatsapp', t0).allowed)).toEqual([true, true, true]);
    expect(limiter.hit('whatsapp', t0 + 1_000)).toEqual({ allowed: false, retryAfterSeconds: 59 });
    expect(limiter.hit('tavus', t0 + 1_000).allowed).toBe(true);
  });

  it('weighs the previous window as it slides out', () => {
    const limiter = new SourceRateLimiter(4, 1_000);
    for (let i = 0; i < 4; i++) limiter.hit('k', 10_000);
    // Half-way into the next window half of the previous 4 still count: two more fit.
    expect(limiter.hit('k', 11_500).allowed).toBe(true);
    expect(limiter.hit('k', 11_500).allowed).toBe(true);
    expect(limiter.hit('k', 11_500).allowed).toBe(false);
    // Two windows later the old hits are gone.
    expect(limiter.hit('k', 13_000).allowed).toBe(true);
  });

  it('forgets keys quiet for two windows, so many client addresses cannot grow it without bound', () => {
    const limiter = new SourceRateLimiter(5, 1_000);
    for (let i = 0; i < 9_999; i++) limiter.hit(`whatsapp|10.0.${i >> 8}.${i & 255}`, 10_000);
    expect(limiter.size).toBe(9_999);
    limiter.hit('whatsapp|10.9.9.9', 13_000);
    expect(limiter.size).toBe(1);
  });
});
