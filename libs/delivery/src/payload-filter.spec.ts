import { matchesFilter, readPath, validateFilter } from './payload-filter';

const data = { message: { type: 'text', from: '1650', tags: ['vip', 'new'] }, statuses: [{ status: 'read' }], n: 3, empty: null };

describe('payload filter', () => {
  it.each([
    [[{ path: 'message.type', op: 'equals', value: 'text' }], true],
    [[{ path: '$.message.type', op: 'equals', value: 'image' }], false],
    [[{ path: 'statuses[0].status', op: 'in', value: ['delivered', 'read'] }], true],
    [[{ path: 'statuses[1].status', op: 'exists' }], false],
    [[{ path: 'message.caption', op: 'notExists' }], true],
    [[{ path: 'message.tags', op: 'contains', value: 'vip' }], true],
    [[{ path: 'message.from', op: 'contains', value: '65' }], true],
    [[{ path: 'n', op: 'notEquals', value: 3 }], false],
    [[{ path: 'empty', op: 'exists' }], true],
    [[{ path: 'message.type', op: 'equals', value: 'text' }, { path: 'n', op: 'equals', value: 4 }], false],
    [[], true],
  ])('%j -> %s', (filter, expected) => {
    expect(matchesFilter(filter as never, data)).toBe(expected);
  });

  it('does not walk into inherited properties', () => {
    expect(readPath({}, 'constructor').present).toBe(false);
    expect(readPath({ a: 'x' }, 'a.length').present).toBe(false);
  });

  it('explains every problem of a bad filter', () => {
    expect(validateFilter([{ path: 'a..b', op: 'equals' }, { path: 'x', op: 'like', value: 1 }, { path: 'y', op: 'in', value: 2 }])).toEqual([
      'filter[0].path must be a dotted JSON path such as "message.type"',
      'filter[0].value is required for op "equals"',
      'filter[1].op must be one of equals, notEquals, in, exists, notExists, contains',
      'filter[2].value must be an array for op "in"',
    ]);
    expect(validateFilter('x')).toEqual(['filter must be an array of {path, op, value} conditions']);
    expect(validateFilter([{ path: 'message.type', op: 'exists' }])).toEqual([]);
  });
});
