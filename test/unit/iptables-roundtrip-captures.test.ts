// Round trip over every real or documented dump the project holds besides the
// seeds (which iptables-save.test.ts covers): the lab captures of both
// profiles and the layout fixtures. Parsing then serializing gives the input
// back byte for byte, with no parse issue, and with counters stripped on both
// sides when asked to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parseIptablesSave, serializeRuleset } from '../../src/core/parse/iptables-save.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const dumps: Array<{ name: string; family: 4 | 6; text: string }> = [];
for (const profile of readdirSync(new URL('lab/', fixtures))) {
  for (const file of ['iptables-save.txt', 'ip6tables-save.txt', 'iptables-legacy-save.txt', 'ip6tables-legacy-save.txt']) {
    const text = readFileSync(new URL(`lab/${profile}/${file}`, fixtures), 'utf8');
    if (text.trim()) dumps.push({ name: `lab/${profile}/${file}`, family: file.startsWith('ip6') ? 6 : 4, text });
  }
}
for (const file of readdirSync(new URL('layouts/', fixtures)).filter((f) => f.endsWith('.save'))) {
  dumps.push({ name: `layouts/${file}`, family: file.startsWith('ipv6') ? 6 : 4, text: readFileSync(new URL(`layouts/${file}`, fixtures), 'utf8') });
}

const stripCounters = (text: string) => text.replace(/^\[\d+:\d+\] /gm, '').replace(/^(:\S+ \S+) \[\d+:\d+\]$/gm, '$1 [0:0]');

test('there are lab and layout dumps to check', () => {
  assert.ok(dumps.filter((d) => d.name.startsWith('lab/')).length >= 3);
  assert.ok(dumps.filter((d) => d.name.startsWith('layouts/')).length >= 10);
});

for (const d of dumps) {
  test(`round trip: ${d.name}`, () => {
    const rs = parseIptablesSave(d.text, { family: d.family, backend: 'nft', source: d.name });
    assert.deepEqual(rs.issues, []);
    assert.ok(rs.tables.some((t) => t.chains.some((c) => c.rules.length > 0)), 'has rules');
    assert.equal(serializeRuleset(rs), d.text);
    assert.equal(serializeRuleset(rs, { counters: false }), stripCounters(d.text));
  });
}
