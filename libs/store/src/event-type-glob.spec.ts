import { compileTypeGlob, matchesTypeGlob } from './event-type-glob';

/** The old definition, as a reference: a RegExp (only safe on the short inputs below). */
function reference(pattern: string, type: string): boolean {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's').test(type);
}

describe('compileTypeGlob', () => {
  it.each([
    ['whatsapp.message.*', 'whatsapp.message.received', true],
    ['whatsapp.message.*', 'whatsapp.message', false],
    ['*.session_ended', 'digitalsamba.session_ended', true],
    ['*', '', true],
    ['*', 'anything.at.all', true],
    ['hub.approval.?ecided', 'hub.approval.decided', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['**a**', 'a', true],
    ['a?c', 'ac', false],
    ['exact.type', 'exact.type', true],
    ['exact.type', 'exact.typo', false],
    ['a.b', 'aXb', false],
  ])('%s against %s is %s', (pattern, type, expected) => {
    expect(matchesTypeGlob(pattern, type)).toBe(expected);
  });

  it('agrees with the reference RegExp on 20,000 random short patterns and types (property test)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = (alphabet: string, max: number) => Array.from({ length: Math.floor(random() * (max + 1)) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let i = 0; i < 20_000; i++) {
      const pattern = pick('ab.*?', 8);
      const type = pick('ab.', 10);
      if (compileTypeGlob(pattern).test(type) !== reference(pattern, type)) throw new Error(`disagree on ${JSON.stringify(pattern)} / ${JSON.stringify(type)}`);
    }
  });

  it('matches the backtracking patterns of the hardening report at once', () => {
    // Each of these took seconds to minutes as a RegExp against a long near-miss.
    const patterns = ['************Z', `${'*a'.repeat(60)}*Z`, `${'?*'.repeat(90)}Z`, '*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*Z'];
    const type = `${'a.'.repeat(100)}b`;
    for (const pattern of patterns) expect(compileTypeGlob(pattern).test(type)).toBe(false);
    expect(compileTypeGlob('************Z').test(`${'a'.repeat(199)}Z`)).toBe(true);
  });
});
