import { hmacSha256Hex, matchesAnySecret, matchesAnyToken, parseHexSignature, tokenEquals } from './hmac';

const HEX = '01591d62415526782fc0a31b8faa3c8d903868b8db037a95ee396498731c8df9';

describe('parseHexSignature', () => {
  it('parses sha256=<64 hex> into 32 bytes, case-insensitively', () => {
    expect(parseHexSignature(`sha256=${HEX}`, { prefix: 'sha256=' })?.toString('hex')).toBe(HEX);
    expect(parseHexSignature(`SHA256=${HEX.toUpperCase()}`, { prefix: 'sha256=' })?.toString('hex')).toBe(HEX);
  });

  it('rejects the bare digest unless the prefix is optional', () => {
    expect(parseHexSignature(HEX, { prefix: 'sha256=' })).toBeNull();
    expect(parseHexSignature(HEX, { prefix: 'sha256=', prefixOptional: true })?.length).toBe(32);
  });

  it.each([
    ['truncated', `sha256=${HEX.slice(0, 62)}`],
    ['odd length', `sha256=${HEX.slice(0, 63)}`],
    ['trailing non-hex (Buffer.from would silently stop there)', `sha256=${HEX}zz`],
    ['non-hex inside', `sha256=${HEX.slice(0, 10)}g${HEX.slice(11)}`],
    ['too long', `sha256=${HEX}00`],
    ['duplicated header joined by Node', `sha256=${HEX}, sha256=${HEX}`],
    ['wrong prefix', `sha1=${HEX}`],
    ['empty', ''],
  ])('rejects %s', (_name, value) => {
    expect(parseHexSignature(value, { prefix: 'sha256=', prefixOptional: true })).toBeNull();
  });

  it('rejects a header sent twice (array) and a missing header', () => {
    expect(parseHexSignature([`sha256=${HEX}`, `sha256=${HEX}`], { prefix: 'sha256=' })).toBeNull();
    expect(parseHexSignature(undefined, { prefix: 'sha256=' })).toBeNull();
  });
});

describe('matchesAnySecret', () => {
  const body = Buffer.from('{"a":1}');

  it('accepts a signature made with any listed secret (rotation) and nothing else', () => {
    const old = Buffer.from(hmacSha256Hex('old-secret', body), 'hex');
    expect(matchesAnySecret(old, body, ['new-secret', 'old-secret'])).toBe(true);
    expect(matchesAnySecret(old, body, ['new-secret'])).toBe(false);
    expect(matchesAnySecret(old, Buffer.from('{"a":2}'), ['old-secret'])).toBe(false);
  });

  it('returns false (never throws) for digests of another length', () => {
    expect(matchesAnySecret(Buffer.alloc(31), body, ['s'])).toBe(false);
    expect(matchesAnySecret(Buffer.alloc(0), body, ['s'])).toBe(false);
  });
});

describe('tokenEquals / matchesAnyToken', () => {
  it('compares tokens of any length without throwing', () => {
    expect(tokenEquals('hub_Tg-Secret_42', 'hub_Tg-Secret_42')).toBe(true);
    expect(tokenEquals('short', 'a-much-longer-token')).toBe(false);
    expect(matchesAnyToken('b', ['a', 'b'])).toBe(true);
    expect(matchesAnyToken(['b', 'b'], ['b'])).toBe(false);
    expect(matchesAnyToken('', [''])).toBe(false);
    expect(matchesAnyToken(undefined, ['b'])).toBe(false);
  });
});
