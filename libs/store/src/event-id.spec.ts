import { EVENT_ID_PATTERN, newEventId, partitionFor, partitionOfEventId, withPartition } from './event-id';

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

describe('event-stream partitions', () => {
  it('writes the partition into the id and reads it back, keeping the id format and its time order', () => {
    const id = newEventId(1_750_000_000_000);
    for (const p of [0, 1, 7, 31]) {
      const placed = withPartition(id, p);
      expect(placed).toMatch(EVENT_ID_PATTERN);
      expect(placed.slice(0, 14)).toBe(id.slice(0, 14));
      expect(partitionOfEventId(placed, 32)).toBe(p);
    }
    expect(partitionOfEventId(withPartition(id, 5), 8)).toBe(5);
    expect(partitionOfEventId(id, 1)).toBe(0);
  });

  it('spreads dedupe keys evenly and always puts one key in the same partition', () => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionFor('whatsapp', `wamid.${i}`, 8)]++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
    expect(partitionFor('whatsapp', 'wamid.1', 8)).toBe(partitionFor('whatsapp', 'wamid.1', 8));
    expect(partitionFor('whatsapp', 'wamid.1', 1)).toBe(0);
  });
});
