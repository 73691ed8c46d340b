// The address classification behind every fetch of a URL someone else names: only public unicast
// addresses pass, in whatever spelling a browser accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKind, isAddressLiteral } from '../src/net/addresses.js';

const CASES: Array<[string, ReturnType<typeof addressKind>]> = [
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['2606:4700:4700::1111', 'public'],
  ['[2a00:1450:4001::200e]', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.1', 'loopback'],
  ['0x7f.0.0.1', 'loopback'],
  ['2130706433', 'loopback'],
  ['::1', 'loopback'],
  ['[0:0:0:0:0:0:0:1]', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['::ffff:192.168.1.1', 'private'],
  ['fd12:3456::1', 'private'],
  ['fc00::1', 'private'],
  ['169.254.1.1', 'link-local'],
  ['fe80::1', 'link-local'],
  ['100.64.0.1', 'shared'],
  ['100.127.255.254', 'shared'],
  ['169.254.169.254', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0', 'unspecified'],
  ['::', 'unspecified'],
  ['255.255.255.255', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['64:ff9b::7f00:1', 'reserved'],
  ['2002:7f00:1::', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['2001:0:4136:e378::1', 'reserved'],
  ['::7f00:1', 'reserved'],
  ['172.32.0.1', 'public'],
  ['100.128.0.1', 'public'],
  ['example.com', 'invalid'],
  ['localhost', 'invalid'],
  ['127.0.0.1.nip.io', 'invalid'],
  ['', 'invalid'],
];

describe('address kinds', () => {
  for (const [address, kind] of CASES) {
    it(`${address || '(empty)'} is ${kind}`, () => assert.equal(addressKind(address), kind));
  }

  it('names are not address literals', () => {
    assert.equal(isAddressLiteral('example.com'), false);
    assert.equal(isAddressLiteral('127.1'), true);
    assert.equal(isAddressLiteral('[::1]'), true);
  });
});
