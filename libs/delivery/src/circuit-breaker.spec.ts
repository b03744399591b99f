import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  const settings = { minRequests: 4, failureRatePercent: 75, windowMs: 10_000, cooldownMs: 1_000, tripsToDisable: 2 };

  it('opens once enough attempts in the window failed, then closes after the cooldown', () => {
    const breaker = new CircuitBreaker(settings);
    expect(['ok', 'ok', 'ok'].map(() => breaker.record('e', false, 0))).toEqual(['ok', 'ok', 'ok']);
    expect(breaker.check('e', 0)).toEqual({ open: false });
    expect(breaker.record('e', false, 10)).toBe('tripped');
    expect(breaker.check('e', 500)).toEqual({ open: true, retryInMs: 510 });
    expect(breaker.check('e', 1_010)).toEqual({ open: false });
  });

  it('stays closed below the failure rate and for other endpoints', () => {
    const breaker = new CircuitBreaker(settings);
    [false, true, false, true, false].forEach((ok) => breaker.record('e', ok, 0));
    expect(breaker.check('e', 1)).toEqual({ open: false });
    expect(breaker.check('other', 1)).toEqual({ open: false });
  });

  it('asks to disable after repeated trips with no success between', () => {
    const breaker = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) breaker.record('e', false, 0);
    expect(breaker.record('e', false, 0)).toBe('tripped');
    for (let i = 0; i < 3; i++) breaker.record('e', false, 2_000);
    expect(breaker.record('e', false, 2_000)).toBe('disable');
  });

  it('forgets trips after a success', () => {
    const breaker = new CircuitBreaker(settings);
    for (let i = 0; i < 4; i++) breaker.record('e', false, 0);
    breaker.record('e', true, 2_000);
    // 1 success + 3 failures = 75 %: a first trip again, not the second that disables.
    expect([1, 2, 3].map(() => breaker.record('e', false, 2_000))).toEqual(['ok', 'ok', 'tripped']);
  });
});
