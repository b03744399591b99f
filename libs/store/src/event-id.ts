import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const POOL = Buffer.alloc(10 * 512);
let offset = POOL.length;

/**
 * `evt_` + a ULID (48-bit millisecond time, 80 random bits, Crockford base32), so ids sort by
 * creation time. Hand-written because the `ulid` package draws one random byte per character
 * (16 crypto calls per id; 5 % of ingress CPU in the benchmark); this draws from a pooled buffer.
 */
export function newEventId(now: number = Date.now()): string {
  if (offset + 10 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let random = '';
  let bits = 0;
  let value = 0;
  for (let i = 0; i < 10; i++) {
    value = (value << 8) | POOL[offset + i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += CROCKFORD[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  offset += 10;
  return `evt_${time}${random}`;
}

export const EVENT_ID_PATTERN = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;
