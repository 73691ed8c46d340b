// CIDR lists as node:net BlockLists: parsing for config checks and peer-address matching.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export function parseCidr(cidr: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | undefined {
  const [address, bits, extra] = cidr.split('/');
  if (extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (isIPv4(address) && prefix <= 32) return { address, prefix, type: 'ipv4' };
  if (isIPv6(address) && prefix <= 128) return { address, prefix, type: 'ipv6' };
  return undefined;
}

export function cidrList(cidrs: string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const c = parseCidr(cidr);
    if (c) list.addSubnet(c.address, c.prefix, c.type);
  }
  return (address) => {
    if (!address) return false;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (v4) return list.check(v4, 'ipv4');
    return list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  };
}
