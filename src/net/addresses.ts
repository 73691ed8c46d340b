// What kind of address an IP address is, for every decision about fetching a URL someone else
// named (guarded-fetch.ts): only public unicast addresses may be reached from outside input.
// Loopback, private (RFC 1918, IPv6 unique-local), link-local, shared (CGNAT, RFC 6598), cloud
// metadata, multicast, unspecified and the other special-purpose ranges (documentation,
// benchmarking, reserved, IPv6 transition prefixes that can embed any IPv4 address) are not.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are judged as the IPv4 address they carry; spellings
// are read the way a browser reads them (canonicalHost), so `0x7f.1` is loopback too.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { canonicalHost } from './loopback.js';

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'shared' | 'metadata' | 'multicast' | 'unspecified' | 'reserved' | 'invalid';

/** Ranges per kind, most specific first (metadata addresses sit inside link-local, private and shared). */
const RANGES: Array<[Exclude<AddressKind, 'public' | 'invalid'>, string[]]> = [
  ['metadata', ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128']],
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fec0::/10']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['shared', ['100.64.0.0/10']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  [
    'reserved',
    [
      '192.0.0.0/24', // IETF protocol assignments
      '192.0.2.0/24', // documentation
      '198.18.0.0/15', // benchmarking
      '198.51.100.0/24', // documentation
      '203.0.113.0/24', // documentation
      '240.0.0.0/4', // reserved, and 255.255.255.255
      '::/96', // IPv4-compatible (deprecated)
      '64:ff9b::/96', // NAT64: reaches any IPv4 address
      '64:ff9b:1::/48', // local-use NAT64
      '100::/64', // discard
      '2001::/23', // IETF protocol assignments, Teredo among them
      '2001:db8::/32', // documentation
      '2002::/16', // 6to4: reaches any IPv4 address
      '3fff::/20', // documentation
      '5f00::/16', // segment routing
    ],
  ],
];

const LISTS = RANGES.map(([kind, ranges]) => {
  const list = new BlockList();
  for (const range of ranges) {
    const [network, prefix] = range.split('/');
    list.addSubnet(network, Number(prefix), isIPv6(network) ? 'ipv6' : 'ipv4');
  }
  return [kind, list] as const;
});

/** ::ffff:7f00:1 (how the URL parser writes ::ffff:127.0.0.1) → 127.0.0.1. */
const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

function unmapped(ipv6: string): string {
  const m = MAPPED.exec(ipv6);
  if (!m) return ipv6;
  const high = parseInt(m[1], 16);
  const low = parseInt(m[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The kind of an IP address (any spelling a browser accepts, bracketed or not); 'invalid' when it is none. */
export function addressKind(address: string): AddressKind {
  const host = canonicalHost(address);
  if (!host) return 'invalid';
  const ip = host.startsWith('[') ? unmapped(host.slice(1, -1)) : host;
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return 'invalid';
  for (const [kind, list] of LISTS) if (list.check(ip, family)) return kind;
  return 'public';
}

/** True when `host` is an IP address literal (not a name), in any spelling a browser accepts. */
export function isAddressLiteral(host: string): boolean {
  return addressKind(host) !== 'invalid';
}
