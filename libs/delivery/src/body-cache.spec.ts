import { BodyCache } from './body-cache';

describe('BodyCache', () => {
  let now = 0;
  const cache = (maxBytes = 100, maxAgeMs = 1_000) => new BodyCache(maxBytes, maxAgeMs, () => now);
  beforeEach(() => (now = 0));

  it('drops a body with its last expected read', () => {
    const c = cache();
    c.expect('k', 'body');
    c.expect('k', 'body');
    expect(c.take('k')).toBe('body');
    expect(c.size).toEqual({ entries: 1, bytes: 4 });
    expect(c.take('k')).toBe('body');
    expect(c.take('k')).toBeUndefined();
    expect(c.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('keeps the oldest bodies when full: a backlog sent oldest first finds the next ones', () => {
    const c = cache(10);
    c.expect('a', 'xxxx');
    c.expect('b', 'yyyy');
    c.expect('c', 'zzzz'); // no room: not kept, and nothing evicted
    expect(c.take('a')).toBe('xxxx');
    expect(c.take('b')).toBe('yyyy');
    expect(c.take('c')).toBeUndefined();
    c.expect('d', 'wwww'); // room again once the first ones were sent
    expect(c.take('d')).toBe('wwww');
  });

  it('keeps a body read from Redis until it ages out, however often it is read', () => {
    const c = cache();
    c.keep('k', 'body');
    c.expect('k', 'body'); // an uncounted entry stays uncounted
    for (let i = 0; i < 5; i++) expect(c.take('k')).toBe('body');
    now = 1_000;
    c.expect('other', 'x'); // adding ages out what is older than maxAgeMs
    expect(c.take('k')).toBeUndefined();
    expect(c.size).toEqual({ entries: 1, bytes: 1 });
  });

  it('ages out bodies nobody read, so they do not hold the space', () => {
    const c = cache(8);
    c.expect('a', 'xxxx');
    c.expect('b', 'yyyy');
    c.expect('c', 'zzzz');
    expect(c.take('c')).toBeUndefined();
    now = 1_500;
    c.expect('c', 'zzzz');
    expect(c.take('a')).toBeUndefined();
    expect(c.take('c')).toBe('zzzz');
  });
});
