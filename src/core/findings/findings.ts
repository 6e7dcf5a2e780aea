// findFindings: a pure pass over the model (and, when given, the host's
// addresses, the rulesets for chain policies, and sysctl facts) that names
// rules which do not do what they look like they do, and ports that are
// more open than they look. Where the question is "what happens to a
// packet", it asks `explain` rather than guessing from rule shapes.
import { bridgeNetfilter } from '../parse/sysctl.js';
import type { Backend, Family, Rule } from '../types.js';
import { isAnyAddr, normalizeAddr } from '../net/addr.js';
import { dnatTarget, dports, opt, portMatches } from '../parse/rule-query.js';
import { ifaceMatches, mayMatch } from '../model/match.js';
import { packetShapes } from '../model/path.js';
import { isDockerBridgeName } from '../model/provenance.js';
import type { HostModel, PublishedPort, RuleRef } from '../model/types.js';
import { explain, type ExplainHost } from '../explain/explain.js';
import { inNet, net, netHas, netIndex, type Net } from '../explain/cidr.js';
import type { ExplainOptions, ExplainResult } from '../explain/types.js';
import type { Finding, FindingFix, FindingKind, FindingRule, FindingSubject, FindingsContext, Severity } from './types.js';

// ---------------------------------------------------------------- helpers

/** FNV-1a of the parts joined with newlines (without building the joined text). */
function fnvLines(parts: readonly string[]): string {
  let h = 0x811c9dc5;
  for (let p = 0; p < parts.length; p++) {
    if (p > 0) {
      h ^= 10;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    const s = parts[p] as string;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h.toString(16).padStart(8, '0');
}

function subjectId(s: FindingSubject): string {
  switch (s.kind) {
    case 'port':
      return s.key;
    case 'bridge':
      return s.name;
    case 'chain':
      return `${s.family}/${s.backend}/${s.table}/${s.chain}`;
    case 'address':
      return s.address;
    case 'host':
      return s.family === null ? 'host' : `ipv${s.family}`;
  }
}

function ruleOf(ref: RuleRef): FindingRule {
  const r = ref.rule;
  return { key: ref.key, text: r.text, family: r.family, backend: r.backend, table: r.table, chain: r.chain, position: r.position, provenance: ref.provenance };
}

function make(kind: FindingKind, severity: Severity, subject: FindingSubject, title: string, explanation: string, rules: RuleRef[], fix: FindingFix): Finding {
  const rs = rules.map(ruleOf);
  // The fix is part of the hash: one port can carry two findings of a kind on
  // the same rules (IPv6 twin and loopback proxy-bypass) that differ only in
  // what fixes them, and the id must tell them apart (it is a React key).
  const fixKey = fix ? Object.values(fix).join('/') : '';
  const hashed = rs.map((r) => r.key);
  hashed.push(fixKey);
  return { id: `${kind}:${subjectId(subject)}:${fnvLines(hashed)}`, kind, severity, title, explanation, rules: rs, subject, fix };
}

/** Ids are keys in the UI: a repeat (same kind, subject, rules and fix) gets a #n suffix. */
function uniqueIds(list: Finding[]): Finding[] {
  const seen = new Map<string, number>();
  return list.map((f) => {
    const n = seen.get(f.id) ?? 0;
    seen.set(f.id, n + 1);
    return n === 0 ? f : { ...f, id: `${f.id}#${n + 1}` };
  });
}

function fmtIp(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

function portName(p: PublishedPort): string {
  return `${fmtIp(p.hostIp)}:${p.hostPort}/${p.proto}`;
}

function target(p: PublishedPort): string {
  return `${p.container ?? 'the container'} (${fmtIp(p.containerIp)}:${p.containerPort})`;
}

const cite = (ref: RuleRef) => `${ref.rule.table} ${ref.rule.chain} #${ref.rule.position} \`${ref.rule.text}\``;

/** Rules of one family/backend, by table/chain, in order. */
interface Index {
  chain(table: string, chain: string): RuleRef[];
  /** Every rule reachable from a chain (following every jump and goto), in walk order, with its depth. */
  tree(table: string, chain: string): RuleRef[];
}

function indexOf(model: HostModel, family: Family, backend: Backend): Index {
  // table -> chain -> rules: no key string built per rule (~20k of them).
  const tables = new Map<string, Map<string, RuleRef[]>>();
  let lastTable = '';
  let lastChain = '';
  let last: RuleRef[] | null = null;
  for (const ref of model.rules) {
    const r = ref.rule;
    if (r.family !== family || r.backend !== backend) continue;
    // Rules come chain by chain: the previous rule's list is usually the one.
    if (last === null || r.chain !== lastChain || r.table !== lastTable) {
      let m = tables.get(r.table);
      if (!m) tables.set(r.table, (m = new Map()));
      last = m.get(r.chain) ?? null;
      if (last === null) m.set(r.chain, (last = []));
      lastTable = r.table;
      lastChain = r.chain;
    }
    last.push(ref);
  }
  for (const m of tables.values()) for (const l of m.values()) l.sort((a, b) => a.rule.position - b.rule.position);
  const chain = (t: string, c: string) => tables.get(t)?.get(c) ?? [];
  return {
    chain,
    tree(t, c) {
      const out: RuleRef[] = [];
      const seen = new Set<string>();
      const walk = (name: string) => {
        if (seen.has(name)) return;
        seen.add(name);
        for (const ref of chain(t, name)) {
          out.push(ref);
          const tg = ref.rule.target;
          if (tg && tables.get(t)?.has(tg) === true) walk(tg);
        }
      };
      walk(c);
      return out;
    },
  };
}

function primaryBackend(model: HostModel, family: Family): Backend | null {
  const info = model.families.find((f) => f.family === family);
  return info ? info.backend ?? info.backends[0] ?? null : null;
}

const BLOCKING = new Set(['DROP', 'REJECT']);

/** Does the rule carry a source restriction (address, range, set on src)? */
function hasSourceMatch(r: Rule): boolean {
  return r.matches.some((o) => {
    const f = o.flag;
    if (f === '-s' || f === '--source' || f === '--src' || f === '--src-range' || f === '--ctorigsrc' || f === '-i' || f === '--in-interface') return true;
    if (f === '--match-set') return (o.values[1] ?? '').split(',')[0] === 'src';
    return false;
  });
}

/** Options that say nothing about which packet it is (comments, -m). */
function isBare(r: Rule): boolean {
  return r.matches.every((o) => o.flag === '-m' || o.flag === '--match' || o.flag === '--comment');
}

function protoOk(r: Rule, proto: string): boolean {
  const p = opt(r, '-p');
  if (!p || !p.values[0]) return true;
  const v = p.values[0].toLowerCase();
  const hit = v === 'all' || v === '0' || v === proto;
  return p.negated ? !hit : hit;
}

function overlaps(na: Net | null, nb: Net | null): boolean {
  if (!na || !nb) return true;
  if (na.family !== nb.family) return false;
  // Two networks overlap when the shorter prefix contains the other's address.
  return na.prefix <= nb.prefix ? netHas(na, nb) : netHas(nb, na);
}

/** A rule's -s or -d as parsed networks (null: no option, or no value), once per rule. */
interface AddrOpt {
  negated: boolean;
  /** Each comma-separated part, null when unreadable. */
  parts: Array<Net | null>;
}
const addrOptMemo = { '-s': new WeakMap<Rule, AddrOpt | null>(), '-d': new WeakMap<Rule, AddrOpt | null>() };
function addrOpt(r: Rule, flag: '-s' | '-d'): AddrOpt | null {
  const memo = addrOptMemo[flag];
  let a = memo.get(r);
  if (a === undefined) {
    const o = opt(r, flag);
    a = !o || !o.values[0] ? null : { negated: o.negated, parts: o.values[0].split(',').map((p) => net(p)) };
    memo.set(r, a);
  }
  return a;
}

/** Could an address option (comma list, maybe negated) admit some address of `subnet` (as net() reads it)? */
function addrOptAdmits(r: Rule, flag: '-s' | '-d', sn: Net | null): boolean {
  const o = addrOpt(r, flag);
  if (!o) return true;
  if (!o.negated) {
    for (const c of o.parts) if (overlaps(c, sn)) return true;
    return false;
  }
  // `! -s X` leaves some of the subnet unless X covers it whole.
  for (const c of o.parts) if (c && sn && c.family === sn.family && c.prefix <= sn.prefix && netHas(c, sn)) return false;
  return true;
}

/** addrOptAdmits for some subnet of a bridge. */
function addrOptAdmitsAny(r: Rule, flag: '-s' | '-d', nets: ReadonlyArray<Net | null>): boolean {
  if (!addrOpt(r, flag)) return nets.length > 0;
  for (const sn of nets) if (addrOptAdmits(r, flag, sn)) return true;
  return false;
}

/**
 * The rules of a list (in list order) that name destination port `port`
 * (dports, not negated), found without testing every rule: single ports are
 * looked up, ranges scanned.
 */
function portIndex(refs: RuleRef[]): (port: number) => RuleRef[] {
  const single = new Map<number, number[]>();
  const ranged: number[] = [];
  refs.forEach((ref, i) => {
    const dp = dports(ref.rule);
    if (!dp || dp.negated) return;
    let wide = false;
    for (const r of dp.ranges) {
      if (r.from !== r.to) {
        wide = true;
        continue;
      }
      const l = single.get(r.from);
      if (!l) single.set(r.from, [i]);
      else if (l[l.length - 1] !== i) l.push(i);
    }
    if (wide) ranged.push(i);
  });
  return (port) => {
    const hits = single.get(port) ?? [];
    const more = ranged.filter((i) => portMatches(dports(refs[i]!.rule)!, port) && !hits.includes(i));
    const all = more.length === 0 ? hits : [...hits, ...more].sort((a, b) => a - b);
    return all.map((i) => refs[i]!);
  };
}

/** A rule's -i or -o (null: none, or no value), once per rule. */
const ifaceOptMemo = { '-i': new WeakMap<Rule, { negated: boolean; pattern: string } | null>(), '-o': new WeakMap<Rule, { negated: boolean; pattern: string } | null>() };
function ifaceOpt(r: Rule, flag: '-i' | '-o'): { negated: boolean; pattern: string } | null {
  const memo = ifaceOptMemo[flag];
  let v = memo.get(r);
  if (v === undefined) {
    const o = opt(r, flag);
    v = !o || !o.values[0] ? null : { negated: o.negated, pattern: o.values[0] };
    memo.set(r, v);
  }
  return v;
}

/** Could an interface option admit interface `name`? */
function ifaceOptAdmits(r: Rule, flag: '-i' | '-o', name: string): boolean {
  const o = ifaceOpt(r, flag);
  if (!o) return true;
  const hit = ifaceMatches(o.pattern, name);
  return o.negated ? !hit : hit;
}

/** Could an interface option admit some interface that is not a Docker bridge (the way out of the host)? */
function ifaceOptAdmitsExternal(r: Rule, flag: '-i' | '-o', bridges: string[]): boolean {
  const o = opt(r, flag);
  if (!o || !o.values[0]) return true;
  const pat = o.values[0];
  if (o.negated) return true; // `! -o br-x` admits eth0
  if (pat.endsWith('+')) return !(isDockerBridgeName(pat.slice(0, -1) + 'x') && pat !== '+') || pat === '+';
  return !bridges.includes(pat) && !isDockerBridgeName(pat) && pat !== 'lo';
}

const NO_ADDRESSES: string[] = [];
/**
 * Single addresses a rule names: its -s and -d hosts (negated or not), its
 * DNAT target. Asked once per rule per pass, and the parts are memoised by
 * text: a per-rule memo (a WeakMap entry for each of ~20k rules, new objects
 * on every parse) cost more than it saved.
 */
function addressesNamed(r: Rule): string[] {
  return addressesNamedUncached(r);
}

// The hosts of an -s/-d value, by its text: the pass over every rule asks
// about ~10k values, most of them once, and the option lookups through
// addrOpt's per-rule memo cost more than reading them here. Bounded.
const HOSTS_MAX = 50_000;
const hostsMemo = new Map<string, readonly string[]>();
function hostsOfValue(v: string): readonly string[] {
  let h = hostsMemo.get(v);
  if (h === undefined) {
    let out = NO_ADDRESSES;
    const parts = v.split(',');
    for (let i = 0; i < parts.length; i++) {
      const n = net(parts[i] as string);
      if (n && n.prefix === (n.family === 4 ? 32 : 128)) (out === NO_ADDRESSES ? (out = []) : out).push(n.addr);
    }
    h = out;
    if (hostsMemo.size >= HOSTS_MAX) hostsMemo.clear();
    hostsMemo.set(v, h);
  }
  return h;
}

function addressesNamedUncached(r: Rule): string[] {
  // What addrOpt(r, '-s' / '-d').parts give, hosts only, in that order.
  let ips = NO_ADDRESSES;
  for (let f = 0; f < 2; f++) {
    const v = opt(r, f === 0 ? '-s' : '-d')?.values[0];
    if (!v) continue;
    const hs = hostsOfValue(v);
    for (let i = 0; i < hs.length; i++) (ips === NO_ADDRESSES ? (ips = []) : ips).push(hs[i] as string);
  }
  if (r.target === 'DNAT') {
    const t = dnatTarget(r);
    const n = t?.ip ? normalizeAddr(t.ip) : null;
    if (n) (ips === NO_ADDRESSES ? (ips = []) : ips).push(n);
  }
  return ips;
}

/** @internal addressesNamed through addrOpt, as it was read before hostsOfValue (the reference for the tests). */
export function addressesNamedReference(r: Rule): string[] {
  const ips: string[] = [];
  for (const flag of ['-s', '-d'] as const) {
    for (const h of addrOpt(r, flag)?.parts ?? []) if (h && h.prefix === (h.family === 4 ? 32 : 128)) ips.push(h.addr);
  }
  if (r.target === 'DNAT') {
    const t = dnatTarget(r);
    const n = t?.ip ? normalizeAddr(t.ip) : null;
    if (n) ips.push(n);
  }
  return ips;
}

/** @internal addressesNamed (memoised), for the tests. */
export { addressesNamed as addressesNamedOf };

const SENSITIVE_PORTS = new Map<number, string>([
  [2375, 'the Docker API'], [2376, 'the Docker API'], [2379, 'etcd'], [3306, 'MySQL'], [5432, 'PostgreSQL'], [6379, 'Redis'],
  [11211, 'memcached'], [27017, 'MongoDB'], [9200, 'Elasticsearch'], [9300, 'Elasticsearch'], [5984, 'CouchDB'],
  [1433, 'SQL Server'], [1521, 'Oracle'], [9042, 'Cassandra'], [8086, 'InfluxDB'], [15672, 'RabbitMQ management'],
  [5672, 'RabbitMQ'], [6443, 'a Kubernetes API'], [10250, 'the kubelet'], [5601, 'Kibana'], [8500, 'Consul'],
]);

// ---------------------------------------------------------------- the pass

/**
 * Every finding on the host, most severe first. Pure.
 * `ctx.addresses` and `ctx.rulesets` make the explain-based checks exact
 * (addrtype LOCAL, chain policies); `ctx.sysctls` feeds the ICC check.
 */
/**
 * Explain budget for answers someone is waiting for (`status`, the TUI): every
 * port on a normal host. The explains findings run record only decisive steps
 * and skip rules an index rules out: on a host with 19k rules and 5,000
 * published ports one costs ~0.2 ms, so the whole pass takes ~0.15-0.2 s with
 * this budget and ~1 s explaining every port.
 */
export const QUICK_EXPLAIN_BUDGET = 64;

const EXPLAIN_OPTIONS: ExplainOptions = { steps: 'decisive', keepHooks: ['filter INPUT'] };

export function findFindings(model: HostModel, given: FindingsContext = {}): Finding[] {
  // The model carries the snapshot's addresses and rulesets; a caller may still pass others.
  const ctx: FindingsContext = {
    ...given,
    addresses: given.addresses ?? (model.addresses.length > 0 ? model.addresses : null),
    rulesets: given.rulesets ?? (model.rulesets.length > 0 ? model.rulesets : null),
    sysctls: given.sysctls ?? (model.sysctls ? { brNetfilter: bridgeNetfilter(model.sysctls, 4) } : null),
  };
  const out: Finding[] = [];
  const host: ExplainHost = { addresses: ctx.addresses ?? null, rulesets: ctx.rulesets ?? null };
  const families = model.families.map((f) => f.family);
  const idx = new Map<Family, Index>();
  for (const f of families) {
    const b = primaryBackend(model, f);
    if (b) idx.set(f, indexOf(model, f, b));
  }
  const bridgeNames = model.bridges.map((b) => b.name);
  // Every bridge subnet, flattened in bridge order, indexed for address -> bridge.
  const allBridgeSubnets: string[] = [];
  const bridgeAt: number[] = [];
  model.bridges.forEach((b, i) => {
    for (const s of b.subnets) {
      allBridgeSubnets.push(s);
      bridgeAt.push(i);
    }
  });
  const allBridgeNets = netIndex(allBridgeSubnets);

  // Explain results are shared by several checks; past the budget, null (the check is skipped).
  const cache = new Map<string, ExplainResult>();
  const budget = ctx.maxExplains ?? Infinity;
  const skippedPorts = new Set<string>();
  const ask = (family: Family, proto: string, dport: number, dst: string | null, src: string | null): ExplainResult | null => {
    const k = `${family}/${proto}/${dport}/${dst}/${src}`;
    let r = cache.get(k);
    if (!r) {
      if (cache.size >= budget) {
        skippedPorts.add(`${family}/${proto}/${dport}`);
        return null;
      }
      // A packet from outside carries mark 0 unless something outside iptables sets one.
      // The checks read verdicts and the decisive steps, and which filter INPUT
      // rules a packet met (check 1): the rest of the walk is not recorded.
      r = explain(model, host, { src, dst, dport, proto, family, mark: 0 }, EXPLAIN_OPTIONS);
      cache.set(k, r);
    }
    return r;
  };
  const anyExternal = (p: { family: Family; proto: string; hostIp: string; hostPort: number }) =>
    ask(p.family, p.proto, p.hostPort, isAnyAddr(p.hostIp) ? null : p.hostIp, null);

  const forwarded = model.published.filter((p) => p.dnat !== null);
  const trees = new Map<string, RuleRef[]>();
  const treeOf = (f: Family, chain: string, ix: Index): RuleRef[] => {
    const k = `${f}/${chain}`;
    let t = trees.get(k);
    if (!t) trees.set(k, (t = ix.tree('filter', chain)));
    return t;
  };
  const localAddrs = (ctx.addresses ?? []).map((a) => normalizeAddr(a.local) ?? a.local);
  const dstCanBeHostMemo = new Map<Rule, boolean>();
  /** A rule's -d could be one of the host's own addresses (not multicast/broadcast, local when known). */
  const dstCanBeHost = (r: Rule): boolean => {
    let v = dstCanBeHostMemo.get(r);
    if (v === undefined) dstCanBeHostMemo.set(r, (v = dstCanBeHostUncached(r)));
    return v;
  };
  const dstCanBeHostUncached = (r: Rule): boolean => {
    const d = opt(r, '-d');
    if (!d || d.negated || !d.values[0]) return true;
    return d.values[0].split(',').some((v) => {
      const c = net(v);
      if (!c) return true;
      if (inNet(c.family === 4 ? '224.0.0.0/4' : 'ff00::/8', c.addr) === true || (c.family === 4 && c.addr === '255.255.255.255')) return false;
      return localAddrs.length === 0 || localAddrs.some((a) => inNet(v, a) === true);
    });
  };

  // Per family and chain, the rules a per-port check can concern, indexed by the
  // destination port they name: a host with thousands of ports and rules would
  // otherwise test every rule against every port.
  const portIndexes = new Map<string, (port: number) => RuleRef[]>();
  const portIndexOf = (key: string, refs: () => RuleRef[]) => {
    let pi = portIndexes.get(key);
    if (!pi) portIndexes.set(key, (pi = portIndex(refs())));
    return pi;
  };
  /** Blocking rules of a filter chain that name no destination port, in chain order. */
  const blockersMemo = new Map<string, RuleRef[]>();
  const portlessBlockers = (f: Family, ix: Index, chain: string): RuleRef[] => {
    const k = `${f}/${chain}`;
    let l = blockersMemo.get(k);
    if (!l) blockersMemo.set(k, (l = ix.chain('filter', chain).filter((x) => x.rule.target && BLOCKING.has(x.rule.target) && !dports(x.rule))));
    return l;
  };

  // 1. INPUT rules on a published host port: forwarded traffic never meets them.
  for (let fi = 0; fi < forwarded.length; fi++) {
    const p = forwarded[fi] as PublishedPort;
    const ix = idx.get(p.family);
    if (!ix) continue;
    const { pre } = packetShapes(p);
    const candidates = portIndexOf(`${p.family}/INPUT`, () =>
      treeOf(p.family, 'INPUT', ix).filter((ref) => ref.provenance !== 'docker' && !!ref.rule.target && ['ACCEPT', 'DROP', 'REJECT'].includes(ref.rule.target)),
    )(p.hostPort);
    for (const ref of candidates) {
      const r = ref.rule;
      if (!r.target || !protoOk(r, p.proto)) continue;
      if (mayMatch(r, pre) === 'no' || !dstCanBeHost(r)) continue;
      const blocking = BLOCKING.has(r.target);
      const later = portlessBlockers(p.family, ix, r.chain).filter((x) => x.rule.position > r.position && mayMatch(x.rule, pre) !== 'no');
      const inputPolicyDrop = ctx.rulesets?.find((rs) => rs.family === p.family && rs.backend === r.backend)?.tables.find((t) => t.name === 'filter')?.chains.find((c) => c.name === 'INPUT')?.policy === 'DROP';
      const allowList = r.target === 'ACCEPT' && hasSourceMatch(r) && (later.length > 0 || inputPolicyDrop);
      const ext = anyExternal(p);
      const open = ext?.routes.some((x) => x.verdict.kind === 'delivered' && x.verdict.route === 'forward') ?? false;
      // Some sources are kept from the DNAT (a nat rule returns early): for them this INPUT rule does count.
      const inputSeen = ext?.routes.some((x) => x.steps.some((st) => st.hook === 'filter INPUT' && st.rule?.key === ref.key)) ?? false;
      const severity: Severity = inputSeen ? 'info' : blocking || allowList ? 'critical' : r.target === 'ACCEPT' && !hasSourceMatch(r) ? 'info' : 'warn';
      const intent = blocking ? 'meant to block it' : allowList ? 'meant to let only some sources in (the rest refused further down)' : 'meant to admit it';
      const explanation =
        `${cite(ref)} names host port ${p.hostPort}/${p.proto}, ${intent}. But ${portName(p)} is published: nat PREROUTING DNATs it to ${target(p)}, ` +
        `so the packets cross filter FORWARD (DOCKER-USER, then Docker's chains) and never filter INPUT. ` +
        (open ? 'Right now outside clients reach the container through FORWARD whatever this rule says. ' : '') +
        (inputSeen
          ? `It does see the packets that a nat rule keeps from the DNAT (they reach docker-proxy through INPUT), so it is not useless, but it does nothing for the DNATed ones. `
          : `The rule only sees the docker-proxy route (from the host itself, or packets that escape the DNAT). `) +
        `Restrict the port in DOCKER-USER instead, on the container address and port or with -m conntrack --ctorigdstport ${p.hostPort}: Portcullis' whitelist does this.`;
      out.push(make('input-rule-on-published-port', severity, { kind: 'port', key: p.key }, `INPUT rule on published port ${portName(p)} never sees forwarded traffic`, explanation, [ref, ...later], { action: 'whitelist', port: p.key }));
    }
  }

  // 2. DOCKER-USER rules on a host port: after DNAT the port is the container's.
  for (let fi = 0; fi < forwarded.length; fi++) {
    const p = forwarded[fi] as PublishedPort;
    if (p.hostPort === p.containerPort) continue;
    const ix = idx.get(p.family);
    if (!ix) continue;
    const { post } = packetShapes(p);
    const candidates = portIndexOf(`${p.family}/DOCKER-USER`, () =>
      treeOf(p.family, 'DOCKER-USER', ix).filter((ref) => ref.provenance !== 'docker' && ref.provenance !== 'portcullis' && !!ref.rule.target && !opt(ref.rule, '--ctorigdstport')),
    )(p.hostPort);
    for (const ref of candidates) {
      const r = ref.rule;
      const dp = dports(r);
      if (!r.target || !dp || portMatches(dp, p.containerPort) || !protoOk(r, p.proto)) continue;
      if (mayMatch(r, { ...post, dport: p.hostPort }) === 'no') continue;
      const severity: Severity = BLOCKING.has(r.target) ? 'critical' : 'warn';
      const explanation =
        `${cite(ref)} matches destination port ${p.hostPort}, which exists only before DNAT: by the time a packet for ${portName(p)} reaches DOCKER-USER ` +
        `(filter FORWARD), nat PREROUTING has rewritten it to ${target(p)}, so this rule never matches it${BLOCKING.has(r.target) ? ' and the port stays open' : ''}. ` +
        `Match the container's address and port (-d ${p.containerIp} --dport ${p.containerPort}) or the original port (-m conntrack --ctorigdstport ${p.hostPort} --ctdir ORIGINAL); Portcullis' whitelist does this.`;
      out.push(make('docker-user-host-port', severity, { kind: 'port', key: p.key }, `DOCKER-USER rule on host port ${p.hostPort} never matches ${portName(p)} (it is ${p.containerPort} after DNAT)`, explanation, [ref], { action: 'whitelist', port: p.key }));
    }
  }

  // 3 and 4. ACCEPT in DOCKER-USER; DROP in DOCKER-USER not scoped by interface.
  for (const f of families) {
    const ix = idx.get(f);
    const backend = primaryBackend(model, f);
    if (!ix || !backend) continue;
    // The family's bridges, with their subnets read once.
    const bridges = model.bridges.filter((b) => b.subnets.some((s) => net(s)?.family === f)).map((b) => ({ name: b.name, nets: b.subnets.map((s) => net(s)) }));
    // Which of these bridges a plain `-s HOST[,HOST...]` admits: those with a
    // subnet holding one of the hosts (or an unreadable subnet, which any
    // source may overlap). Other -s forms are tested bridge by bridge.
    const famNets: Array<Net | null> = [];
    const famOwner: number[] = [];
    bridges.forEach((b, bi) => {
      for (const n of b.nets) {
        famNets.push(n);
        famOwner.push(bi);
      }
    });
    const famIndex = netIndex(famNets);
    const unreadable = bridges.flatMap((b, bi) => (b.nets.some((n) => n === null) ? [bi] : []));
    const hostSources = (r: Rule): Set<number> | null => {
      const o = addrOpt(r, '-s');
      if (!o || o.negated || !o.parts.every((c) => c !== null && c.prefix === (c.family === 4 ? 32 : 128))) return null;
      const admitted = new Set(unreadable);
      for (const c of o.parts) for (const k of famIndex.holders(c as Net)) admitted.add(famOwner[k] as number);
      return admitted;
    };
    const userTree = ix.tree('filter', 'DOCKER-USER');
    for (let ti = 0; ti < userTree.length; ti++) {
      const ref = userTree[ti] as RuleRef;
      const r = ref.rule;
      if (ref.provenance === 'docker' || ref.provenance === 'portcullis') continue;
      const subject: FindingSubject = { kind: 'chain', family: f, backend, table: 'filter', chain: r.chain };
      const fromHosts = hostSources(r);
      /** addrOptAdmitsAny(r, '-s', bridges[bi].nets), through the index when it can. */
      const srcAdmits = (bi: number) => (fromHosts ? fromHosts.has(bi) : addrOptAdmitsAny(r, '-s', bridges[bi]!.nets));
      if (r.target === 'ACCEPT') {
        const bare = isBare(r);
        // Some bridge a (traffic from it) and another bridge b (to it) the rule admits.
        let outTo: typeof bridges | null = null;
        const toOther = (a: (typeof bridges)[number]) => {
          outTo ??= bridges.filter((b) => ifaceOptAdmits(r, '-o', b.name));
          return outTo.some((b) => b !== a);
        };
        const crossesIsolation = bridges.some((a, ai) => ifaceOptAdmits(r, '-i', a.name) && srcAdmits(ai) && toOther(a));
        const explanation =
          `${cite(ref)} ACCEPTs in DOCKER-USER, which ends filter FORWARD for those packets: they skip Docker's own checks after it, ` +
          `the per-port ACCEPTs of published ports (so every port of every container is reachable for them, published or not) ` +
          (crossesIsolation ? `and DOCKER-ISOLATION (so containers on different networks can reach each other through it). ` : `and network isolation. `) +
          `To let a source through, RETURN from DOCKER-USER instead (Docker's rules then still apply), as Portcullis' whitelist does.`;
        out.push(make('docker-user-accept', bare ? 'critical' : 'warn', subject, `ACCEPT in DOCKER-USER skips Docker's publish and isolation checks`, explanation, [ref], null));
      }
      if (r.target && BLOCKING.has(r.target)) {
        const icc: string[] = [];
        const egress: string[] = [];
        // Whether the rule can drop traffic leaving the host does not depend on the bridge: once per rule.
        let leaves: boolean | null = null;
        const canLeave = (): boolean => {
          if (leaves !== null) return leaves;
          const d = opt(r, '-d');
          const inside = (x: string) => {
            const nx = net(x);
            return !!nx && allBridgeNets.holders(nx.addr).some((k) => nx.prefix >= (net(allBridgeSubnets[k]!)?.prefix ?? 0));
          };
          const dInsideBridges = d && !d.negated && d.values[0] ? d.values[0].split(',').every(inside) : false;
          return (leaves = ifaceOptAdmitsExternal(r, '-o', bridgeNames) && !dInsideBridges);
        };
        // Only bridges the -s admits can count: with the index, just those (in bridge order).
        const from = fromHosts ? [...fromHosts].sort((x, y) => x - y) : null;
        const n = from ? from.length : bridges.length;
        for (let j = 0; j < n; j++) {
          const bi = from ? (from[j] as number) : j;
          const b = bridges[bi]!;
          const fromB = ifaceOptAdmits(r, '-i', b.name) && srcAdmits(bi);
          if (!fromB) continue;
          if (ifaceOptAdmits(r, '-o', b.name) && addrOptAdmitsAny(r, '-d', b.nets)) icc.push(b.name);
          if (canLeave()) egress.push(b.name);
        }
        if (icc.length === 0 && egress.length === 0) continue;
        const parts: string[] = [];
        if (icc.length) parts.push(`traffic between containers on the same bridge (${icc.join(', ')}: it crosses FORWARD as -i br -o br)`);
        if (egress.length) parts.push(`containers' own outgoing connections (from ${egress.join(', ')})`);
        const explanation =
          `${cite(ref)} is not scoped by interface, so besides outside clients it also ${r.target === 'DROP' ? 'drops' : 'rejects'} ${parts.join(' and ')}. ` +
          `A rule meant for outside clients should say so: add \`-i <external interface>\` or \`! -i <bridge>\`. Portcullis' whitelist scopes its drops this way.`;
        out.push(make('docker-user-drop-unscoped', 'warn', subject, `${r.target} in DOCKER-USER not scoped by interface also hits ${icc.length ? 'inter-container' : 'outgoing container'} traffic`, explanation, [ref], null));
      }
    }
  }

  // 5 and 6. Published ports open to everyone; restrictions the docker-proxy route skips.
  let byProtoPort: Map<string, PublishedPort[]> | null = null;
  /** Published ports by proto/host port, in model order. */
  const samePort = () => {
    if (byProtoPort) return byProtoPort;
    byProtoPort = new Map();
    for (const q of model.published) {
      const k = `${q.proto}/${q.hostPort}`;
      const l = byProtoPort.get(k);
      if (l) l.push(q);
      else byProtoPort.set(k, [q]);
    }
    return byProtoPort;
  };
  let byKey: Map<string, RuleRef> | null = null;
  /** The first rule of the model with this key (as model.rules.find). */
  const refByKey = (key: string): RuleRef | undefined => {
    if (!byKey) {
      byKey = new Map();
      for (const x of model.rules) if (!byKey.has(x.key)) byKey.set(x.key, x);
    }
    return byKey.get(key);
  };
  for (let fi = 0; fi < forwarded.length; fi++) {
    const p = forwarded[fi] as PublishedPort;
    const res = anyExternal(p);
    if (!res) continue;
    const delivered = res.routes.filter((x) => x.verdict.kind === 'delivered');
    const blocked = res.routes.filter((x) => x.verdict.kind === 'dropped' || x.verdict.kind === 'rejected');
    const v6twin = (samePort().get(`${p.proto}/${p.hostPort}`) ?? []).find((q) => q !== p && q.family !== p.family && q.proxy && q.dnat === null && isAnyAddr(q.hostIp));
    if (isAnyAddr(p.hostIp) && delivered.length === res.routes.length && res.routes.length > 0) {
      const sens = SENSITIVE_PORTS.get(p.containerPort) ?? SENSITIVE_PORTS.get(p.hostPort);
      const explanation =
        `${portName(p)} -> ${target(p)} is published on every address of the host and no rule on its path keeps any source out: any client that can reach the host reaches the container` +
        (v6twin ? ` (over IPv6 too, through docker-proxy on ${portName(v6twin)})` : '') +
        `. ${sens ? `It looks like ${sens}, which is rarely meant to be public. ` : ''}If only some clients should reach it, whitelist them (or publish it on 127.0.0.1 / one address).`;
      out.push(make('published-open', sens ? 'warn' : 'info', { kind: 'port', key: p.key }, `${portName(p)} (${p.container ?? p.containerIp}) is open to every source`, explanation, p.dnat ? [p.dnat] : [], { action: 'whitelist', port: p.key }));
    }
    // (c) a nat rule lets some packets skip Docker's DNAT: they reach docker-proxy through INPUT.
    const viaProxy = delivered.filter((x) => x.verdict.route === 'docker-proxy');
    if (viaProxy.length > 0) {
      const natRefs: RuleRef[] = [];
      for (const s of viaProxy[0]!.steps) {
        if (s.rule?.table === 'nat' && s.hook === 'nat PREROUTING' && s.rule.key && (s.action === 'RETURN' || s.action === 'ACCEPT' || (s.action?.startsWith('jump') ?? false)) && s.assumed !== 'no match' && s.result !== 'no match' && s.rule.provenance !== 'docker') {
          const ref = refByKey(s.rule.key);
          if (ref && !natRefs.includes(ref)) natRefs.push(ref);
        }
      }
      const some = viaProxy.length < res.routes.length;
      const explanation =
        `${portName(p)} is published with a DNAT to ${target(p)}, but ${some ? 'for some sources ' : ''}a nat PREROUTING rule ends before Docker's DNAT` +
        (natRefs.length ? ` (${natRefs.map(cite).join(', ')})` : '') +
        `: those packets stay addressed to the host, pass filter INPUT and reach docker-proxy, which connects to the container from the host. ` +
        `Whatever DOCKER-USER or the nat rules were meant to keep out still gets in this way. Block the docker-proxy route for the port in INPUT (Portcullis' block-proxy), or stop the nat rule from returning early.`;
      out.push(make('proxy-bypass', 'critical', { kind: 'port', key: p.key }, `${portName(p)}: a nat rule skips Docker's DNAT, so ${some ? 'some sources reach' : 'every source reaches'} it through docker-proxy`, explanation, natRefs, { action: 'block-proxy', port: p.key, loopback: false }));
    }
    if (blocked.length === 0) continue;
    const restriction = blocked.map((x) => x.verdict.deciding).find((d) => d && d.kind === 'rule');
    const restrictionText = restriction ? `${restriction.table} ${restriction.chain} #${restriction.position} \`${restriction.text}\`` : 'the rules on its forwarded path';
    const restrictionRef = restriction?.key ? refByKey(restriction.key) : undefined;
    // (a) the other family reaches the container through docker-proxy.
    if (v6twin) {
      const r6 = anyExternal(v6twin);
      if (r6?.routes.some((x) => x.verdict.kind === 'delivered' && x.verdict.route === 'docker-proxy')) {
        const explanation =
          `${portName(p)} is restricted on the forwarded path (${restrictionText}), but docker-proxy also listens on ${portName(v6twin)}: the network has no IPv${v6twin.family} DNAT for it, ` +
          `so IPv${v6twin.family} clients go through ip${v6twin.family === 6 ? '6' : ''}tables INPUT to docker-proxy, which connects to ${target(p)} from the host, and the IPv${p.family} restriction never applies. ` +
          `Block the docker-proxy route (Portcullis' block-proxy) or restrict IPv${v6twin.family} INPUT for the port too.`;
        out.push(make('proxy-bypass', 'critical', { kind: 'port', key: p.key }, `${portName(p)}: restricted for IPv${p.family}, open to IPv${v6twin.family} clients through docker-proxy`, explanation, restrictionRef ? [restrictionRef] : [], { action: 'block-proxy', port: v6twin.key, loopback: false }));
      }
    }
    // (b) loopback: from the host itself through docker-proxy.
    if (p.proxy && (isAnyAddr(p.hostIp) || p.hostIp === '127.0.0.1' || p.hostIp === '::1')) {
      const lo = p.family === 4 ? '127.0.0.1' : '::1';
      const rl = ask(p.family, p.proto, p.hostPort, lo, lo);
      if (rl?.routes.some((x) => x.verdict.kind === 'delivered' && x.verdict.route === 'docker-proxy')) {
        const explanation =
          `${portName(p)} is restricted on the forwarded path (${restrictionText}), but from the host itself ${fmtIp(lo)}:${p.hostPort} is served by docker-proxy through filter INPUT (-i lo), ` +
          `which connects to ${target(p)}: every local user and process, and anything tunnelled in (ssh -L), gets through. Block the loopback docker-proxy route if that matters (Portcullis' block-proxy with loopback).`;
        out.push(make('proxy-bypass', 'info', { kind: 'port', key: p.key }, `${portName(p)}: restricted on FORWARD, open from the host itself through docker-proxy`, explanation, restrictionRef ? [restrictionRef] : [], { action: 'block-proxy', port: p.key, loopback: true }));
      }
    }
  }

  // 7. Rules naming container addresses no container holds any more.
  const dockerKnown = model.dockerKnown;
  if (dockerKnown) {
    const held = new Set<string>();
    for (const c of model.containers) {
      if (!c.running) continue;
      for (const n of c.networks) for (const ip of [n.ipv4, n.ipv6]) if (ip) held.add(normalizeAddr(ip) ?? ip);
    }
    const hostLocal = new Set((ctx.addresses ?? []).map((a) => normalizeAddr(a.local) ?? a.local));
    const isGatewayGuess = (ip: string, subnet: string) => {
      if (ctx.addresses) return false;
      const sn = net(subnet);
      if (!sn) return false;
      return sn.family === 4 ? ip.split('.').pop() === '1' : /::1$/.test(ip);
    };
    const stale = new Map<string, { bridge: string; refs: RuleRef[] }>();
    for (let ri = 0; ri < model.rules.length; ri++) {
      const ref = model.rules[ri] as RuleRef;
      const ips = addressesNamed(ref.rule);
      for (let ii = 0; ii < ips.length; ii++) {
        const ip = ips[ii] as string;
        if (held.has(ip) || hostLocal.has(ip)) continue;
        // The first bridge with a subnet holding ip, and the first such subnet of it.
        const k = allBridgeNets.first(ip);
        if (k < 0) continue;
        const b = model.bridges[bridgeAt[k]!]!;
        const subnet = allBridgeSubnets[k]!;
        if (isGatewayGuess(ip, subnet)) continue;
        const e = stale.get(ip) ?? { bridge: b.name, refs: [] };
        if (!e.refs.includes(ref)) e.refs.push(ref);
        stale.set(ip, e);
      }
    }
    for (const [ip, e] of stale) {
      const accepts = e.refs.some((r) => r.rule.target === 'ACCEPT' || r.rule.target === 'DNAT' || r.rule.target === 'RETURN');
      const explanation =
        `${e.refs.length} rule${e.refs.length > 1 ? 's' : ''} name${e.refs.length > 1 ? '' : 's'} ${ip} on ${e.bridge}, but no running container holds that address (${e.refs.map(cite).join('; ')}). ` +
        (accepts ? `Docker reuses addresses: the next container that gets ${ip} inherits what these rules grant it. ` : `They protect nothing now, and a new container that gets ${ip} will be affected by them. `) +
        `Remove them (or recreate them for the container's current address).`;
      out.push(make('stale-container-address', 'warn', { kind: 'address', address: ip }, `rules name ${ip}, which no container holds`, explanation, e.refs, null));
    }
  }

  // 8. Rules in both iptables-legacy and iptables-nft.
  for (const info of model.families) {
    if (info.backends.length < 2) continue;
    const other = model.rules.filter((r) => r.rule.family === info.family && r.rule.backend !== info.backend);
    if (other.length === 0) continue;
    const ob = other[0]!.rule.backend;
    const explanation =
      `IPv${info.family} has rules in both iptables-${info.backend ?? '?'} (where Docker writes) and iptables-${ob} (${other.length} rule${other.length > 1 ? 's' : ''}). ` +
      `The kernel runs both: a packet must get through each, and a DROP in either wins, but \`iptables\` shows only one of them, so rules in the other are easy to forget (often left by an old firewall script or a tool using the other backend). ` +
      `Move them to the ${info.backend ?? 'Docker'} backend or remove them.`;
    out.push(make('both-backends', 'warn', { kind: 'host', family: info.family }, `IPv${info.family} rules in both iptables-nft and iptables-legacy`, explanation, other.slice(0, 40), null));
  }

  // 9. FORWARD policy ACCEPT on a Docker host.
  for (const info of model.families) {
    if (info.layout === 'none' || info.forwardPolicy !== 'ACCEPT') continue;
    const explanation =
      `The IPv${info.family} filter FORWARD policy is ACCEPT on a Docker host. Whatever Docker's chains do not drop is forwarded: any client with a route to a bridge subnet reaches every port of every container directly, published or not, ` +
      `and the host forwards between its other interfaces too. Docker sets the policy to DROP when it turns forwarding on itself; here forwarding was on before. ` +
      `Set it to DROP (\`iptables -P FORWARD DROP\`) after checking nothing else relies on forwarding.`;
    out.push(make('forward-policy-accept', 'warn', { kind: 'host', family: info.family }, `FORWARD policy ACCEPT (IPv${info.family}): containers are reachable directly, published or not`, explanation, [], null));
  }

  // 10. ICC off needs br_netfilter.
  const iccOff = model.bridges.filter((b) => b.icc === false);
  const brnf = ctx.sysctls?.brNetfilter ?? null;
  if (iccOff.length > 0 && brnf !== true) {
    // The first filter `-i X -o X -j DROP` of each interface X.
    const iccDrops = new Map<string, RuleRef>();
    for (const r of model.rules) {
      if (r.rule.table !== 'filter' || r.rule.target !== 'DROP') continue;
      const i = opt(r.rule, '-i');
      const o = opt(r.rule, '-o');
      const name = i?.values[0];
      if (name === undefined || o?.values[0] !== name || i!.negated || o.negated) continue;
      if (!iccDrops.has(name)) iccDrops.set(name, r);
    }
    for (const b of iccOff) {
      const dropRef = iccDrops.get(b.name);
      const explanation =
        brnf === false
          ? `${b.name}${b.network ? ` (${b.network})` : ''} has inter-container communication off, enforced by ${dropRef ? cite(dropRef) : 'a FORWARD -i br -o br DROP'}. But br_netfilter is not loaded or net.bridge.bridge-nf-call-iptables is 0: traffic between two containers on one bridge is switched by the bridge and never crosses iptables, so the DROP never applies and the containers talk freely. Load br_netfilter and set net.bridge.bridge-nf-call-iptables=1 (and -ip6tables for IPv6).`
          : `${b.name}${b.network ? ` (${b.network})` : ''} has inter-container communication off, which only works when br_netfilter is loaded and net.bridge.bridge-nf-call-iptables=1; whether they are could not be read here. Check /proc/sys/net/bridge/bridge-nf-call-iptables.`;
      out.push(make('icc-without-br-netfilter', brnf === false ? 'critical' : 'info', { kind: 'bridge', name: b.name }, brnf === false ? `ICC off on ${b.name} is not enforced (br_netfilter off)` : `ICC off on ${b.name}: br_netfilter state unknown`, explanation, dropRef ? [dropRef] : [], null));
    }
  }

  // 11. A Portcullis chain holds rules but nothing jumps to it.
  const owned = new Map<string, RuleRef[]>();
  for (const ref of model.rules) {
    const r = ref.rule;
    if (!r.chain.startsWith('PORTCULLIS-')) continue;
    const k = `${r.family}/${r.backend}/${r.table}/${r.chain}`;
    const l = owned.get(k) ?? [];
    l.push(ref);
    owned.set(k, l);
  }
  for (const [k, refs] of owned) {
    const [fs, backend, table, chain] = k.split('/') as [string, Backend, string, string];
    const family = Number(fs) as Family;
    const jumped = model.rules.some((x) => x.rule.family === family && x.rule.backend === backend && x.rule.table === table && x.rule.target === chain && x.rule.chain !== chain);
    if (jumped) continue;
    const parent = chain === 'PORTCULLIS-FWD' ? 'DOCKER-USER (or FORWARD)' : chain === 'PORTCULLIS-IN' ? 'INPUT' : 'its parent chain';
    const explanation =
      `${chain} holds ${refs.length} Portcullis rule${refs.length > 1 ? 's' : ''}, but no rule jumps to it from ${parent}: something rewrote that chain (a firewall reload, a Docker restart, a flush), so none of these rules apply now. ` +
      `Re-apply Portcullis' rules to restore the jump.`;
    out.push(make('portcullis-jump-missing', 'critical', { kind: 'chain', family, backend, table, chain }, `${chain} (IPv${family}) is not jumped to: its rules are inactive`, explanation, refs, { action: 'reapply', chain, family }));
  }

  if (skippedPorts.size > 0) {
    const explanation =
      `This host has more published ports than the findings pass explains at once (${budget} packets): ${skippedPorts.size} port(s) were not checked for ` +
      `being open to every source or reachable around a restriction through docker-proxy. Use \`portcullis explain --src ADDR --dst PORT\` for a port you care about.`;
    out.push(make('checks-incomplete', 'info', { kind: 'host', family: null }, `Per-port checks skipped for ${skippedPorts.size} port(s) (explain budget of ${budget} reached)`, explanation, [], null));
  }

  const rank: Record<Severity, number> = { critical: 0, warn: 1, info: 2 };
  return uniqueIds(out.sort((a, b) => rank[a.severity] - rank[b.severity]));
}
