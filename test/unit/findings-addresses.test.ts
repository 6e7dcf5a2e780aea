// The stale-address check reads the hosts a rule names through a memo by
// option text (hostsOfValue) instead of the per-rule address options: the
// addresses must be the same, in the same order, on the lab captures and on
// generated rules (comma lists, networks, IPv6, negations, unreadable values,
// DNAT targets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressesNamedOf, addressesNamedReference } from '../../src/core/findings/findings.js';
import { parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import { fixture } from '../fixtures/explain/harness.js';

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return { next, pick: <T,>(a: readonly T[]): T => a[Math.floor(next() * a.length)] as T };
}

const VALUES = ['172.17.0.2/32', '172.17.0.2', '10.0.0.0/8', '2001:db8::5/128', '2001:db8::/64', 'fe80::1', '198.51.100.7/32,10.1.0.0/16,172.18.0.9',
  'not-an-address', '172.17.0.3/32,bad', '0.0.0.0/0', '::ffff:172.17.0.4', '010.0.0.1/32'];

function rules(save: string, family: 4 | 6 = 4) {
  return parseIptablesSave(save, { family, backend: 'nft', source: 'test' }).tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
}

test('addresses named: lab captures', () => {
  let n = 0;
  for (const f of ['lab/main/iptables-save.txt', 'lab/alt/iptables-save.txt']) {
    for (const r of rules(fixture(f))) {
      assert.deepEqual(addressesNamedOf(r), addressesNamedReference(r), r.text);
      n++;
    }
  }
  assert.ok(n > 50);
});

test('addresses named: generated rules', () => {
  const r = prng(7);
  const lines: string[] = ['*nat', ':DOCKER - [0:0]'];
  for (let k = 0; k < 600; k++) {
    const parts = ['-A DOCKER'];
    if (r.next() < 0.5) parts.push(`${r.next() < 0.2 ? '! ' : ''}${r.pick(['-s', '--source', '--src'])} ${r.pick(VALUES)}`);
    if (r.next() < 0.5) parts.push(`${r.next() < 0.2 ? '! ' : ''}${r.pick(['-d', '--destination', '--dst'])} ${r.pick(VALUES)}`);
    if (r.next() < 0.1) parts.push(`-d ${r.pick(VALUES)}`); // a second -d: only the first counts
    parts.push('-p tcp -m tcp --dport 80');
    parts.push(r.next() < 0.5 ? `-j DNAT --to-destination ${r.pick(['172.17.0.9:80', '[2001:db8::9]:80', '172.17.0.1-172.17.0.5', ':8080', '2001:db8::7', 'x:y'])}` : '-j RETURN');
    lines.push(parts.join(' '));
  }
  lines.push('COMMIT', '');
  let named = 0;
  for (const rule of rules(lines.join('\n'))) {
    const got = addressesNamedOf(rule);
    assert.deepEqual(got, addressesNamedReference(rule), rule.text);
    named += got.length;
  }
  assert.ok(named > 100, 'the rules name addresses');
});
