// A RuleCache gives back last parse's rule objects for rules equal in every
// field (the refresh of a busy host moves a few counters of thousands), and
// a parse through it still equals a fresh parse, whatever changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuleCache, parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import type { Rule, Ruleset } from '../../src/core/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DUMP = readFileSync(path.join(here, '../fixtures/lab/main/iptables-save.txt'), 'utf8');
const opts = { family: 4 as const, backend: 'nft' as const, source: 'iptables-save.txt' };
const rules = (rs: Ruleset): Rule[] => rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));

test('an unchanged dump gives back the same rule objects, equal to a fresh parse', () => {
  const cache = createRuleCache();
  const a = parseIptablesSave(DUMP, { ...opts, cache });
  const b = parseIptablesSave(DUMP.replace(/^# Generated.*$/m, '# Generated later'), { ...opts, cache });
  assert.ok(rules(a).length > 20);
  rules(b).forEach((r, i) => assert.equal(r, rules(a)[i], `rule ${i} reused`));
  assert.deepStrictEqual(b, parseIptablesSave(DUMP.replace(/^# Generated.*$/m, '# Generated later'), opts));
});

test('a rule whose counters moved is a new object; the others are reused', () => {
  const cache = createRuleCache();
  const a = parseIptablesSave(DUMP, { ...opts, cache });
  const target = rules(a).find((r) => r.chain === 'DOCKER' && r.table === 'nat')!;
  assert.ok(target, 'a DNAT rule');
  const moved = DUMP.replace(`-A DOCKER ${target.text}`, `-A DOCKER ${target.text}`).replace(
    new RegExp(`^\\[\\d+:\\d+\\] (-A DOCKER ${target.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')})$`, 'm'),
    '[777:7777] $1',
  );
  assert.notEqual(moved, DUMP);
  const b = parseIptablesSave(moved, { ...opts, cache });
  assert.deepStrictEqual(b, parseIptablesSave(moved, opts));
  const nb = rules(b).find((r) => r.table === 'nat' && r.chain === 'DOCKER' && r.text === target.text)!;
  assert.notEqual(nb, target);
  assert.deepEqual(nb.counters, { packets: 777, bytes: 7777 });
  const reused = rules(b).filter((r, i) => r === rules(a)[i]).length;
  assert.equal(reused, rules(a).length - 1, 'all but the moved rule');
});

test('a rule inserted at the top of a chain: the rules after it take new positions and lines', () => {
  const cache = createRuleCache();
  parseIptablesSave(DUMP, { ...opts, cache });
  const inserted = DUMP.replace(/^(\[\d+:\d+\] -A DOCKER-USER -j RETURN)$/m, '[0:0] -A DOCKER-USER -s 192.0.2.7/32 -j DROP\n$1');
  assert.notEqual(inserted, DUMP);
  const b = parseIptablesSave(inserted, { ...opts, cache });
  assert.deepStrictEqual(b, parseIptablesSave(inserted, opts));
});
