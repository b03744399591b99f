import { BlockList, isIP } from 'node:net';

/** Address ranges a delivery must never reach unless allowed: loopback, private, link-local (cloud metadata), multicast, reserved. */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const BLOCKED_V6: [string, number][] = [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32],
  ['100::', 64], ['2001::', 23],
];

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Classifies the address a delivery is about to connect to. IPv6 forms that embed an IPv4 address
 * (mapped ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, the deprecated compatible ::a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address.
 */
export function classifyAddress(address: string): AddressVerdict {
  const family = isIP(address);
  if (family === 0) return { allowed: false, reason: `not an IP address: ${address}` };
  if (family === 4) {
    return blocked.check(address, 'ipv4') ? { allowed: false, reason: `${address} is a private, loopback, link-local or reserved address` } : { allowed: true };
  }
  const embedded = embeddedIPv4(address);
  if (embedded) {
    const verdict = classifyAddress(embedded);
    return verdict.allowed ? verdict : { allowed: false, reason: `${address} embeds ${embedded}, a private, loopback, link-local or reserved address` };
  }
  return blocked.check(address, 'ipv6') ? { allowed: false, reason: `${address} is a private, loopback, link-local or reserved address` } : { allowed: true };
}

/** The IPv4 address inside an IPv4-mapped, -translated, -compatible, NAT64 or 6to4 IPv6 address, if any. */
export function embeddedIPv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::ffff:0:|64:ff9b::)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted) return dotted[1];
  const groups = expandIPv6(lower);
  if (!groups) return undefined;
  const toV4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // ::ffff:x:y (mapped) and 64:ff9b::x:y (NAT64)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return toV4(groups[6], groups[7]);
  // ::ffff:0:x:y (translated, SIIT; the URL parser writes [::ffff:0:127.0.0.1] this way)
  if (groups.slice(0, 4).every((g) => g === 0) && groups[4] === 0xffff && groups[5] === 0) return toV4(groups[6], groups[7]);
  // ::x:y (IPv4-compatible, deprecated), other than :: and ::1 which the IPv6 list judges
  if (groups.slice(0, 6).every((g) => g === 0) && (groups[6] !== 0 || groups[7] > 1)) return toV4(groups[6], groups[7]);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return toV4(groups[6], groups[7]);
  // 2002:AABB:CCDD::/48 (6to4)
  if (groups[0] === 0x2002) return toV4(groups[1], groups[2]);
  return undefined;
}

function expandIPv6(address: string): number[] | undefined {
  let text = address.split('%')[0];
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = text.includes('::') ? 8 - h.length - t.length : 0;
  const parts = [...h, ...Array(missing).fill('0'), ...t];
  if (parts.length !== 8) return undefined;
  const groups = parts.map((p) => parseInt(p, 16));
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
