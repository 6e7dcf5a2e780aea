// explain compiles each match option once per option object, and the parser
// shares one option object between every rule that carries the same option:
// a rule's answers must not depend on that sharing. Each rule is evaluated
// as parsed (options shared with the rest of the dump, compiled by whichever
// rule came first) and as a copy whose options are fresh objects of its own;
// the verdicts, reasons and candidate lists must be the same, and the same
// as those of a compile that memoises nothing; the candidate index read
// straight off the options (chainCandidates, what explain uses) equals the
// one over compiled rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build, fixture, labCapture, withRules, type Built } from '../fixtures/explain/harness.js';
import { hostAddrs } from '../../src/core/explain/index.js';
import { chainCandidates, compileRule, compileRuleFresh, evaluateRule, judgeRule, ruleAnswer, ruleCandidates } from '../../src/core/explain/evaluate.js';
import type { Iface, Packet } from '../../src/core/explain/packet.js';
import type { Rule } from '../../src/core/types.js';

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return { next, pick: <T,>(a: readonly T[]): T => a[Math.floor(next() * a.length)] as T };
}

const PORTS = [22, 53, 80, 443, 8080, 9090, 6379];
const ADDRS = ['198.51.100.1', '203.0.113.0/24', '172.17.0.2', '172.17.0.0/16', '10.0.0.0/8', '198.51.100.1,172.17.0.9', '0.0.0.0/0', '127.0.0.1'];
const IFACES = ['eth0', 'docker0', 'br+', 'lo'];

/** Rules built from a few repeated options, so most options are shared. */
function randRule(r: ReturnType<typeof prng>): string {
  const parts = ['-A DOCKER-USER'];
  if (r.next() < 0.4) parts.push(`${r.next() < 0.2 ? '! ' : ''}-s ${r.pick(ADDRS)}`);
  if (r.next() < 0.4) parts.push(`${r.next() < 0.2 ? '! ' : ''}-d ${r.pick(ADDRS)}`);
  if (r.next() < 0.3) parts.push(`${r.next() < 0.3 ? '! ' : ''}-i ${r.pick(IFACES)}`);
  if (r.next() < 0.3) parts.push(`${r.next() < 0.3 ? '! ' : ''}-o ${r.pick(IFACES)}`);
  const proto = r.pick(['tcp', 'udp', null]);
  if (proto) {
    parts.push(`-p ${proto}`);
    const k = r.next();
    if (k < 0.5) parts.push(`-m ${proto} ${r.next() < 0.1 ? '! ' : ''}--dport ${r.pick(PORTS)}`);
    else if (k < 0.7) parts.push(`-m multiport --dports ${r.pick(PORTS)},${r.pick(PORTS)}:${r.pick(PORTS) + 5}`);
  }
  if (r.next() < 0.15) parts.push(`-m conntrack --ctorigdstport ${r.pick(PORTS)} --ctdir ORIGINAL`);
  if (r.next() < 0.1) parts.push(`-m conntrack --ctstate ${r.pick(['NEW', 'RELATED,ESTABLISHED'])}`);
  if (r.next() < 0.05) parts.push('-m limit --limit 3/min');
  if (r.next() < 0.1) parts.push(`-m comment --comment "op ${Math.floor(r.next() * 3)}"`);
  parts.push(`-j ${r.pick(['ACCEPT', 'DROP', 'RETURN', 'LOG'])}`);
  return parts.join(' ');
}

function host(seed: number): Built {
  const r = prng(seed);
  const lines: string[] = [];
  for (let k = 0; k < 60; k++) lines.push(randRule(r));
  const save = withRules(fixture('lab/main/iptables-save.txt'), 'filter', { prepend: lines });
  return build(labCapture('main', { 'iptables-save.txt': save }));
}

/** The rule with fresh option objects (and arrays) of its own: nothing shared with other rules. */
function unshared(rule: Rule): Rule {
  const copy = (o: Rule['matches'][number]) => ({ ...o, values: [...o.values] });
  return { ...rule, matches: rule.matches.map(copy), targetOptions: rule.targetOptions.map(copy) };
}

function packet(r: ReturnType<typeof prng>, bridges: string[]): Packet {
  const iface = (): Iface => {
    const k = r.next();
    if (k < 0.5) return { kind: 'name', name: r.pick(['eth0', 'lo', ...bridges]) };
    if (k < 0.6) return { kind: 'none' };
    if (k < 0.9) return { kind: 'external', except: ['lo', ...bridges] };
    return { kind: 'unknown' };
  };
  const addr = () => r.pick([null, '198.51.100.1', '203.0.113.7', '172.17.0.2', '172.18.0.3', '10.9.8.7', '127.0.0.1']);
  const port = () => (r.next() < 0.15 ? null : r.pick([...PORTS, 1, 3000]));
  const dst = addr();
  return {
    family: 4, proto: r.pick(['tcp', 'udp', 'icmp']), src: addr(), dst, sport: port(), dport: port(),
    origSrc: addr(), origDst: addr(), origSport: port(), origDport: port(),
    dstIsHost: dst === null ? r.next() < 0.7 : r.next() < 0.3, inIface: iface(), outIface: iface(),
    dnat: r.next() < 0.5, snat: false, untracked: false,
    mark: { value: 0, known: 0xffffffff }, ctmark: { value: 0, known: 0 }, localOrigin: r.next() < 0.2,
  };
}

describe('compiled options shared between rules give the answers of unshared ones', () => {
  for (let seed = 1; seed <= 6; seed++) {
    it(`random host ${seed}`, () => {
      const b = host(seed);
      const rules = b.model.rules.map((x) => x.rule);
      const copies = rules.map(unshared);
      // Compile some copies before their originals and some after, so either may fill a lazy field first.
      rules.forEach((rule, i) => (i % 2 === 0 ? compileRule(copies[i]!) : compileRule(rule)));
      const ha = hostAddrs(b.snap.addresses, b.model);
      const bridges = b.model.bridges.map((x) => x.name);
      const shared = ruleCandidates(rules, (i) => compileRule(rules[i]!));
      const own = ruleCandidates(copies, (i) => compileRule(copies[i]!));
      const fresh = ruleCandidates(rules, (i) => compileRuleFresh(rules[i]!));
      const raw = chainCandidates(rules);
      let sharedOptions = 0;
      const seen = new Set<object>();
      for (const rule of rules) for (const o of rule.matches) seen.has(o) ? sharedOptions++ : seen.add(o);
      assert.ok(sharedOptions > 100, `options are shared between rules (${sharedOptions})`);
      const r = prng(seed * 17);
      for (let k = 0; k < 120; k++) {
        const pkt = packet(r, bridges);
        assert.deepEqual(shared.at(pkt), own.at(pkt));
        assert.deepEqual(shared.at(pkt), fresh.at(pkt));
        assert.deepEqual(raw.at(pkt), shared.at(pkt), 'chainCandidates files rules as ruleCandidates does');
        rules.forEach((rule, i) => {
          const copy = copies[i]!;
          assert.deepEqual(evaluateRule(rule, pkt, ha), evaluateRule(copy, pkt, ha), rule.text);
          assert.deepEqual(judgeRule(rule, pkt, ha), judgeRule(copy, pkt, ha), rule.text);
          assert.equal(ruleAnswer(rule, pkt, ha), ruleAnswer(copy, pkt, ha), rule.text);
          // and what a compile without any memo gives
          assert.deepEqual(judgeRule(rule, pkt, ha), judgeRule(rule, pkt, ha, compileRuleFresh(rule)), rule.text);
          assert.equal(ruleAnswer(rule, pkt, ha), ruleAnswer(rule, pkt, ha, compileRuleFresh(rule)), rule.text);
        });
      }
    });
  }
});
