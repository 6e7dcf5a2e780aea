// parseCidr reads plain dotted quads by hand (parseV4Plain) and leaves every
// other form to ipaddr.js: the answer must be the one ipaddr.js alone gives,
// for canonical text and for every odd spelling near it (leading zeros, octal,
// hex, short forms, out-of-range octets and prefixes, stray characters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toBytes, toBytesSplit } from '../../src/core/explain/cidr.js';
import { contains, hostOf, networkText, networkTextIpaddr, normalizeAddr, parseCidr, parseCidrIpaddr, parseCidrUncached } from '../../src/core/net/addr.js';

const same = (text: string) => assert.deepEqual(parseCidrUncached(text), parseCidrIpaddr(text), JSON.stringify(text));

test('hand-read IPv4 equals ipaddr.js on fixed odd spellings', () => {
  for (const t of [
    '0.0.0.0', '0.0.0.0/0', '255.255.255.255', '255.255.255.255/32', '172.17.0.2/32', '10.0.0.0/8', '1.2.3.4/0',
    '01.2.3.4', '1.2.3.04', '1.2.3.010', '1.2.3.0x1', '0x7f.0.0.1', '1.2.3', '1.2', '1', '16909060', '1.2.3.4.5',
    '256.1.1.1', '1.2.3.256', '1.2.3.999', '1.2.3.1000', '1.2.3.4/33', '1.2.3.4/032', '1.2.3.4/00', '1.2.3.4/', '1.2.3.4/3a',
    '1.2.3.4//24', '/24', '1..2.3', '.1.2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/ 24', '-1.2.3.4', '1.2.3.4/-1',
    '::', '::1', '::ffff:1.2.3.4', '::ffff:1.2.3.4/128', '2001:db8::1/64', '2001:DB8::1', 'fe80::1%eth0', '', 'x', '1.2.3.4/100',
  ]) same(t);
});

test('hand-read IPv4 equals ipaddr.js on generated text', () => {
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.integer({ min: 0, max: 999 }).map(String),
    fc.integer({ min: 0, max: 255 }).map((n) => '0' + n),
    fc.integer({ min: 0, max: 255 }).map((n) => '0x' + n.toString(16)),
    fc.constantFrom('', 'a', '1a', '00'),
  );
  const prefix = fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.integer({ min: 0, max: 32 }).map((n) => '0' + n), fc.constantFrom('', 'x', '128'));
  const text = fc.tuple(fc.array(octet, { minLength: 1, maxLength: 5 }), fc.option(prefix)).map(([os, p]) => os.join('.') + (p === null ? '' : '/' + p));
  fc.assert(fc.property(text, (t) => same(t)), { numRuns: 20000 });
});

test('the memoised helpers agree with the reference', () => {
  for (const t of ['172.17.0.2/32', '172.17.0.2', '10.1.0.0/16', '010.1.0.0/16', '2001:db8::2/128']) {
    const ref = parseCidrIpaddr(t);
    const got = parseCidr(t);
    assert.deepEqual(got === null ? null : { ...got }, ref === null ? null : { ...ref });
    assert.equal(normalizeAddr(t), ref?.addr ?? null);
    assert.equal(hostOf(t), ref && ref.prefix === (ref.family === 4 ? 32 : 128) ? ref.addr : null);
  }
  assert.equal(contains('10.1.0.0/16', '10.1.2.3'), true);
  assert.equal(contains('10.1.0.0/16', '10.2.2.3'), false);
  assert.equal(contains('0.0.0.0/0', '10.2.2.3'), true);
});

test('networkText (memoised, IPv4 by integer) equals the byte-wise reference', () => {
  const fixed = ['10.1.2.3/8', '172.17.0.0/16', '172.17.5.9/16', '0.0.0.0/0', '255.255.255.255/32', '1.2.3.4', '1.2.3.4/31', '1.2.3.4/1',
    '::ffff:1.2.3.4/120', '::ffff:1.2.3.4/96', '::ffff:1.2.3.4', '2001:db8::1/64', '2001:db8::/32', 'x', '010.1.2.3/8', '1.2.3.4/33'];
  for (const t of fixed) assert.equal(networkText(t), networkTextIpaddr(t), t);
  const octet = fc.integer({ min: 0, max: 255 });
  const v4 = fc.tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 32 })).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`);
  const mapped = fc.tuple(octet, octet, fc.integer({ min: 80, max: 128 })).map(([a, b, p]) => `::ffff:10.${a}.${b}.7/${p}`);
  fc.assert(fc.property(fc.oneof(v4, mapped), (t) => assert.equal(networkText(t), networkTextIpaddr(t), t)), { numRuns: 5000 });
});

test('explain reads IPv4 bytes in one pass as the split reading did', () => {
  for (const t of ['1.2.3.4', '0.0.0.0', '255.255.255.255', '10.0.0.1', '1..2.3', '1.2.3', '1.2.3.4.5', '010.1.2.3', '1.2.3.x', '', '.']) assert.deepEqual(toBytes(t, 4), toBytesSplit(t), t);
  const octet = fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), fc.constantFrom('', '00', 'a'));
  fc.assert(fc.property(fc.array(octet, { minLength: 1, maxLength: 5 }), (os) => assert.deepEqual(toBytes(os.join('.'), 4), toBytesSplit(os.join('.')))), { numRuns: 5000 });
});
