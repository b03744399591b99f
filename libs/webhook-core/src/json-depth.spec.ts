import { MAX_JSON_DEPTH, jsonDepthExceeds } from './json-depth';

const nested = (depth: number, open = '[', close = ']'): string => open.repeat(depth) + close.repeat(depth);

describe('jsonDepthExceeds', () => {
  it('counts arrays and objects as levels, and the top level as one', () => {
    expect(jsonDepthExceeds(JSON.parse(nested(3)), 3)).toBe(false);
    expect(jsonDepthExceeds(JSON.parse(nested(4)), 3)).toBe(true);
    expect(jsonDepthExceeds({ a: { b: { c: 1 } } }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: { b: { c: {} } } }, 3)).toBe(true);
  });

  it('takes primitives and null as depth zero', () => {
    for (const value of [null, 1, 'x', true]) expect(jsonDepthExceeds(value, 0)).toBe(false);
  });

  it('gives the same answer with and without the source text, at and past the limit', () => {
    for (const depth of [2, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 5 * MAX_JSON_DEPTH]) {
      for (const text of [nested(depth), `{"a":${nested(depth - 1)}}`, `[${'{"k":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}]`]) {
        const value: unknown = JSON.parse(text);
        expect(jsonDepthExceeds(value, MAX_JSON_DEPTH, text)).toBe(jsonDepthExceeds(value, MAX_JSON_DEPTH));
        expect(jsonDepthExceeds(value, MAX_JSON_DEPTH, text)).toBe(depth > MAX_JSON_DEPTH);
      }
    }
  });

  it('walks the value when brackets inside strings push the count past the limit', () => {
    const text = JSON.stringify({ note: '['.repeat(200) + '{'.repeat(200), list: [[1]] });
    expect(jsonDepthExceeds(JSON.parse(text), 3, text)).toBe(false);
    const deep = JSON.stringify({ note: '{'.repeat(10), list: [[[1]]] });
    expect(jsonDepthExceeds(JSON.parse(deep), 3, deep)).toBe(true);
  });

  it('finds a deep branch beside wide shallow ones', () => {
    const value = { wide: Array.from({ length: 1000 }, (_, i) => ({ i })), deep: JSON.parse(nested(10)) as unknown };
    expect(jsonDepthExceeds(value, 10)).toBe(true);
    expect(jsonDepthExceeds(value, 11)).toBe(false);
  });
});
