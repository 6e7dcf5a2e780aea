// A parse through a RuleCache (the TUI re-reads the same dump every tick)
// must not keep old dumps alive. V8 keeps a slice of 13+ characters as a view
// into the whole string it was cut from, so a Rule whose text or chain name
// was cut from tick N's dump kept that dump (megabytes on a big host) for as
// long as the rule lived: a rule whose counters moved once and then stayed
// still kept its tick's dump for hours. Measured with the garbage collector
// run by hand: heap growth over many ticks must stay far below one dump per
// tick (it was about one dump per tick before RuleCache.canonical/name).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRuleCache, parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import type { Ruleset } from '../../src/core/types.js';
// @ts-expect-error plain JS helper
import { rulesText } from '../../scripts/bench.d/gen.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
};

/** The generated Docker-shaped ruleset with `[0:0] ` counters on every rule line. */
function dump(): string[] {
  const { text } = rulesText({ bridges: 200, ports: 3000, operator: 300 }) as { text: string };
  return text.split('\n').map((l) => (l.startsWith('-I ') ? `[0:0] ${l.replace(/^-I (\S+) 1 /, '-A $1 ')}` : l.startsWith('-A ') ? `[0:0] ${l}` : l));
}

test('rules parsed through the cache keep no earlier dump alive', () => {
  let lines = dump();
  const ruleAt = lines.map((l, i) => (l.startsWith('[') ? i : -1)).filter((i) => i >= 0);
  const opts = { family: 4 as const, backend: 'nft' as const, source: 'iptables-save.txt' };
  const cache = createRuleCache();
  const size = lines.join('\n').length / 1048576; // MB: an ASCII dump is a one-byte string in V8
  let kept: Ruleset = parseIptablesSave(lines.join('\n'), { ...opts, cache });
  let before = 0;
  const ticks = 40;
  for (let t = 1; t <= ticks; t++) {
    // Each tick moves the counters of a few rules no other tick touches.
    lines = lines.slice();
    for (let k = 0; k < 4; k++) {
      const i = ruleAt[(t * 4 + k) * 7919 % ruleAt.length]!;
      lines[i] = lines[i]!.replace(/^\[0:0\]/, `[${t}:${t * 60}]`);
    }
    kept = parseIptablesSave(lines.join('\n'), { ...opts, cache });
    if (t === 5) before = heapMb();
  }
  const grown = heapMb() - before;
  // The rules whose counters moved are really new objects with the new counters.
  const moved = kept.tables.flatMap((tb) => tb.chains.flatMap((c) => c.rules)).filter((r) => (r.counters?.packets ?? 0) > 0);
  assert.equal(moved.length, ticks * 4);
  assert.ok(size > 0.5, `dump of ${size.toFixed(2)} MB: big enough that keeping one per tick shows`);
  assert.ok(grown < size * 5, `heap grew ${grown.toFixed(1)} MB over ${ticks - 5} ticks of a ${size.toFixed(2)} MB dump (one dump per tick would be ${((ticks - 5) * size).toFixed(0)} MB)`);
});
