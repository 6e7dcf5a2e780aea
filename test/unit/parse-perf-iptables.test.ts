// The rule parser interns tokens and shares identical options between rules
// (src/core/parse/iptables-tokens.ts, intern.ts). Sharing must not change what
// a rule says: every rule equals the same rule parsed alone in a fresh order,
// shared options are frozen, and options with quoted values stay per rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIptablesSave, parseRuleText, serializeRuleset, tokenize } from '../../src/core/parse/iptables-save.js';
import type { RuleOption } from '../../src/core/types.js';

const plain = (o: RuleOption) => ({ flag: o.flag, values: [...o.values], negated: o.negated, module: o.module });

test('repeated options are one frozen object; a quoted value is never shared', () => {
  const text = [
    '*filter',
    ':DOCKER - [0:0]',
    '-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
    '-A DOCKER -d 172.17.0.3/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
    '-A DOCKER -s 10.0.0.0/8 -m comment --comment "same words" -j DROP',
    '-A DOCKER -s 10.0.0.0/8 -m comment --comment "same words" -j DROP',
    'COMMIT',
    '',
  ].join('\n');
  const rs = parseIptablesSave(text, { family: 4, backend: 'nft', source: 't' });
  assert.equal(serializeRuleset(rs), text);
  const [a, b, c, d] = rs.tables[0]!.chains[0]!.rules;
  for (let k = 1; k < a!.matches.length; k++) {
    assert.equal(a!.matches[k], b!.matches[k], `option ${a!.matches[k]!.flag} shared`);
    assert.ok(Object.isFrozen(a!.matches[k]) && Object.isFrozen(a!.matches[k]!.values));
  }
  assert.notEqual(a!.matches[0], b!.matches[0]); // different -d
  const comment = (r: typeof c) => r!.matches.find((o) => o.flag === '--comment')!;
  assert.notEqual(comment(c), comment(d));
  assert.equal(c!.comment, 'same words');
  assert.ok(!Object.isFrozen(comment(c)));
});

const tok = fc.constantFrom('-p', 'tcp', 'udp', '-m', 'tcp', 'multiport', '--dport', '--dports', '80', '80,443', '!', '-s', '10.0.0.0/8', '-d', '172.17.0.2/32', '-i', '-o', 'docker0', 'br-0123456789ab', '--ctstate', 'RELATED,ESTABLISHED', '"quoted words"', '-j', 'ACCEPT', 'DROP', 'DNAT', '--to-destination', '172.17.0.2:80', '-c', '5', '7');

// Reference: what each option must say, read straight off the tokens.
const OWN = new Set(['-s', '--source', '--src', '-d', '--destination', '--dst', '-i', '--in-interface', '-o', '--out-interface', '-f', '--fragment', '-4', '--ipv4', '-6', '--ipv6', '-p', '--protocol', '-m', '--match', '-c', '--set-counters']);
const isFlag = (t: { value: string; quoted: boolean }) => !t.quoted && t.value.length > 1 && t.value.startsWith('-') && !/^-\d/.test(t.value);

function expected(text: string): { matches: RuleOption[]; targetOptions: RuleOption[] } | null {
  const r = tokenize(text);
  if (!r.ok) return null;
  const t = r.tokens;
  const matches: RuleOption[] = [];
  const targetOptions: RuleOption[] = [];
  let cur: RuleOption | null = null;
  let module: string | null = null;
  let target: string | null = null;
  for (let i = 0; i < t.length; i++) {
    const x = t[i]!;
    if (!x.quoted && x.value === '!') {
      if (i + 1 < t.length && isFlag(t[i + 1]!)) continue;
      return null; // old-style negation: not modelled here
    }
    if (isFlag(x)) {
      const negated = i > 0 && !t[i - 1]!.quoted && t[i - 1]!.value === '!';
      if (x.value === '-j' || x.value === '-g') {
        target = t[i + 1]?.value ?? null;
        i++;
        cur = null;
        continue;
      }
      cur = { flag: x.value, values: [], negated, module: OWN.has(x.value) ? null : target !== null ? target : module };
      (target !== null ? targetOptions : matches).push(cur);
      continue;
    }
    if (cur === null) return null;
    cur.values.push(x.value);
    if (cur.values.length === 1 && target === null) {
      if (cur.flag === '-m' || cur.flag === '--match') module = x.value;
      else if ((cur.flag === '-p' || cur.flag === '--protocol') && !cur.negated && /^[a-z][a-z0-9-]*$/.test(x.value.toLowerCase())) module = x.value.toLowerCase();
    }
  }
  return { matches, targetOptions };
}

test('rules parsed among many others equal the same text parsed on its own first', () => {
  fc.assert(
    fc.property(fc.array(fc.array(tok, { minLength: 1, maxLength: 12 }).map((t) => t.join(' ')), { minLength: 1, maxLength: 30 }), (texts) => {
      const together = texts.map((t) => parseRuleText(t));
      // Parsed again in reverse order: other options are shared first.
      const alone = [...texts].reverse().map((t) => parseRuleText(t)).reverse();
      together.forEach((r, i) => {
        const s = alone[i]!;
        assert.equal(r.ok, s.ok);
        if (r.ok && s.ok) {
          assert.deepStrictEqual(r.body.matches.map(plain), s.body.matches.map(plain));
          assert.deepStrictEqual(r.body.targetOptions.map(plain), s.body.targetOptions.map(plain));
          assert.deepStrictEqual({ ...r.body, matches: [], targetOptions: [] }, { ...s.body, matches: [], targetOptions: [] });
          assert.equal(r.body.matches.filter((o) => o.values.some((v) => v.includes(' '))).filter((o) => Object.isFrozen(o)).length, 0, 'quoted values never shared');
          const want = r.warnings.length === 0 ? expected(texts[i]!) : null;
          if (want) assert.deepStrictEqual({ matches: r.body.matches.map(plain), targetOptions: r.body.targetOptions.map(plain) }, want, texts[i]);
        }
      });
    }),
    { numRuns: 300 },
  );
});
