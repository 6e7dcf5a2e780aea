// The model's indexed joins (src/core/model/path.ts walks chains through
// per-chain indexes; flows.ts joins flows to ports in one pass) give what the
// brute-force joins give: every rule of every chain tried with mayMatch, and
// every flow tried against every port. Checked on the lab captures and on
// generated Docker-like hosts (many bridges, ports, operator rules, raw drops,
// flows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import { flowsOfPort, flowsOfPorts, indexFlows } from '../../src/core/model/flows.js';
import { mayMatch, OPTION_SPELLINGS, type PacketShape } from '../../src/core/model/match.js';
import { packetShapes } from '../../src/core/model/path.js';
import { canonicalFlag } from '../../src/core/parse/rule-query.js';
import { isAnyAddr, normalizeAddr } from '../../src/core/net/addr.js';
import type { HostModel, PathRule, PathStage, PublishedPort } from '../../src/core/model/types.js';
import type { Flow, RawCapture, Rule, Ruleset } from '../../src/core/types.js';
import { labCapture } from '../fixtures/explain/harness.js';

// ------------------------------------------------------------ references

/** The first -i of a rule (any spelling), as path.ts's summary reads it. */
function firstIn(r: Rule): { value: string | undefined; negated: boolean } | null {
  for (const o of r.matches) if (canonicalFlag(o.flag) === '-i') return { value: o.values[0], negated: o.negated };
  return null;
}

/** Rules met from `start` in order: every rule tried, each chain entered once, none needing -i <bridge>. */
function bruteWalk(rs: Ruleset, table: string, start: string, pkt: PacketShape, bridges: ReadonlySet<string>): Array<{ r: Rule; via: string | null; jump: boolean }> {
  const chains = new Map<string, Rule[]>();
  for (const t of rs.tables) if (t.name === table) for (const c of t.chains) chains.set(c.name, c.rules);
  const out: Array<{ r: Rule; via: string | null; jump: boolean }> = [];
  const stack = new Set<string>();
  const done = new Set<string>();
  const walk = (chain: string, via: string | null, depth: number) => {
    if (depth > 16 || stack.has(chain) || done.has(chain)) return;
    stack.add(chain);
    for (const r of chains.get(chain) ?? []) {
      const i = firstIn(r);
      if (i && !i.negated && i.value !== undefined && !i.value.endsWith('+') && bridges.has(i.value)) continue;
      if (mayMatch(r, pkt) === 'no') continue;
      const jump = !!r.target && chains.has(r.target);
      out.push({ r, via, jump });
      if (jump) walk(r.target as string, via ?? (r.target as string), depth + 1);
    }
    stack.delete(chain);
    done.add(chain);
  };
  walk(start, null, 0);
  return out;
}

function stageOf(r: Rule, via: string | null): PathStage {
  if (via === 'DOCKER-USER' || r.chain === 'DOCKER-USER' || r.chain.startsWith('PORTCULLIS-')) return 'docker-user';
  if (r.target === 'ACCEPT' && r.chain.startsWith('DOCKER')) return 'docker-accept';
  return 'forward';
}

/** A port's path, as buildPath documents it, from brute-force walks. */
function brutePath(m: HostModel, p: PublishedPort): Array<{ stage: PathStage; key: string }> {
  const rs = m.rulesets.find((r) => r.family === p.family && r.backend === (m.families.find((f) => f.family === p.family)?.backend ?? r.backend));
  const keyOf = new Map(m.rules.map((x) => [x.rule, x.key]));
  const out: Array<{ stage: PathStage; key: string }> = [];
  if (!rs) return p.dnat ? [{ stage: 'dnat', key: p.dnat.key }] : [];
  const bridges = new Set(m.bridges.map((b) => b.name));
  const { pre, post } = packetShapes(p);
  const has = (table: string, chain: string) => rs.tables.some((t) => t.name === table && t.chains.some((c) => c.name === chain));
  if (has('raw', 'PREROUTING')) {
    const direct: PacketShape = { proto: p.proto, dst: p.containerIp, dport: p.containerPort };
    const raw = new Set<Rule>();
    const dOf = (r: Rule) => r.matches.find((o) => canonicalFlag(o.flag) === '-d');
    const keep = (r: Rule) => {
      const d = dOf(r);
      const dv = d?.values[0];
      if (d === undefined || dv === undefined || mayMatch(r, direct) !== 'no' || (!isAnyAddr(p.hostIp) && dv.startsWith(p.hostIp + '/'))) raw.add(r);
    };
    for (const s of bruteWalk(rs, 'raw', 'PREROUTING', pre, bridges)) if (!s.jump) keep(s.r);
    for (const s of bruteWalk(rs, 'raw', 'PREROUTING', direct, bridges)) if (!s.jump && dOf(s.r)?.values[0] !== undefined) keep(s.r);
    const pr = rs.tables.find((t) => t.name === 'raw')!.chains.find((c) => c.name === 'PREROUTING')!.rules;
    for (const r of pr) if (raw.has(r)) out.push({ stage: 'raw', key: keyOf.get(r)! });
    for (const r of raw) if (r.chain !== 'PREROUTING') out.push({ stage: 'raw', key: keyOf.get(r)! });
  }
  if (p.dnat) {
    out.push({ stage: 'dnat', key: p.dnat.key });
    for (const s of bruteWalk(rs, 'filter', 'FORWARD', post, bridges)) if (!s.jump) out.push({ stage: stageOf(s.r, s.via), key: keyOf.get(s.r)! });
  }
  for (const s of bruteWalk(rs, 'filter', 'INPUT', pre, bridges)) if (!s.jump) out.push({ stage: 'input', key: keyOf.get(s.r)! });
  return out;
}

const same = (a: string, b: string) => a === b || normalizeAddr(a) === normalizeAddr(b);

/** A port's flows: every flow tried. */
function bruteFlows(p: PublishedPort, flows: Flow[]): Flow[] {
  return flows.filter(
    (f) =>
      f.proto === p.proto &&
      f.orig.dport === p.hostPort &&
      f.family === p.family &&
      (isAnyAddr(p.hostIp) || same(f.orig.dst, p.hostIp)) &&
      ((p.containerIp !== '' && same(f.reply.src, p.containerIp) && f.reply.sport === p.containerPort) ||
        (p.proxy && same(f.reply.src, f.orig.dst) && f.reply.sport === p.hostPort)),
  );
}

function checkModel(m: HostModel): void {
  for (const p of m.published) {
    const got = p.path.map((s: PathRule) => ({ stage: s.stage, key: s.ref.key }));
    assert.deepStrictEqual(got, brutePath(m, p), `path of ${p.key}`);
    assert.deepStrictEqual(p.flows, bruteFlows(p, m.flows), `flows of ${p.key}`);
  }
  // The one-pass join and the per-port join over the index agree too.
  const idx = indexFlows(m.flows);
  assert.deepStrictEqual(flowsOfPorts(m.published, m.flows), m.published.map((p) => flowsOfPort(p, idx)));
}

// ------------------------------------------------------------ tests

test('the option spellings optionValue knows agree with canonicalFlag', () => {
  for (const [flag, group] of OPTION_SPELLINGS) {
    for (const other of group) assert.equal(canonicalFlag(other), canonicalFlag(flag), `${other} ~ ${flag}`);
    for (const other of ['-s', '-d', '-i', '-o', '-p', '--dport', '--sport', '--dports', '-m', '-j', '--ctorigdst', '--source-ports'])
      assert.equal(group.includes(other), canonicalFlag(other) === canonicalFlag(flag), `${other} vs ${flag}`);
  }
});

for (const profile of ['main', 'alt'] as const) {
  test(`lab ${profile}: indexed paths and flows equal the brute-force ones`, () => {
    const m = buildModel(buildSnapshot(labCapture(profile)));
    assert.ok(m.published.length > 0);
    checkModel(m);
  });
}

// A Docker host of the isolation-stage generation: bridges with published
// ports, operator rules in DOCKER-USER and INPUT, raw drops of direct access,
// and conntrack entries for the ports (DNATed, proxied, unrelated).
const arbHost = fc
  .record({
    bridges: fc.integer({ min: 1, max: 5 }),
    ports: fc.array(fc.record({ bridge: fc.nat(4), c: fc.nat(9), cport: fc.constantFrom(80, 443, 53, 8080), hport: fc.integer({ min: 8000, max: 8012 }), proto: fc.constantFrom('tcp', 'udp'), hostIp: fc.constantFrom('0.0.0.0', '198.51.100.1', '198.51.100.2') }), { minLength: 1, maxLength: 14 }),
    user: fc.array(fc.record({ s: fc.option(fc.constantFrom('192.0.2.1/32', '192.0.2.0/24'), { nil: undefined }), p: fc.option(fc.constantFrom('tcp', 'udp'), { nil: undefined }), dport: fc.option(fc.constantFrom(80, 443, 8000, 8005), { nil: undefined }), o: fc.option(fc.nat(5), { nil: undefined }), i: fc.option(fc.nat(5), { nil: undefined }), d: fc.option(fc.nat(9), { nil: undefined }), neg: fc.boolean(), target: fc.constantFrom('DROP', 'ACCEPT', 'RETURN', 'LOG') }), { maxLength: 10 }),
    input: fc.array(fc.record({ dport: fc.integer({ min: 8000, max: 8012 }), s: fc.boolean() }), { maxLength: 6 }),
    raw: fc.boolean(),
    flows: fc.array(fc.record({ port: fc.nat(13), proxy: fc.boolean(), other: fc.boolean(), client: fc.nat(3) }), { maxLength: 40 }),
  })
  .map((h): RawCapture => {
    const br = (k: number) => `br-${(0xa00000000000 + (k % h.bridges)).toString(16)}`;
    const ip = (b: number, c: number) => `172.${20 + (b % h.bridges)}.0.${2 + c}`;
    const filter = [':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':DOCKER - [0:0]', ':DOCKER-ISOLATION-STAGE-1 - [0:0]', ':DOCKER-ISOLATION-STAGE-2 - [0:0]', ':DOCKER-USER - [0:0]', ':OPS - [0:0]'];
    const nat = [':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER'];
    const raw = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
    for (const r of h.input) filter.push(`-A INPUT${r.s ? ' -s 192.0.2.9/32' : ''} -p tcp -m tcp --dport ${r.dport} -j DROP`);
    filter.push('-A INPUT -j OPS', '-A OPS -p tcp -m tcp --dport 8001 -j DROP', '-A OPS -j RETURN');
    filter.push('-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-ISOLATION-STAGE-1');
    for (let b = 0; b < h.bridges; b++) {
      filter.push(`-A FORWARD -o ${br(b)} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-A FORWARD -o ${br(b)} -j DOCKER`, `-A FORWARD -i ${br(b)} ! -o ${br(b)} -j ACCEPT`, `-A FORWARD -i ${br(b)} -o ${br(b)} -j ACCEPT`);
      filter.push(`-A DOCKER-ISOLATION-STAGE-1 -i ${br(b)} ! -o ${br(b)} -j DOCKER-ISOLATION-STAGE-2`, `-A DOCKER-ISOLATION-STAGE-2 -o ${br(b)} -j DROP`);
      nat.push(`-A POSTROUTING -s 172.${20 + b}.0.0/16 ! -o ${br(b)} -j MASQUERADE`, `-A DOCKER -i ${br(b)} -j RETURN`);
    }
    filter.push('-A DOCKER-ISOLATION-STAGE-1 -j RETURN', '-A DOCKER-ISOLATION-STAGE-2 -j RETURN');
    for (const u of h.user) {
      const parts = ['-A DOCKER-USER'];
      if (u.s) parts.push(`${u.neg ? '! ' : ''}-s ${u.s}`);
      if (u.d !== undefined) parts.push(`-d ${ip(u.d % 5, u.d)}/32`);
      if (u.i !== undefined) parts.push(`-i ${u.i === 5 ? 'eth0' : br(u.i)}`);
      if (u.o !== undefined) parts.push(`-o ${u.o === 5 ? 'br-+' : br(u.o)}`);
      if (u.p) parts.push(`-p ${u.p}`);
      if (u.p && u.dport !== undefined) parts.push(`-m ${u.p} --dport ${u.dport}`);
      parts.push(`-j ${u.target}`);
      filter.push(parts.join(' '));
    }
    filter.push('-A DOCKER-USER -j RETURN');
    const seen = new Set<string>();
    for (const p of h.ports) {
      const k = `${p.proto}/${p.hostIp}/${p.hport}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const c = ip(p.bridge, p.c);
      const d = p.hostIp === '0.0.0.0' ? '' : ` -d ${p.hostIp}/32`;
      filter.push(`-A DOCKER -d ${c}/32 ! -i ${br(p.bridge)} -o ${br(p.bridge)} -p ${p.proto} -m ${p.proto} --dport ${p.cport} -j ACCEPT`);
      nat.push(`-A DOCKER${d} ! -i ${br(p.bridge)} -p ${p.proto} -m ${p.proto} --dport ${p.hport} -j DNAT --to-destination ${c}:${p.cport}`);
      if (h.raw) raw.push(`-A PREROUTING -d ${c}/32 ! -i ${br(p.bridge)} -j DROP`);
    }
    const ct: string[] = [];
    const ports = h.ports;
    for (const f of h.flows) {
      const p = ports[f.port % ports.length]!;
      const c = ip(p.bridge, p.c);
      const client = `203.0.113.${f.client + 1}`;
      const dst = p.hostIp === '0.0.0.0' ? '198.51.100.1' : p.hostIp;
      const [rsrc, rsport] = f.other ? ['10.9.9.9', 1] : f.proxy ? [dst, p.hport] : [c, p.cport];
      ct.push(`${p.proto} ${p.proto === 'tcp' ? 6 : 17} 100 ${p.proto === 'tcp' ? 'ESTABLISHED ' : ''}src=${client} dst=${dst} sport=40000 dport=${p.hport} src=${rsrc} dst=${client} sport=${rsport} dport=40000 [ASSURED] mark=0 use=1`);
    }
    const save = ['*filter', ...filter, 'COMMIT', '*nat', ...nat, 'COMMIT', ...(h.raw ? [...raw, 'COMMIT'] : [])].join('\n') + '\n';
    const proxies = h.ports.map((p) => `pid=1 /usr/bin/docker-proxy -proto ${p.proto} -host-ip ${p.hostIp} -host-port ${p.hport} -container-ip ${ip(p.bridge, p.c)} -container-port ${p.cport}`);
    return {
      files: { 'iptables-save.txt': save, 'conntrack.txt': ct.join('\n') + '\n', 'docker-proxy.txt': proxies.join('\n') + '\n' },
      meta: { time: 0, hostname: null, netns: null, dockerVersion: null, unavailable: {}, notes: [] },
    };
  });

test('generated hosts: indexed paths and flows equal the brute-force ones', () => {
  fc.assert(
    fc.property(arbHost, (raw) => {
      const m = buildModel(buildSnapshot(raw));
      assert.equal(m.issues.length, 0, JSON.stringify(m.issues.slice(0, 3)));
      checkModel(m);
    }),
    { numRuns: 150 },
  );
});
