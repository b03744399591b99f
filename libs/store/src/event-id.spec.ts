import { EVENT_ID_PATTERN, newEventId } from './event-id';

describe('newEventId', () => {
  it('is evt_ plus a 26-character ULID whose time part encodes the milliseconds', () => {
    const id = newEventId(1_469_918_176_385);
    expect(id).toMatch(EVENT_ID_PATTERN);
    expect(id.slice(4, 14)).toBe('01ARYZ6S41'); // the ULID spec's example time
  });

  it('sorts by time and does not repeat', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => newEventId(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    const times = ids.map((id) => id.slice(4, 14));
    expect([...times].sort()).toEqual(times);
  });
});
