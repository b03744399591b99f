import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HeaderValue = string | string[] | undefined;

export interface HexSignatureFormat {
  /** `sha256=`-style prefix; matched case-insensitively. */
  prefix?: string;
  /** Accept the bare hex digest without the prefix as well. */
  prefixOptional?: boolean;
}

/**
 * Strictly parses a hex HMAC-SHA256 signature header into its 32 bytes, or null. Strict on purpose:
 * `Buffer.from(hex)` silently stops at the first non-hex character, and a duplicated header arrives
 * as an array or joined with ", ", all of which must fail.
 */
export function parseHexSignature(value: HeaderValue, format: HexSignatureFormat = {}): Buffer | null {
  if (typeof value !== 'string') return null;
  const match = signaturePattern(format).exec(value.trim());
  return match ? Buffer.from(match[1], 'hex') : null;
}

/** One compiled pattern per signature format (a handful in the whole hub), not one per request. */
const signaturePatterns = new Map<string, RegExp>();

function signaturePattern(format: HexSignatureFormat): RegExp {
  const key = `${format.prefixOptional ? '?' : ''}${format.prefix ?? ''}`;
  let pattern = signaturePatterns.get(key);
  if (!pattern) {
    const prefix = format.prefix ? escapeRegExp(format.prefix) : '';
    pattern = prefix ? new RegExp(`^${format.prefixOptional ? `(?:${prefix})?` : prefix}([0-9a-f]{64})$`, 'i') : /^([0-9a-f]{64})$/i;
    signaturePatterns.set(key, pattern);
  }
  return pattern;
}

export function hmacSha256(secret: string, payload: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function hmacSha256Hex(secret: string, payload: Buffer | string): string {
  return hmacSha256(secret, payload).toString('hex');
}

/**
 * True when `signature` is the HMAC of `payload` under any listed secret (rotation). Every secret
 * is tried so the time taken does not tell which one matched.
 */
export function matchesAnySecret(signature: Buffer, payload: Buffer, secrets: readonly string[]): boolean {
  let matched = false;
  for (const secret of secrets) {
    const expected = hmacSha256(secret, payload);
    if (expected.length === signature.length && timingSafeEqual(expected, signature)) matched = true;
  }
  return matched;
}

/** Constant-time equality of two static tokens, compared as SHA-256 digests so lengths never leak or throw. */
export function tokenEquals(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

export function matchesAnyToken(given: HeaderValue, tokens: readonly string[]): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  let matched = false;
  for (const token of tokens) if (tokenEquals(given, token)) matched = true;
  return matched;
}

export function sha256(payload: Buffer | string): Buffer {
  return createHash('sha256').update(payload).digest();
}

export function sha256Hex(payload: Buffer | string): string {
  return sha256(payload).toString('hex');
}

/** A single header value, or undefined when absent or sent more than once (ambiguous). */
export function singleHeader(value: HeaderValue): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
