import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  hostProblem,
  isNonPublicAddress,
  NOT_PUBLIC_MESSAGE,
  NotPublicAddressError,
  publicOnlyLookup,
} from './public-only-lookup.ts';

describe('isNonPublicAddress', () => {
  // [range, first address, last address, the public neighbour just below, just above]
  it.each([
    ['0.0.0.0/8', '0.0.0.0', '0.255.255.255', null, '1.0.0.0'],
    ['10/8', '10.0.0.0', '10.255.255.255', '9.255.255.255', '11.0.0.0'],
    ['100.64/10', '100.64.0.0', '100.127.255.255', '100.63.255.255', '100.128.0.0'],
    ['127/8', '127.0.0.0', '127.255.255.255', '126.255.255.255', '128.0.0.0'],
    ['169.254/16', '169.254.0.0', '169.254.255.255', '169.253.255.255', '169.255.0.0'],
    ['172.16/12', '172.16.0.0', '172.31.255.255', '172.15.255.255', '172.32.0.0'],
    ['192.0.0/24', '192.0.0.0', '192.0.0.255', '191.255.255.255', '192.0.1.0'],
    ['192.168/16', '192.168.0.0', '192.168.255.255', '192.167.255.255', '192.169.0.0'],
    ['198.18/15', '198.18.0.0', '198.19.255.255', '198.17.255.255', '198.20.0.0'],
    ['224/4 and 240/4', '224.0.0.0', '255.255.255.255', '223.255.255.255', null],
    ['::/96 (unspecified, loopback, IPv4-compatible)', '::', '::ffff:ffff', null, '::1:0:0'],
    ['192.0.2/24', '192.0.2.0', '192.0.2.255', '192.0.1.255', '192.0.3.0'],
    ['198.51.100/24', '198.51.100.0', '198.51.100.255', '198.51.99.255', '198.51.101.0'],
    ['203.0.113/24', '203.0.113.0', '203.0.113.255', '203.0.112.255', '203.0.114.0'],
    [
      '64:ff9b::/96',
      '64:ff9b::',
      '64:ff9b::ffff:ffff',
      '64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff',
      '64:ff9b::1:0:0',
    ],
    [
      '2002::/16',
      '2002::',
      '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      '2003::',
    ],
    [
      '2001:db8::/32',
      '2001:db8::',
      '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db9::',
    ],
    [
      'fc00::/7',
      'fc00::',
      'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fe00::',
    ],
    [
      'fe80::/10',
      'fe80::',
      'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      null, // fec0::/10 above is site-local: not public either
    ],
    [
      'ff00::/8',
      'ff00::',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      null, // feff:… below is in fec0::/10, site-local
      null,
    ],
  ])('%s: %s to %s are not public, %s and %s are', (_range, first, last, below, above) => {
    expect(isNonPublicAddress(first)).toBe(true);
    expect(isNonPublicAddress(last)).toBe(true);
    if (below) expect(isNonPublicAddress(below)).toBe(false);
    if (above) expect(isNonPublicAddress(above)).toBe(false);
  });

  it('224/4 and 240/4 meet: 239.255.255.255 and 240.0.0.0 are both not public', () => {
    expect(isNonPublicAddress('239.255.255.255')).toBe(true);
    expect(isNonPublicAddress('240.0.0.0')).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '2001:4860:4860::8888'])(
    '%s is public',
    (ip) => {
      expect(isNonPublicAddress(ip)).toBe(false);
    },
  );

  it.each([
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:169.254.169.254', true],
    ['::ffff:10.0.0.1', true],
    ['::ffff:0.0.0.0', true],
    ['::FFFF:192.168.1.1', true],
    ['::ffff:8.8.8.8', false],
    ['::ffff:172.32.0.0', false],
  ])('IPv4-mapped %s is judged by its IPv4 address: non-public %s', (ip, nonPublic) => {
    expect(isNonPublicAddress(ip)).toBe(nonPublic);
  });

  it('a name is not an address', () => {
    expect(() => isNonPublicAddress('example.com')).toThrow(TypeError);
  });
});

describe('hostProblem (a URL hostname, before any lookup)', () => {
  it.each([
    '127.0.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '[::1]',
    '[::]',
    '[::ffff:7f00:1]',
    '[fe80::1]',
    'localhost',
    'LOCALHOST',
    'localhost.',
    'api.localhost',
  ])('%s is refused', (host) => {
    expect(hostProblem(host)).toMatch(/^url must not point to/);
  });

  it.each(['example.com', '8.8.8.8', '[2606:4700:4700::1111]', 'localhost.example.com', 'notlocalhost'])(
    '%s passes',
    (host) => {
      expect(hostProblem(host)).toBeNull();
    },
  );

  it('the WHATWG URL parser normalises numeric hosts before the check', () => {
    for (const raw of ['http://2130706433/', 'http://0x7f.1/', 'http://0/', 'http://[::ffff:127.0.0.1]/']) {
      expect(hostProblem(new URL(raw).hostname)).not.toBeNull();
    }
  });
});

describe('publicOnlyLookup', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((resolve) => {
      publicOnlyLookup(host, { all }, (err, address) => resolve({ err, address }));
    });

  it('refuses a name that resolves to a loopback address (localhost), in both call forms', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', all);
      expect(err).toBeInstanceOf(NotPublicAddressError);
      expect(err?.message).toBe(NOT_PUBLIC_MESSAGE);
    }
  });

  it('passes a public address through in the form asked for', async () => {
    // an IP literal resolves to itself without a DNS query
    expect(await lookup('8.8.8.8', false)).toEqual({ err: null, address: '8.8.8.8' });
    expect(await lookup('8.8.8.8', true)).toEqual({
      err: null,
      address: [{ address: '8.8.8.8', family: 4 }],
    });
  });
});
