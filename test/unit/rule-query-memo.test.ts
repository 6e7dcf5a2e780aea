// dports/sports are memoised per option object and dnatTarget per value text
// (rules carrying the same option share it): what they give must be what an
// unmemoised reading of each rule gives, whatever order rules are asked in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dnatTarget, dports, parseDnatValue, portMatchUncached, sports, targetOpt } from '../../src/core/parse/rule-query.js';
import { parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import { fixture } from '../fixtures/explain/harness.js';
import type { Rule } from '../../src/core/types.js';

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return { next, pick: <T,>(a: readonly T[]): T => a[Math.floor(next() * a.length)] as T };
}

const PORTS = ['80', '443', '7000:7002', ':1024', '1024:', '80,443', '70000', 'x', '8080'];

function generated(seed: number): Rule[] {
  const r = prng(seed);
  const lines = ['*nat', ':DOCKER - [0:0]'];
  for (let k = 0; k < 500; k++) {
    const p = ['-A DOCKER', '-p tcp'];
    const d = r.next();
    if (d < 0.3) p.push(`-m tcp ${r.next() < 0.2 ? '! ' : ''}${r.pick(['--dport', '--destination-port'])} ${r.pick(PORTS)}`);
    else if (d < 0.5) p.push(`-m multiport ${r.next() < 0.2 ? '! ' : ''}${r.pick(['--dports', '--destination-ports'])} ${r.pick(PORTS)}`);
    if (r.next() < 0.3) p.push(`${r.pick(['--sport', '--source-port', '--sports'])} ${r.pick(PORTS)}`);
    if (r.next() < 0.1) p.push(`--dport ${r.pick(PORTS)}`); // a second one: the first counts
    p.push(r.next() < 0.6 ? `-j DNAT --to-destination ${r.pick(['172.17.0.2:80', '172.17.0.2', '[2001:db8::2]:80', ':8080', '172.17.0.2:80-81', '1.2.3.4:x', '2001:db8::2'])}` : '-j RETURN');
    lines.push(p.join(' '));
  }
  lines.push('COMMIT', '');
  return parseIptablesSave(lines.join('\n'), { family: 4, backend: 'nft', source: 't' }).tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
}

function check(rules: Rule[]): void {
  for (const r of rules) {
    assert.deepEqual(dports(r), portMatchUncached(r, 'dports'), r.text);
    assert.deepEqual(sports(r), portMatchUncached(r, 'sports'), r.text);
    assert.equal(dports(r), dports(r), 'same object again');
    const v = targetOpt(r, '--to-destination')?.values[0];
    assert.deepEqual(dnatTarget(r), v === undefined ? null : parseDnatValue(v), r.text);
  }
}

test('memoised port and DNAT readings equal unmemoised ones: lab captures', () => {
  for (const f of ['lab/main/iptables-save.txt', 'lab/alt/iptables-save.txt']) check(parseIptablesSave(fixture(f), { family: 4, backend: 'nft', source: 't' }).tables.flatMap((t) => t.chains.flatMap((c) => c.rules)));
});

test('memoised port and DNAT readings equal unmemoised ones: generated rules, asked in two orders', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const rules = generated(seed);
    check(seed % 2 === 0 ? [...rules].reverse() : rules);
    assert.ok(rules.filter((r) => dports(r) !== null).length > 100);
  }
});
