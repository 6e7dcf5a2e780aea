// The fast paths of explain give the same answers as the plain ones, on
// generated rule sets: a 'decisive' explain (what findings use) is the full
// explain without the steps it promises to leave out; the answer-only rule
// evaluation and the chain candidate index agree with evaluating every
// option; memoised rule data equals a fresh parse.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build, capture, fixture, ipAddrJson, labCapture, withRules, type Built } from '../fixtures/explain/harness.js';
import { explain, hostAddrs } from '../../src/core/explain/index.js';
import { compileRule, evaluateRule, judgeRule, ruleAnswer, ruleCandidates } from '../../src/core/explain/evaluate.js';
import type { Iface, Packet } from '../../src/core/explain/packet.js';
import type { ExplainResult, ExplainStep } from '../../src/core/explain/types.js';
import { parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import { dnatTarget, dports, parsePortList, sports } from '../../src/core/parse/rule-query.js';
import type { Rule } from '../../src/core/types.js';

// ------------------------------------------------------------ generators

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return { next, pick: <T,>(a: readonly T[]): T => a[Math.floor(next() * a.length)] as T };
}

const PORTS = [22, 53, 80, 443, 5353, 8080, 8081, 8082, 8083, 9090, 7000, 7001, 6379];
const ADDRS = ['198.51.100.1', '198.51.100.11', '203.0.113.0/24', '172.17.0.2', '172.17.0.9', '172.18.0.3', '172.17.0.0/16', '10.0.0.0/8', '198.51.100.1,172.17.0.9', '0.0.0.0/0', '127.0.0.1', '224.0.0.251', 'not-an-address'];
const IFACES = ['eth0', 'docker0', 'br-6b54a089989c', 'br+', 'lo', 'veth+', 'docker+'];

function randRule(r: ReturnType<typeof prng>, chain: string): string {
  const parts = [`-A ${chain}`];
  if (r.next() < 0.3) parts.push(`${r.next() < 0.2 ? '! ' : ''}-s ${r.pick(ADDRS.slice(0, -1))}`);
  if (r.next() < 0.3) parts.push(`${r.next() < 0.2 ? '! ' : ''}-d ${r.pick(ADDRS.slice(0, -1))}`);
  if (r.next() < 0.25) parts.push(`${r.next() < 0.3 ? '! ' : ''}-i ${r.pick(IFACES)}`);
  if (chain !== 'INPUT' && chain !== 'PREROUTING' && r.next() < 0.25) parts.push(`${r.next() < 0.3 ? '! ' : ''}-o ${r.pick(IFACES)}`);
  const proto = r.next() < 0.85 ? r.pick(['tcp', 'tcp', 'udp']) : null;
  if (proto) {
    parts.push(`${r.next() < 0.05 ? '! ' : ''}-p ${proto}`);
    const neg = r.next() < 0.1 ? '! ' : '';
    const k = r.next();
    if (k < 0.5) parts.push(`-m ${proto} ${neg}--dport ${r.pick(PORTS)}`);
    else if (k < 0.65) parts.push(`-m ${proto} ${neg}--dport ${r.pick(PORTS)}:${r.pick(PORTS) + 3000}`);
    else if (k < 0.85) parts.push(`-m multiport ${neg}--dports ${r.pick(PORTS)},${r.pick(PORTS)}:${r.pick(PORTS) + 5},${r.pick(PORTS)}`);
  }
  if (r.next() < 0.1) parts.push(`-m conntrack --ctorigdstport ${r.pick(PORTS)} --ctdir ORIGINAL`);
  if (r.next() < 0.1) parts.push(`-m conntrack --ctstate ${r.pick(['NEW', 'RELATED,ESTABLISHED', 'DNAT'])}`);
  if (r.next() < 0.07) parts.push(`-m addrtype --dst-type ${r.pick(['LOCAL', 'UNICAST'])}`);
  if (r.next() < 0.05) parts.push(`-m set --match-set ${r.pick(['blocklist', 'docker-ext-bridges-v4'])} ${r.pick(['src', 'dst'])}`);
  if (r.next() < 0.05) parts.push('-m mark --mark 0x1/0x1');
  if (r.next() < 0.05) parts.push('-m limit --limit 3/min');
  if (r.next() < 0.1) parts.push(`-m comment --comment "op ${Math.floor(r.next() * 10)}"`);
  const targets =
    chain === 'PREROUTING'
      ? ['RETURN', 'ACCEPT', 'LOG', 'MARK --set-xmark 0x1/0xffffffff', 'DNAT --to-destination 172.17.0.9:80']
      : chain === 'POSTROUTING'
        ? ['MASQUERADE', 'RETURN', 'LOG', 'SNAT --to-source 198.51.100.1']
        : ['ACCEPT', 'DROP', 'DROP', 'REJECT --reject-with icmp-port-unreachable', 'RETURN', 'LOG --log-prefix x', 'CHK'];
  const t = r.pick(targets);
  if (r.next() < 0.05) return parts.join(' '); // no target: counts only
  parts.push(`-j ${t}`);
  return parts.join(' ');
}

/** A lab or hand-written host with `n` random operator rules, long enough chains that the candidate index is used. */
function randomHost(seed: number): Built {
  const r = prng(seed);
  const filt: string[] = [];
  const nat: string[] = [];
  const post: string[] = [];
  const n = 10 + Math.floor(r.next() * 40);
  for (let k = 0; k < n; k++) {
    const c = r.pick(['INPUT', 'DOCKER-USER', 'DOCKER-USER', 'FORWARD', 'CHK', 'PREROUTING', 'POSTROUTING']);
    if (c === 'PREROUTING') nat.push(randRule(r, c));
    else if (c === 'POSTROUTING') post.push(randRule(r, c));
    else filt.push(randRule(r, c).replace('-j CHK', c === 'CHK' ? '-j RETURN' : '-j CHK'));
  }
  const chk = ':CHK - [0:0]';
  if (seed % 2 === 0) {
    let save = fixture('lab/main/iptables-save.txt');
    save = withRules(save, 'filter', { prepend: filt });
    save = withRules(save, 'nat', { prepend: nat, append: post });
    save = save.replace(':DOCKER-USER - [0:0]', `:DOCKER-USER - [0:0]\n${chk}`);
    return build(labCapture('main', { 'iptables-save.txt': save }));
  }
  let save = fixture('explain/base.save');
  save = withRules(save, 'filter', { prepend: filt });
  save = withRules(save, 'nat', { prepend: nat, append: post });
  save = save.replace(':DOCKER-USER - [0:0]', `:DOCKER-USER - [0:0]\n${chk}`);
  const addrs = ipAddrJson({ lo: ['127.0.0.1/8'], eth0: ['198.51.100.1/24'], docker0: ['172.17.0.1/16'] });
  return build(capture({ 'iptables-save.txt': save, 'docker-proxy.txt': fixture('explain/base-proxy.txt'), 'ip-addr.json': addrs }));
}

// ------------------------------------------------------------ decisive explain

const PASSIVE = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE', 'AUDIT', 'TCPMSS', 'TOS', 'DSCP', 'TTL', 'HL', 'CLASSIFY', 'CHECKSUM', 'SET', 'ECN', 'IDLETIMER', 'LED', 'SECMARK', 'CONNSECMARK', 'RATEEST', 'HMARK', 'TEE', 'CLUSTERIP', 'NETMAP_LOG']);

/** The steps a decisive explain promises to leave out (outside keepHooks). */
function leftOut(s: ExplainStep, keep: readonly string[]): boolean {
  if (s.kind !== 'rule' || (s.hook !== null && keep.includes(s.hook))) return false;
  if (s.result === 'no match') return true;
  // May match, not followed: a source NAT or a passive target.
  if (s.result === 'maybe' && s.assumed === null && (s.why.endsWith('(no effect on the verdict)') || s.why.endsWith('(source NAT only: no effect on the verdict; not followed)'))) return true;
  if (s.result === 'match' && (s.action === null || PASSIVE.has(s.action))) return true;
  return false;
}

function strip(r: ExplainResult, keep: readonly string[]): ExplainResult {
  return { ...r, routes: r.routes.map((x) => ({ ...x, steps: x.steps.filter((s) => !leftOut(s, keep)) })) };
}

describe('decisive explain = full explain without the steps it leaves out', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`random host ${seed}`, () => {
      const b = randomHost(seed);
      const r = prng(seed * 7919);
      const srcs = [null, '198.51.100.11', '203.0.113.5', '127.0.0.1', '172.17.0.9', '10.1.2.3'];
      const keep = seed % 3 === 0 ? [] : ['filter INPUT'];
      let compared = 0;
      for (const p of b.model.published) {
        for (let k = 0; k < 3; k++) {
          const src = p.family === 6 ? null : r.pick(srcs);
          const dst = p.hostIp === '0.0.0.0' || p.hostIp === '::' ? (r.next() < 0.5 ? null : p.family === 4 ? '198.51.100.1' : null) : p.hostIp;
          const q = { src, dst, dport: r.next() < 0.8 ? p.hostPort : r.pick(PORTS), proto: r.next() < 0.9 ? p.proto : 'udp', family: p.family, mark: r.next() < 0.7 ? 0 : null };
          const full = explain(b.model, b.host, q);
          const quick = explain(b.model, b.host, q, { steps: 'decisive', keepHooks: keep });
          assert.deepEqual(quick, strip(full, keep), JSON.stringify(q));
          compared++;
        }
      }
      assert.ok(compared > 0);
    });
  }
});

// ------------------------------------------------------------ rule evaluation

function rulesOf(b: Built): Rule[] {
  return b.model.rules.map((x) => x.rule);
}

function randomPacket(r: ReturnType<typeof prng>, bridges: string[]): Packet {
  const iface = (): Iface => {
    const k = r.next();
    if (k < 0.4) return { kind: 'name', name: r.pick(['eth0', 'lo', ...bridges]) };
    if (k < 0.6) return { kind: 'none' };
    if (k < 0.9) return { kind: 'external', except: ['lo', ...bridges] };
    return { kind: 'unknown' };
  };
  const addr = () => r.pick([null, '198.51.100.1', '198.51.100.11', '203.0.113.7', '172.17.0.2', '172.17.0.9', '172.18.0.3', '10.9.8.7', '127.0.0.1', '224.0.0.251']);
  const port = () => (r.next() < 0.15 ? null : r.pick([...PORTS, 1, 65535, 3000]));
  const dst = addr();
  return {
    family: 4,
    proto: r.pick(['tcp', 'udp', 'icmp']),
    src: addr(),
    dst,
    sport: port(),
    dport: port(),
    origSrc: addr(),
    origDst: addr(),
    origSport: port(),
    origDport: port(),
    dstIsHost: dst === null ? r.next() < 0.7 : r.next() < 0.3,
    inIface: iface(),
    outIface: iface(),
    dnat: r.next() < 0.5,
    snat: r.next() < 0.2,
    untracked: r.next() < 0.05,
    mark: r.next() < 0.5 ? { value: 0, known: 0xffffffff } : { value: 0, known: 0 },
    ctmark: { value: 0, known: 0 },
    localOrigin: r.next() < 0.2,
  };
}

describe('rule evaluation shortcuts agree with evaluating every option', () => {
  for (let seed = 2; seed <= 12; seed++) {
    it(`random host ${seed}: ruleAnswer, judgeRule and the chain candidates`, () => {
      const b = randomHost(seed);
      const rules = rulesOf(b);
      const host = hostAddrs(b.snap.addresses, b.model);
      const bridges = b.model.bridges.map((x) => x.name);
      const cands = ruleCandidates(rules, (i) => compileRule(rules[i]!));
      const r = prng(seed * 31);
      let skipped = 0;
      for (let k = 0; k < 150; k++) {
        const pkt = randomPacket(r, bridges);
        const can = new Set(cands.at(pkt));
        rules.forEach((rule, i) => {
          const full = evaluateRule(rule, pkt, host);
          const brief = judgeRule(rule, pkt, host);
          assert.equal(brief.answer, full.answer, rule.text);
          assert.equal(brief.why, full.why, rule.text);
          assert.equal(ruleAnswer(rule, pkt, host), full.answer, rule.text);
          if (!can.has(i)) {
            skipped++;
            assert.equal(full.answer, 'no match', `not a candidate but ${full.answer}: ${rule.text} (${JSON.stringify(pkt)})`);
          }
        });
      }
      assert.ok(skipped > 0, 'the index rules some out');
    });
  }
});

// ------------------------------------------------------------ memoised rule data

describe('memoised rule data equals a fresh parse', () => {
  const text = (r: ReturnType<typeof prng>) => randRule(r, 'X').replace(/^-A X /, '').replace('-j CHK', '-j DROP');
  const parse = (t: string) => parseIptablesSave(`*filter\n-A X ${t}\nCOMMIT\n`, { family: 4, backend: 'nft', source: 'test' }).tables[0]?.chains[0]?.rules[0];
  it('dports, sports, dnatTarget and parsePortList', () => {
    const r = prng(99);
    for (let k = 0; k < 400; k++) {
      const t = k % 10 === 0 ? `-p tcp -m tcp --dport ${r.pick(PORTS)} -j DNAT --to-destination 172.17.0.${k % 250}:${r.pick(PORTS)}` : text(r);
      const a = parse(t);
      const b = parse(t);
      assert.ok(a && b);
      const first = dports(a);
      assert.equal(dports(a), first, 'same object on a second call');
      assert.deepEqual(first, dports(b));
      assert.deepEqual(sports(a), sports(b));
      assert.deepEqual(dnatTarget(a), dnatTarget(b));
      if (first) assert.throws(() => (first.ranges as unknown as number[]).push(1), 'frozen');
    }
    assert.equal(parsePortList('80,443'), parsePortList('80,443'));
    assert.deepEqual(parsePortList('80,1000:2000,:5'), [{ from: 80, to: 80 }, { from: 1000, to: 2000 }, { from: 0, to: 5 }]);
    assert.equal(parsePortList('80,x'), null);
  });
});
