import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AllowListError, cachedAllowList, isAllowed, parseAddress, parseAllowList } from './ipAllowList.js';

function allowed(list: string, peer: string): boolean {
  return isAllowed(parseAllowList(list), peer);
}

describe('parseAddress', () => {
  test('IPv4, IPv6 in every spelling, embedded IPv4, zones', () => {
    assert.deepEqual(parseAddress('127.0.0.1'), { family: 4, value: 0x7f000001n });
    assert.deepEqual(parseAddress('::1'), { family: 6, value: 1n });
    assert.deepEqual(parseAddress('::'), { family: 6, value: 0n });
    const full = parseAddress('2001:0db8:0000:0000:0000:0000:0000:0001');
    assert.deepEqual(parseAddress('2001:db8::1'), full);
    assert.deepEqual(parseAddress('2001:DB8:0:0::1'), full);
    assert.deepEqual(parseAddress('2001:db8::'), { family: 6, value: 0x20010db8n << 96n });
    assert.deepEqual(parseAddress('1:2:3:4:5:6:7:8'), { family: 6, value: 0x00010002000300040005000600070008n });
    assert.deepEqual(parseAddress('1:2:3:4:5:6:1.2.3.4'), { family: 6, value: 0x00010002000300040005000601020304n });
    assert.deepEqual(parseAddress('64:ff9b::1.2.3.4'), { family: 6, value: (0x64ff9bn << 96n) | 0x01020304n });
    assert.deepEqual(parseAddress('::1.2.3.4'), { family: 6, value: 0x01020304n });
    assert.deepEqual(parseAddress('fe80::1%eth0'), { family: 6, value: (0xfe80n << 112n) | 1n });
  });

  test('IPv4-mapped IPv6 addresses are IPv4 addresses', () => {
    assert.deepEqual(parseAddress('::ffff:127.0.0.1'), { family: 4, value: 0x7f000001n });
    assert.deepEqual(parseAddress('::FFFF:7f00:1'), { family: 4, value: 0x7f000001n });
    assert.deepEqual(parseAddress('0:0:0:0:0:ffff:10.1.2.3'), { family: 4, value: 0x0a010203n });
  });

  test('garbage is not an address', () => {
    for (const s of ['', 'localhost', '1.2.3', '1.2.3.256', '::g', '1:2:3:4:5:6:7:8:9', '1::2::3', '10.0.0.0/8']) {
      assert.equal(parseAddress(s), null, s);
    }
  });
});

describe('parseAllowList / isAllowed', () => {
  test('single IPv4 addresses', () => {
    assert.equal(allowed('10.0.0.1', '10.0.0.1'), true);
    assert.equal(allowed('10.0.0.1', '10.0.0.2'), false);
    assert.equal(allowed('10.0.0.1, 192.168.1.5', '192.168.1.5'), true);
  });

  test('IPv4 CIDRs, including /0, /32 and host bits set', () => {
    assert.equal(allowed('10.0.0.0/8', '10.255.1.2'), true);
    assert.equal(allowed('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(allowed('192.168.1.128/25', '192.168.1.200'), true);
    assert.equal(allowed('192.168.1.128/25', '192.168.1.127'), false);
    assert.equal(allowed('10.1.2.3/8', '10.9.9.9'), true);
    assert.equal(allowed('1.2.3.4/32', '1.2.3.4'), true);
    assert.equal(allowed('1.2.3.4/32', '1.2.3.5'), false);
    assert.equal(allowed('0.0.0.0/0', '203.0.113.9'), true);
    assert.equal(allowed('0.0.0.0/0', '2001:db8::1'), false, 'an IPv4 rule never matches a real IPv6 peer');
  });

  test('IPv6 addresses and CIDRs', () => {
    assert.equal(allowed('::1', '::1'), true);
    assert.equal(allowed('::1', '0:0:0:0:0:0:0:1'), true);
    assert.equal(allowed('::1', '127.0.0.1'), false);
    assert.equal(allowed('2001:db8::/32', '2001:db8:ffff::42'), true);
    assert.equal(allowed('2001:db8::/32', '2001:db9::1'), false);
    assert.equal(allowed('2001:db8:0:1::/64', '2001:db8:0:1:abcd::1'), true);
    assert.equal(allowed('2001:db8:0:1::/64', '2001:db8:0:2::1'), false);
    assert.equal(allowed('::/0', '2001:db8::1'), true);
    assert.equal(allowed('fe80::/10', 'fe80::1%eth0'), true, 'the zone of a link-local peer is ignored');
  });

  test('IPv4-mapped peers match IPv4 rules; mapped rules are IPv4 rules', () => {
    assert.equal(allowed('127.0.0.1', '::ffff:127.0.0.1'), true);
    assert.equal(allowed('10.0.0.0/8', '::ffff:10.20.30.40'), true);
    assert.equal(allowed('10.0.0.0/8', '::ffff:11.20.30.40'), false);
    assert.equal(allowed('::ffff:127.0.0.1', '127.0.0.1'), true);
    assert.equal(allowed('::ffff:10.0.0.0/104', '10.1.1.1'), true);
    assert.equal(allowed('::ffff:10.0.0.0/104', '11.1.1.1'), false);
    assert.equal(allowed('::ffff:0:0/96', '203.0.113.7'), true);
  });

  test('spaces and empty entries are tolerated', () => {
    const list = parseAllowList(' 10.0.0.1 ,, ::1 , 192.168.0.0 / 16,');
    assert.equal(list.rules.length, 3);
    assert.equal(isAllowed(list, '192.168.44.1'), true);
  });

  test('a bad entry is a typed error naming that entry', () => {
    const cases: [string, string][] = [
      ['10.0.0.1, 10.0.0.300', '10.0.0.300'],
      ['10.0.0.0/33', '10.0.0.0/33'],
      ['::1/129', '::1/129'],
      ['10.0.0.0/', '10.0.0.0/'],
      ['10.0.0.0/-1', '10.0.0.0/-1'],
      ['10.0.0.0/8/8', '10.0.0.0/8/8'],
      ['localhost', 'localhost'],
      ['fe80::1%eth0', 'fe80::1%eth0'],
      ['*', '*'],
    ];
    for (const [input, entry] of cases) {
      assert.throws(
        () => parseAllowList(input),
        (err: unknown) => err instanceof AllowListError && err.entry === entry && err.message.includes(entry),
        input,
      );
    }
  });

  test('an empty list is an error (null means any address)', () => {
    assert.throws(() => parseAllowList(''), AllowListError);
    assert.throws(() => parseAllowList(' , '), AllowListError);
  });

  test('an unparsable peer is never allowed', () => {
    assert.equal(allowed('0.0.0.0/0', 'not-an-ip'), false);
    assert.equal(allowed('::/0', ''), false);
  });
});

describe('cachedAllowList', () => {
  test('returns the same parsed list for the same string, and the error for a bad one', () => {
    const a = cachedAllowList('10.0.0.0/8');
    assert.equal(cachedAllowList('10.0.0.0/8'), a);
    assert.ok(!(a instanceof AllowListError) && isAllowed(a, '10.1.1.1'));
    const bad = cachedAllowList('10.0.0.0/99');
    assert.ok(bad instanceof AllowListError);
    assert.equal(bad.entry, '10.0.0.0/99');
  });
});
