import { validateSubscriptionInput } from './subscription-input';

describe('validateSubscriptionInput', () => {
  it('accepts a plain create request', () => {
    expect(validateSubscriptionInput({ url: 'https://example.com/hook', events: ['whatsapp.*'] }, 'create').problems).toEqual([]);
  });

  it('reports a "constructor" or "__proto__" key as a problem instead of throwing (a 500 found by the fuzz run)', () => {
    const nested = validateSubscriptionInput(JSON.parse('{"url":{"constructor":{"prototype":{"x":1}}},"events":["a.*"]}'), 'create');
    expect(nested.problems.map((p) => p.field)).toContain('url');
    const own = validateSubscriptionInput(JSON.parse('{"url":"https://example.com","constructor":{"prototype":{"x":1}}}'), 'create');
    expect(own.problems.map((p) => p.field)).toContain('constructor');
    const proto = validateSubscriptionInput(JSON.parse('{"url":"https://example.com","__proto__":{"isAdmin":true}}'), 'create');
    expect(proto.problems.map((p) => p.field)).toContain('__proto__');
    expect(Object.getPrototypeOf(proto.value)).toBe(Object.getPrototypeOf(validateSubscriptionInput({}, 'update').value));
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
