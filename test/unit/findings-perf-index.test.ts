// The per-port findings checks look only at the rules an index says can name
// the port; on generated rule sets they must find exactly what testing every
// rule against every published port finds (a brute-force reference written
// from the checks' definitions).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build, fixture, labCapture, withRules, type Built } from '../fixtures/explain/harness.js';
import { findFindings } from '../../src/core/findings/index.js';
import { inNet, net } from '../../src/core/explain/cidr.js';
import { mayMatch } from '../../src/core/model/match.js';
import { packetShapes } from '../../src/core/model/path.js';
import type { HostModel, RuleRef } from '../../src/core/model/types.js';
import { dports, opt, portMatches } from '../../src/core/parse/rule-query.js';
import { normalizeAddr } from '../../src/core/net/addr.js';
import type { Family, Rule } from '../../src/core/types.js';

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return { next, pick: <T,>(a: readonly T[]): T => a[Math.floor(next() * a.length)] as T };
}

// The lab's published host ports and container ports, and some others.
const PORTS = [80, 90, 53, 5353, 7000, 7001, 7002, 8080, 8081, 8082, 8083, 8084, 9090, 9091, 22, 443, 6000];

function portSpec(r: ReturnType<typeof prng>, proto: string): string {
  const neg = r.next() < 0.1 ? '! ' : '';
  const k = r.next();
  if (k < 0.4) return `-m ${proto} ${neg}--dport ${r.pick(PORTS)}`;
  if (k < 0.55) {
    const a = r.pick(PORTS);
    return `-m ${proto} ${neg}--dport ${a}:${a + Math.floor(r.next() * 1500)}`;
  }
  if (k < 0.65) return `-m ${proto} ${neg}--dport ${r.pick([':1024', '8000:', '7001:7001'])}`;
  if (k < 0.9) return `-m multiport ${neg}--dports ${[r.pick(PORTS), `${r.pick(PORTS)}:${r.pick(PORTS) + 3}`, r.pick(PORTS), r.pick(PORTS)].join(',')}`;
  return '';
}

function randRule(r: ReturnType<typeof prng>, chain: string): string {
  const parts = [`-A ${chain}`];
  if (r.next() < 0.2) parts.push(`${r.next() < 0.2 ? '! ' : ''}-s ${r.pick(['198.51.100.11', '203.0.113.0/24', '172.17.0.0/16'])}`);
  if (r.next() < 0.25) parts.push(`${r.next() < 0.2 ? '! ' : ''}-d ${r.pick(['198.51.100.1', '127.0.0.1', '224.0.0.251', '172.17.0.2', '198.51.100.1,10.0.0.1', '255.255.255.255'])}`);
  if (r.next() < 0.2) parts.push(`${r.next() < 0.3 ? '! ' : ''}-i ${r.pick(['eth0', 'lo', 'docker0', 'br+'])}`);
  const proto = r.pick(['tcp', 'tcp', 'udp', 'all']);
  if (proto !== 'all' || r.next() < 0.5) parts.push(`${r.next() < 0.05 ? '! ' : ''}-p ${proto}`);
  if (proto !== 'all') parts.push(portSpec(r, proto));
  if (chain === 'DOCKER-USER' && r.next() < 0.1) parts.push(`-m conntrack --ctorigdstport ${r.pick(PORTS)} --ctdir ORIGINAL`);
  parts.push(`-j ${r.pick(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'LOG', chain === 'INPUT' ? 'OPS-IN' : 'ACCEPT'])}`);
  return parts.filter((x) => x !== '').join(' ');
}

function randomLab(seed: number): Built {
  const r = prng(seed);
  const lines: string[] = [];
  const n = 20 + Math.floor(r.next() * 60);
  for (let k = 0; k < n; k++) lines.push(randRule(r, r.pick(['INPUT', 'INPUT', 'OPS-IN', 'DOCKER-USER', 'DOCKER-USER'])));
  let save = fixture('lab/main/iptables-save.txt');
  save = withRules(save, 'filter', { prepend: lines });
  save = save.replace(':DOCKER-USER - [0:0]', ':DOCKER-USER - [0:0]\n:OPS-IN - [0:0]');
  return build(labCapture('main', { 'iptables-save.txt': save }));
}

// ------------------------------------------------------------ the reference

/** Rules reachable from a chain, every jump followed once, in walk order. */
function tree(model: HostModel, family: Family, table: string, start: string): RuleRef[] {
  const info = model.families.find((f) => f.family === family)!;
  const backend = info.backend ?? info.backends[0];
  const of = (c: string) => model.rules.filter((x) => x.rule.family === family && x.rule.backend === backend && x.rule.table === table && x.rule.chain === c).sort((a, b) => a.rule.position - b.rule.position);
  const out: RuleRef[] = [];
  const seen = new Set<string>();
  const walk = (c: string) => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const ref of of(c)) {
      out.push(ref);
      const t = ref.rule.target;
      if (t && of(t).length > 0) walk(t);
    }
  };
  walk(start);
  return out;
}

function protoOk(r: Rule, proto: string): boolean {
  const p = opt(r, '-p');
  if (!p || !p.values[0]) return true;
  const v = p.values[0].toLowerCase();
  const hit = v === 'all' || v === '0' || v === proto;
  return p.negated ? !hit : hit;
}

function dstCanBeHost(r: Rule, local: string[]): boolean {
  const d = opt(r, '-d');
  if (!d || d.negated || !d.values[0]) return true;
  return d.values[0].split(',').some((v) => {
    const c = net(v);
    if (!c) return true;
    if (inNet(c.family === 4 ? '224.0.0.0/4' : 'ff00::/8', c.addr) === true || (c.family === 4 && c.addr === '255.255.255.255')) return false;
    return local.length === 0 || local.some((a) => inNet(v, a) === true);
  });
}

function expectedInputHits(b: Built): string[] {
  const m = b.model;
  const local = m.addresses.map((a) => normalizeAddr(a.local) ?? a.local);
  const out: string[] = [];
  for (const p of m.published) {
    if (!p.dnat || !m.families.some((f) => f.family === p.family)) continue;
    const { pre } = packetShapes(p);
    for (const ref of tree(m, p.family, 'filter', 'INPUT')) {
      const r = ref.rule;
      if (ref.provenance === 'docker' || !r.target || !['ACCEPT', 'DROP', 'REJECT'].includes(r.target)) continue;
      const dp = dports(r);
      if (!dp || dp.negated || !portMatches(dp, p.hostPort) || !protoOk(r, p.proto)) continue;
      if (mayMatch(r, pre) === 'no' || !dstCanBeHost(r, local)) continue;
      out.push(`${p.key} ${ref.key}`);
    }
  }
  return out.sort();
}

function expectedUserHits(b: Built): string[] {
  const m = b.model;
  const out: string[] = [];
  for (const p of m.published) {
    if (!p.dnat || p.hostPort === p.containerPort || !m.families.some((f) => f.family === p.family)) continue;
    const { post } = packetShapes(p);
    for (const ref of tree(m, p.family, 'filter', 'DOCKER-USER')) {
      const r = ref.rule;
      if (ref.provenance === 'docker' || ref.provenance === 'portcullis' || !r.target) continue;
      const dp = dports(r);
      if (!dp || dp.negated || !portMatches(dp, p.hostPort) || portMatches(dp, p.containerPort) || !protoOk(r, p.proto)) continue;
      if (opt(r, '--ctorigdstport')) continue;
      if (mayMatch(r, { ...post, dport: p.hostPort }) === 'no') continue;
      out.push(`${p.key} ${ref.key}`);
    }
  }
  return out.sort();
}

describe('indexed per-port checks = every rule against every port', () => {
  for (let seed = 1; seed <= 30; seed++) {
    it(`random operator rules ${seed}`, () => {
      const b = randomLab(seed);
      // No explain needed for these two checks: a zero budget keeps the test quick.
      const f = findFindings(b.model, { maxExplains: 0 });
      const got = (kind: string) => f.filter((x) => x.kind === kind).map((x) => `${x.subject.kind === 'port' ? x.subject.key : '?'} ${x.rules[0]?.key}`).sort();
      assert.deepEqual(got('input-rule-on-published-port'), expectedInputHits(b));
      assert.deepEqual(got('docker-user-host-port'), expectedUserHits(b));
    });
  }
  it('the generated rules do hit (the comparison is not vacuous)', () => {
    let input = 0;
    let user = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const b = randomLab(seed);
      input += expectedInputHits(b).length;
      user += expectedUserHits(b).length;
    }
    assert.ok(input > 30 && user > 30, `${input} INPUT and ${user} DOCKER-USER hits`);
  });
});
