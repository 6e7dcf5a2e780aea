// parseScanned records each option's parts and makes (or finds) the shared
// RuleOption only at the end, instead of building an object per option and
// dropping the repeats. Its results must be the old parser's: this file keeps
// that parser (as of cf12d7c, sharing left out: it marks the options it
// would have shared) and compares both on generated token sequences, odd
// ones included (old-style `-s ! X`, `-c P B` in -S mode, `-m` without a
// name, quoted values, tokens after the target, misplaced `!`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRuleText, tokenize } from '../../src/core/parse/iptables-tokens.js';
import type { ParseRuleResult } from '../../src/core/parse/iptables-tokens.js';
import type { Counters, RuleOption } from '../../src/core/types.js';

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max)}…`);
function isFlagText(v: string): boolean {
  if (v.length < 2 || v.charCodeAt(0) !== 45) return false;
  const c1 = v.charCodeAt(1);
  return !(c1 >= 48 && c1 <= 57);
}
const K_MODULE_OPT = 0;
const K_BASE = 1;
const K_MATCH = 2;
const K_PROTO = 3;
const K_JUMP = 4;
const K_GOTO = 5;
const K_COUNTERS = 6;
const FLAG_KIND = new Map<string, number>([
  ['-s', K_BASE], ['--source', K_BASE], ['--src', K_BASE],
  ['-d', K_BASE], ['--destination', K_BASE], ['--dst', K_BASE],
  ['-i', K_BASE], ['--in-interface', K_BASE],
  ['-o', K_BASE], ['--out-interface', K_BASE],
  ['-f', K_BASE], ['--fragment', K_BASE],
  ['-4', K_BASE], ['--ipv4', K_BASE], ['-6', K_BASE], ['--ipv6', K_BASE],
  ['-p', K_PROTO], ['--protocol', K_PROTO],
  ['-m', K_MATCH], ['--match', K_MATCH],
  ['-j', K_JUMP], ['--jump', K_JUMP],
  ['-g', K_GOTO], ['--goto', K_GOTO],
  ['-c', K_COUNTERS], ['--set-counters', K_COUNTERS],
]);
const kindOf = (flag: string): number => FLAG_KIND.get(flag) ?? K_MODULE_OPT;
const NO_WARNINGS: readonly string[] = Object.freeze([]);
const PROTO_NAME = /^[a-z][a-z0-9-]*$/;
const DIGITS = /^[0-9]{1,16}$/;

/** The old parser, word for word but for its last step (sharing), which it only marks. */
function referenceParse(SV: string[], SQ: boolean[], takeCounters: boolean, shareable: Set<RuleOption>): ParseRuleResult {
  const isFlagAt = (i: number): boolean => SQ[i] === false && isFlagText(SV[i] as string);
  const isBangAt = (i: number): boolean => SQ[i] === false && SV[i] === '!';
  const matches: RuleOption[] = [];
  const modules: string[] = [];
  const targetOptions: RuleOption[] = [];
  let warnings: string[] | null = null;
  let target: string | null = null;
  let goto = false;
  let comment: string | null = null;
  let counters: Counters | null = null;
  let module: string | null = null;
  let inTarget = false;
  let afterTargetName = false;
  let cur: RuleOption | null = null;
  let curKind = K_MODULE_OPT;
  let pendingNeg = false;
  /** Options with a quoted value (a comment, a log prefix): never shared. */
  let quotedOpts: Set<RuleOption> | null = null;
  const n = SV.length;

  for (let i = 0; i < n; i++) {
    const value = SV[i] as string;
    if (isBangAt(i)) {
      if (pendingNeg) return { ok: false, error: "double '!'" };
      if (i + 1 >= n) return { ok: false, error: "'!' at the end of the rule" };
      if (isFlagAt(i + 1)) {
        pendingNeg = true;
        continue;
      }
      // Old style `-s ! 10.0.0.0/8`: negates the option whose value follows.
      if (cur !== null && cur.values.length === 0 && !cur.negated) {
        cur.negated = true;
        continue;
      }
      return { ok: false, error: "'!' not followed by an option or a value" };
    }
    if (isFlagAt(i)) {
      const flag = value;
      const negated = pendingNeg;
      pendingNeg = false;
      const kind = kindOf(flag);
      if (kind === K_JUMP || kind === K_GOTO) {
        if (target !== null) return { ok: false, error: 'a second -j/-g' };
        if (negated) return { ok: false, error: `'!' before ${flag}` };
        if (i + 1 >= n || isFlagAt(i + 1) || isBangAt(i + 1)) {
          return { ok: false, error: `${flag} without a target` };
        }
        target = SV[i + 1] as string;
        goto = kind === K_GOTO;
        inTarget = true;
        afterTargetName = true;
        cur = null;
        i++;
        continue;
      }
      afterTargetName = false;
      const opt: RuleOption = {
        flag,
        values: [],
        negated,
        module: kind !== K_MODULE_OPT ? null : inTarget ? target : module,
      };
      curKind = kind;
      if (inTarget) targetOptions.push(opt);
      else matches.push(opt);
      cur = opt;
      continue;
    }
    // A value.
    if (afterTargetName) {
      (warnings ??= []).push(`unexpected token after -j ${target ?? ''}: ${cut(value, 60)}`);
      continue;
    }
    if (cur === null) return { ok: false, error: `value before any option: ${cut(value, 60)}` };
    cur.values.push(value);
    if (SQ[i] === true) (quotedOpts ??= new Set()).add(cur);
    if (cur.values.length === 1 && !inTarget) {
      if (curKind === K_MATCH) {
        module = value;
        modules.push(value);
      } else if (curKind === K_PROTO) {
        const p = value.toLowerCase();
        if (!cur.negated && PROTO_NAME.test(p)) module = p;
      }
    }
  }
  if (pendingNeg) return { ok: false, error: "'!' at the end of the rule" };

  // -m needs a name; -c P B is counters, not a match.
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k] as RuleOption;
    const kind = kindOf(m.flag);
    if (kind === K_MATCH && m.values.length === 0) {
      return { ok: false, error: `${m.flag} without a module name` };
    }
    if (takeCounters && counters === null && kind === K_COUNTERS && m.values.length === 2) {
      const [p, b] = m.values as [string, string];
      if (DIGITS.test(p) && DIGITS.test(b)) {
        counters = { packets: Number(p), bytes: Number(b) };
        matches.splice(k, 1);
        k--;
        continue;
      }
    }
    if (comment === null && m.flag === '--comment') comment = m.values.join(' ');
  }

  for (let k = 0; k < matches.length; k++) if ((quotedOpts === null || !quotedOpts.has(matches[k]!)) && matches[k]!.values.length <= 1) shareable.add(matches[k]!);
  for (let k = 0; k < targetOptions.length; k++) if ((quotedOpts === null || !quotedOpts.has(targetOptions[k]!)) && targetOptions[k]!.values.length <= 1) shareable.add(targetOptions[k]!);

  return {
    ok: true,
    body: { matches, modules, target, goto, targetOptions, comment, counters },
    warnings: warnings ?? NO_WARNINGS,
  };
}


const plain = (o: RuleOption) => ({ flag: o.flag, values: [...o.values], negated: o.negated, module: o.module });

function reference(text: string, countersOption: boolean): { r: ParseRuleResult; shareable: Set<RuleOption> } | null {
  const t = tokenize(text);
  if (!t.ok) return null;
  const shareable = new Set<RuleOption>();
  const r = referenceParse(t.tokens.map((x) => x.value), t.tokens.map((x) => x.quoted), countersOption, shareable);
  return { r, shareable };
}

const tok = fc.constantFrom(
  '-p', 'tcp', 'TCP', 'udp', '!', '-m', '--match', 'tcp', 'multiport', 'conntrack', 'limit', '--dport', '--dports', '80', '80,443', '-s', '--source', '10.0.0.0/8',
  '-d', '172.17.0.2/32', '-i', '-o', 'docker0', '--ctstate', 'NEW', '"quoted words"', '"x"', '-j', '-g', 'ACCEPT', 'DNAT', 'LOG', '--to-destination', '172.17.0.2:80',
  '--log-prefix', '-c', '--set-counters', '5', '7', '-1', '--comment', 'a', 'b', '-f', '-4',
);

// Whole fragments too, so that rarer shapes (counters, old-style negation, quoted comments) come up often.
const frag = fc.constantFrom('-c 5 7', '-c 12 3400', '--set-counters 1 2', '-s ! 10.0.0.0/8', '-m comment --comment "a b"', '-p tcp -m tcp --dport 80', '! -i docker0', '-j ACCEPT', '-m', '-j DNAT --to-destination 172.17.0.2:80');
const text = fc.oneof(
  fc.array(tok, { minLength: 0, maxLength: 14 }).map((t) => t.join(' ')),
  fc.array(fc.oneof(frag, tok), { minLength: 1, maxLength: 8 }).map((t) => t.join(' ')),
);

test('parseRuleText equals the parser it replaced, shared options where that one shared them', () => {
  fc.assert(
    fc.property(text, fc.boolean(), (text, countersOption) => {
      const ref = reference(text, countersOption);
      const got = parseRuleText(text, { countersOption });
      if (ref === null) {
        assert.equal(got.ok, false);
        return;
      }
      const want = ref.r;
      assert.equal(got.ok, want.ok, text);
      if (!got.ok || !want.ok) {
        assert.deepEqual(got, want, text);
        return;
      }
      assert.deepStrictEqual(got.body.matches.map(plain), want.body.matches.map(plain), text);
      assert.deepStrictEqual(got.body.targetOptions.map(plain), want.body.targetOptions.map(plain), text);
      assert.deepStrictEqual({ ...got.body, matches: [], targetOptions: [] }, { ...want.body, matches: [], targetOptions: [] }, text);
      assert.deepStrictEqual([...got.warnings], [...want.warnings], text);
      const frozen = (l: RuleOption[]) => l.map((o) => Object.isFrozen(o) && Object.isFrozen(o.values));
      const marked = (l: RuleOption[]) => l.map((o) => ref.shareable.has(o));
      assert.deepStrictEqual(frozen(got.body.matches), marked(want.body.matches), `shared: ${text}`);
      assert.deepStrictEqual(frozen(got.body.targetOptions), marked(want.body.targetOptions), `shared: ${text}`);
    }),
    { numRuns: 4000 },
  );
});

test('equal shareable options are one object across rules', () => {
  const a = parseRuleText('-p tcp -m tcp --dport 80 -j DNAT --to-destination 172.17.0.2:80');
  const b = parseRuleText('-s 10.0.0.0/8 -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.17.0.2:80');
  assert.ok(a.ok && b.ok);
  assert.equal(a.body.matches[2], b.body.matches[3]);
  assert.equal(a.body.targetOptions[0], b.body.targetOptions[0]);
});
