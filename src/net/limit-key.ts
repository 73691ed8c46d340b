// The key a per-address rate limit counts a client under. An IPv4 address is its own key (an
// IPv4-mapped IPv6 address counts as the IPv4 address it carries). An IPv6 address counts by its
// /64 network: one subscriber, a host or a home network, is handed at least a /64 and can pick any
// address in it, so counting each address alone would let one client start over at will.
import ipaddr from 'ipaddr.js';

/** The rate-limit key of `address` (what clientAddress() returned); anything unparsable is its own key. */
export function limitKey(address: string): string {
  // A link-local address may carry a zone (fe80::1%eth0); the zone names our interface, not theirs.
  const bare = address.split('%')[0]!;
  if (!ipaddr.isValid(bare)) return address;
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${v6.toString()}/64`).toString()}/64`;
}
