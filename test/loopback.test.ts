// The loopback predicate every loopback decision uses (src/net/loopback.ts): all of 127.0.0.0/8,
// ::1, IPv4-mapped forms, `localhost` in any case with or without a trailing dot, bracketed or
// not, in the spellings a browser accepts — and nothing that only looks like them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost } from '../src/net/loopback.js';

describe('the loopback predicate', () => {
  it('accepts every spelling of the local machine', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.255.254',
      '127.1',
      '0x7f.0.0.1',
      '2130706433',
      '127.0.0.1.',
      'localhost',
      'LOCALHOST',
      'LocalHost',
      'localhost.',
      'LOCALHOST.',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '[0:0:0:0:0:0:0:1]',
      '::ffff:127.0.0.1',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '::ffff:7f01:203',
      '[::FFFF:127.9.9.9]',
    ]) {
      assert.equal(isLoopbackHost(host), true, host);
    }
  });

  it('refuses look-alikes and other addresses', () => {
    for (const host of [
      '',
      ' ',
      '128.0.0.1',
      '126.255.255.255',
      '0.0.0.0',
      '::',
      '[::]',
      '10.0.0.1',
      '169.254.169.254',
      '127.0.0.1.nip.io',
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      'evil.localhost',
      'localhostx',
      'xlocalhost',
      '::2',
      '[::ffff:808:808]',
      '::ffff:10.0.0.1',
      '[::ffff:128.0.0.1]',
      'localhost:80',
      '127.0.0.1:80',
      'user@127.0.0.1',
      '127.0.0.1/evil',
      '[::1',
      '127.0.0.256',
    ]) {
      assert.equal(isLoopbackHost(host), false, JSON.stringify(host));
    }
  });
});
