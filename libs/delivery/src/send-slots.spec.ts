import { SendSlots, forEachRamped } from './send-slots';

describe('SendSlots', () => {
  it('never runs more than its size at once, and starts tasks in arrival order', async () => {
    const slots = new SendSlots(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        slots.run(async () => {
          started.push(i);
          peak = Math.max(peak, ++running);
          // Tasks end in another order than they started (later ones sooner).
          for (let turn = 0; turn < 10 - i; turn++) await new Promise((resolve) => setImmediate(resolve));
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(slots.inUse).toBe(0);
  });

  it('frees the slot of a task that throws', async () => {
    const slots = new SendSlots(1);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(slots.inUse).toBe(0);
    await expect(slots.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('forEachRamped', () => {
  it('runs one at a time while work fails, and widens while it succeeds', async () => {
    const windows: number[] = [];
    let running = 0;
    const run = (okFrom: number) => async (i: number) => {
      running++;
      windows.push(running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return i >= okFrom;
    };
    await forEachRamped([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4, run(100));
    expect(windows).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    windows.length = 0;
    await forEachRamped(Array.from({ length: 20 }, (_, i) => i), 4, run(0));
    expect(Math.max(...windows)).toBe(4);
    expect(windows.slice(0, 3)).toEqual([1, 1, 2]);
  });

  it('handles every item exactly once, and an empty list', async () => {
    const seen: number[] = [];
    await forEachRamped([], 8, async () => true);
    await forEachRamped([1, 2, 3, 4, 5], 8, async (i) => (seen.push(i), i % 2 === 0));
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('forEachRamped when work throws', () => {
  it('starts nothing more, lets the runs under way end, then rejects', async () => {
    const started: number[] = [];
    let thrown = false;
    let startedAfterThrow = 0;
    let running = 0;
    const run = forEachRamped(Array.from({ length: 40 }, (_, i) => i), 8, async (i) => {
      started.push(i);
      if (thrown) startedAfterThrow++;
      running++;
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      if (i === 5) {
        thrown = true;
        throw new Error('redis away');
      }
      return true;
    });
    await expect(run).rejects.toThrow('redis away');
    expect(startedAfterThrow).toBe(0);
    expect(running).toBe(0);
    expect(started.length).toBeLessThan(40);
  });
});
