import { BodyCache } from './body-cache';

describe('BodyCache', () => {
  let now = 0;
  const cache = (maxLength = 100, maxEntryLength = maxLength) => new BodyCache({ maxLength, maxEntryLength, maxAgeMs: 1_000, protectMs: 100 }, () => now);
  beforeEach(() => (now = 0));

  it('drops a planned body with its last expected read', () => {
    const c = cache();
    c.expect('k', 'body');
    c.expect('k', 'body');
    expect(c.take('k')).toBe('body');
    expect(c.size).toEqual({ planned: 1, kept: 0, length: 4 });
    expect(c.take('k')).toBe('body');
    expect(c.take('k')).toBeUndefined();
    expect(c.size).toEqual({ planned: 0, kept: 0, length: 0 });
  });

  it('keeps young planned bodies when full, so a backlog sent oldest first finds the next ones', () => {
    const c = cache(10);
    c.expect('a', 'xxxx');
    c.expect('b', 'yyyy');
    c.expect('c', 'zzzz'); // no room, and a and b are too young to give way
    expect(c.take('a')).toBe('xxxx');
    expect(c.take('b')).toBe('yyyy');
    expect(c.take('c')).toBeUndefined();
    c.expect('d', 'wwww'); // room again once the first ones were sent
    expect(c.take('d')).toBe('wwww');
  });

  it('lets the oldest planned bodies give way once past protectMs (their reads may never come here)', () => {
    const c = cache(8);
    c.expect('a', 'xxxx');
    c.expect('b', 'yyyy');
    now = 150;
    c.expect('c', 'zzzz'); // a is past protectMs: it goes, b stays
    expect(c.take('a')).toBeUndefined();
    expect(c.take('b')).toBe('yyyy');
    expect(c.take('c')).toBe('zzzz');
  });

  it('keeps a body read from Redis however often it is read, and lets it go first for a planned body', () => {
    const c = cache(8);
    c.keep('r1', 'rrrr');
    c.keep('r2', 'ssss');
    for (let i = 0; i < 3; i++) expect(c.take('r1')).toBe('rrrr');
    c.keep('r3', 'tttt'); // room among the read ones: the oldest of them goes
    expect(c.take('r1')).toBeUndefined();
    c.expect('p', 'pppp'); // a planned body evicts read ones, however young
    expect(c.size).toEqual({ planned: 1, kept: 1, length: 8 });
    expect(c.take('p')).toBe('pppp');
    c.expect('q', 'qqqq');
    c.expect('q2', 'qqqq');
    c.keep('r4', 'uuuu'); // never evicts a planned body
    expect(c.take('r4')).toBeUndefined();
  });

  it('ages everything out after maxAgeMs, at whatever call comes next', () => {
    const c = cache();
    c.expect('a', 'xxxx');
    c.keep('b', 'yyyy');
    now = 1_000;
    expect(c.take('a')).toBeUndefined();
    expect(c.take('b')).toBeUndefined();
    expect(c.size).toEqual({ planned: 0, kept: 0, length: 0 });
  });

  it('refuses a body longer than maxEntryLength, evicting nothing for it', () => {
    const c = cache(12, 3);
    c.keep('r', 'rrr');
    c.expect('a', 'xxxx');
    c.keep('b', 'yyyy');
    expect(c.size).toEqual({ planned: 0, kept: 1, length: 3 });
  });
});
