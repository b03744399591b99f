import { IsoTimeFormatter, checkReplayWindow, toIsoTime } from './replay-window';

describe('checkReplayWindow', () => {
  const now = 1_705_401_000_000;

  it('accepts a timestamp within the tolerance either way', () => {
    expect(checkReplayWindow('1705401000', 300, now)).toEqual({ ok: true, timestampSeconds: 1705401000 });
    expect(checkReplayWindow('1705400700', 300, now).ok).toBe(true);
    expect(checkReplayWindow('1705401300', 300, now).ok).toBe(true);
  });

  it('rejects stale, future, malformed and missing timestamps with a reason', () => {
    expect(checkReplayWindow('1705400699', 300, now)).toEqual({ ok: false, reason: 'timestamp is 301s old (limit 300s)' });
    expect(checkReplayWindow('1705401301', 300, now)).toEqual({ ok: false, reason: 'timestamp is 301s in the future (limit 300s)' });
    expect(checkReplayWindow('17054e3', 300, now).ok).toBe(false);
    expect(checkReplayWindow('-5', 300, now).ok).toBe(false);
    expect(checkReplayWindow(undefined, 300, now)).toEqual({ ok: false, reason: 'missing timestamp' });
  });
});

describe('toIsoTime', () => {
  it('reads unix seconds, unix milliseconds, numeric strings and ISO strings', () => {
    expect(toIsoTime(1749416383)).toBe('2025-06-08T20:59:43.000Z');
    expect(toIsoTime('1749416383')).toBe('2025-06-08T20:59:43.000Z');
    expect(toIsoTime(1704470400000)).toBe('2024-01-05T16:00:00.000Z');
    expect(toIsoTime('2025-07-11T06:48:37.566057Z')).toBe('2025-07-11T06:48:37.566Z');
  });

  it('returns undefined for what is not a plausible time', () => {
    expect(toIsoTime('yesterday')).toBeUndefined();
    expect(toIsoTime(-1)).toBeUndefined();
    expect(toIsoTime({})).toBeUndefined();
    expect(toIsoTime(undefined)).toBeUndefined();
  });
});

describe('IsoTimeFormatter', () => {
  it('formats each instant as toISOString does, whatever came before', () => {
    const formatter = new IsoTimeFormatter();
    for (const ms of [0, 1704470400000, 1704470400000, 1704470400001, 1704470400000, 8.64e15, -1]) {
      expect(formatter.format(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('keeps the year bounds of toIsoTime after an accepted time', () => {
    expect(toIsoTime(1749416383)).toBe('2025-06-08T20:59:43.000Z');
    expect(toIsoTime(1)).toBeUndefined();
    expect(toIsoTime('2201-01-01T00:00:00Z')).toBeUndefined();
    expect(toIsoTime('2200-12-31T23:59:59.999Z')).toBe('2200-12-31T23:59:59.999Z');
    expect(toIsoTime('2000-01-01T00:00:00Z')).toBe('2000-01-01T00:00:00.000Z');
    expect(toIsoTime('1999-12-31T23:59:59.999Z')).toBeUndefined();
    expect(toIsoTime(1749416383)).toBe('2025-06-08T20:59:43.000Z');
  });
});
