// Per-address rate limits count an IPv6 client by its /64 and an IPv4-mapped address as IPv4.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitKey } from '../src/net/limit-key.js';

describe('limitKey', () => {
  it('keeps an IPv4 address as it is, and reads an IPv4-mapped IPv6 address as IPv4', () => {
    assert.equal(limitKey('203.0.113.7'), '203.0.113.7');
    assert.equal(limitKey('::ffff:203.0.113.7'), '203.0.113.7');
  });

  it('counts every address of one IPv6 /64 under one key, however it is written', () => {
    const keys = ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::9', '2001:DB8:0001:0002:0000:0000:0000:0001', 'fe80::1%eth0'].map(limitKey);
    assert.deepEqual(keys.slice(0, 3), ['2001:db8:1:2::/64', '2001:db8:1:2::/64', '2001:db8:1:2::/64']);
    assert.equal(keys[3], 'fe80::/64');
  });

  it('keeps neighbouring /64 networks apart', () => {
    assert.notEqual(limitKey('2001:db8:1:2::1'), limitKey('2001:db8:1:3::1'));
  });

  it('leaves what is not an address as its own key', () => {
    assert.equal(limitKey('unknown'), 'unknown');
    assert.equal(limitKey(''), '');
  });
});
