import { packLiveMessages } from './live-events.publisher';

const event = (id: number, size: number): string => JSON.stringify({ id: `evt_${id}`, data: 'x'.repeat(size) });
const eventsOf = (messages: string[]): string[] =>
  messages.flatMap((m) => {
    const parsed = JSON.parse(m) as { id: string } | { id: string }[];
    return (Array.isArray(parsed) ? parsed : [parsed]).map((e) => e.id);
  });

describe('packLiveMessages', () => {
  it('sends a batch of small events as one array, in order', () => {
    const serialised = [1, 2, 3].map((id) => event(id, 100));
    const messages = packLiveMessages(serialised);
    expect(messages).toEqual([`[${serialised.join(',')}]`]);
    expect(eventsOf(messages)).toEqual(['evt_1', 'evt_2', 'evt_3']);
  });

  it('sends a lone event as itself, not as an array', () => {
    expect(packLiveMessages([event(1, 10)])).toEqual([event(1, 10)]);
  });

  it('keeps every message within the limit, exactly at it included, and each event in one message', () => {
    const serialised = Array.from({ length: 40 }, (_, i) => event(i, 50 + ((i * 37) % 400)));
    for (const max of [200, 500, 1000, 4096]) {
      const messages = packLiveMessages(serialised, max);
      for (const m of messages) expect(m.length <= max || !m.startsWith('[')).toBe(true);
      expect(eventsOf(messages)).toEqual(serialised.map((_, i) => `evt_${i}`));
    }
    const two = [event(1, 10), event(2, 10)];
    const exact = `[${two.join(',')}]`.length;
    expect(packLiveMessages(two, exact)).toHaveLength(1);
    expect(packLiveMessages(two, exact - 1)).toEqual(two);
  });

  it('sends an event larger than the limit alone, between its neighbours', () => {
    const serialised = [event(1, 10), event(2, 5000), event(3, 10)];
    expect(packLiveMessages(serialised, 1000)).toEqual(serialised);
  });
});
