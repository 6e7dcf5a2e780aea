// The rules on a published port's path, in packet order, for both routes:
// forwarded (raw -> nat DNAT -> filter FORWARD with its jumps) and the
// docker-proxy route (filter INPUT with its jumps, on the host port).
import type { Rule, RuleOption, Ruleset } from '../types.js';
import { hostOf, isAnyAddr, normalizeAddr } from '../net/addr.js';
import { canonicalFlag } from '../parse/rule-query.js';
import { mayMatch, optionValue, type PacketShape } from './match.js';
import type { PathRule, PathStage, PublishedPort, RuleRef } from './types.js';

export interface ChainIndex {
  rules(table: string, chain: string): Rule[];
  has(table: string, chain: string): boolean;
}

export function indexChains(rs: Ruleset): ChainIndex {
  const map = new Map<string, Rule[]>();
  for (const t of rs.tables) for (const c of t.chains) map.set(`${t.name}/${c.name}`, c.rules);
  return {
    rules: (table, chain) => map.get(`${table}/${chain}`) ?? [],
    has: (table, chain) => map.has(`${table}/${chain}`),
  };
}

const MAX_DEPTH = 16;

/**
 * Rules reachable from a chain in evaluation order, descending into user
 * chains that may match (a jump that cannot match is not followed). Each rule
 * comes with the first user chain entered below the start chain (e.g.
 * DOCKER-USER when reached from FORWARD) so callers can label the stage.
 */
export function walkChain(
  idx: ChainIndex,
  table: string,
  start: string,
  pkt: PacketShape,
  visit: (rule: Rule, via: string | null) => void,
): void {
  const seen = new Set<string>();
  const walk = (chain: string, via: string | null, depth: number) => {
    if (depth > MAX_DEPTH || seen.has(chain)) return;
    seen.add(chain);
    for (const r of idx.rules(table, chain)) {
      if (mayMatch(r, pkt) === 'no') continue;
      visit(r, via);
      if (r.target && idx.has(table, r.target)) walk(r.target, via ?? r.target, depth + 1);
    }
    seen.delete(chain);
  };
  walk(start, null, 0);
}

// ------------------------------------------------------------ fast walks
//
// On a large host (hundreds of bridges, thousands of published ports, tens
// of thousands of rules) walking every chain with mayMatch for every port is
// quadratic. buildPath therefore walks a PathIndex: each chain's rules
// bucketed by their exact `-o` interface (a packet with a known output
// interface only looks at its own bucket and the rules without one), a
// per-rule summary of the cheap options (exact -o/-i/-p/--dport/-d host)
// that rejects most rules before mayMatch runs, each chain walked once per
// path (a second jump into a chain adds nothing: a rule is listed once), and
// the rules that need `-i <Docker bridge>` left out: the path is the one an
// outside client's packet takes, and it never arrives on a Docker bridge.

/** The options of a rule that decide most 'no' answers, read once per distinct rule text. */
interface Quick {
  /** Exact, non-negated -o (no `+` wildcard). */
  out: string | null;
  /** Exact, non-negated -i (no `+` wildcard). */
  in: string | null;
  /** Non-negated -p, lower case (not all/0). */
  proto: string | null;
  /** Non-negated single --dport. */
  dport: number | null;
  /** Non-negated -d of one host (normalised). */
  dstHost: string | null;
}

// Keyed by the matches array, which a RuleCache shares between parses of
// the same rule text: the summary survives refreshes.
const quickCache = new WeakMap<readonly RuleOption[], Quick>();

const QUICK_BIT = new Map<string, number>([['-o', 1], ['-i', 2], ['-p', 4], ['--dport', 8], ['-d', 16]]);

function quickOf(r: Rule): Quick {
  let q = quickCache.get(r.matches);
  if (q !== undefined) return q;
  q = { out: null, in: null, proto: null, dport: null, dstHost: null };
  // Only the first of a repeated option counts (still sound): the five flags
  // read here, as bits (a Set per rule was most of this function's cost).
  let seen = 0;
  for (const o of r.matches) {
    const flag = canonicalFlag(o.flag);
    const bit = QUICK_BIT.get(flag);
    if (bit === undefined) continue;
    if ((seen & bit) !== 0) continue;
    seen |= bit;
    const v = o.values[0];
    if (v === undefined || o.negated) continue;
    if (flag === '-o' && !v.endsWith('+')) q.out = v;
    else if (flag === '-i' && !v.endsWith('+')) q.in = v;
    else if (flag === '-p') {
      const p = v.toLowerCase();
      if (p !== 'all' && p !== '0') q.proto = p;
    } else if (flag === '--dport' && /^\d{1,5}$/.test(v)) q.dport = Number(v);
    else if (flag === '-d' && !v.includes(',')) q.dstHost = hostOf(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`);
  }
  quickCache.set(r.matches, q);
  return q;
}

/** A packet shape with its destination normalised once. */
interface Probe {
  pkt: PacketShape;
  dst: string | null;
  proto: string | null;
}

/** true only where mayMatch(r, pkt) is certainly 'no'. */
function quickNo(q: Quick, p: Probe): boolean {
  const pkt = p.pkt;
  if (q.out !== null && pkt.outIface !== undefined && q.out !== pkt.outIface) return true;
  if (q.in !== null && pkt.inIface !== undefined && q.in !== pkt.inIface) return true;
  if (q.proto !== null && p.proto !== null && q.proto !== p.proto) return true;
  if (q.dport !== null && pkt.dport !== undefined && q.dport !== pkt.dport) return true;
  if (q.dstHost !== null && p.dst !== null && q.dstHost !== p.dst) return true;
  return false;
}

interface ChainBuckets {
  all: Rule[];
  quick: Quick[];
  /** Indices of the rules an outside client's packet may meet, in order. */
  walkable: number[];
  /** Indices (into all) of rules without an exact -o, in order; and per exact -o. */
  anyOut: number[];
  byOut: Map<string, number[]>;
  /** The same by exact --dport. */
  anyDport: number[];
  byDport: Map<number, number[]>;
  /** The same by -d of one host. */
  anyDst: number[];
  byDst: Map<string, number[]>;
  /** Merged candidate lists, per output interface, per --dport and per destination host. */
  mergedOut: Map<string, number[]>;
  mergedDport: Map<number, number[]>;
  mergedDst: Map<string, number[]>;
  /** Per rule: the chain of this table its target jumps to, null when none (undefined: not resolved yet). */
  jumps: Array<ChainBuckets | null | undefined>;
  /** Walk bookkeeping (see walkPath): the walk that finished this chain, the walk that has it on its stack. */
  doneBy: number;
  onStackOf: number;
}

export interface PathIndex {
  chains: ChainIndex;
  /** Interfaces an outside client's packet never arrives on. */
  dockerBridges: ReadonlySet<string>;
  buckets(table: string, chain: string): ChainBuckets;
}

function push<K>(m: Map<K, number[]>, k: K, i: number): void {
  let l = m.get(k);
  if (!l) m.set(k, (l = []));
  l.push(i);
}

export function indexPaths(idx: ChainIndex, dockerBridges: ReadonlySet<string>): PathIndex {
  const cache = new Map<string, ChainBuckets>();
  return {
    chains: idx,
    dockerBridges,
    buckets(table, chain) {
      const key = `${table}/${chain}`;
      let b = cache.get(key);
      if (b === undefined) {
        const all = idx.rules(table, chain);
        b = {
          all,
          quick: all.map(quickOf),
          walkable: [],
          anyOut: [],
          byOut: new Map(),
          anyDport: [],
          byDport: new Map(),
          anyDst: [],
          byDst: new Map(),
          mergedOut: new Map(),
          mergedDport: new Map(),
          mergedDst: new Map(),
          jumps: new Array<ChainBuckets | null | undefined>(all.length),
          doneBy: 0,
          onStackOf: 0,
        };
        for (let i = 0; i < all.length; i++) {
          const q = b.quick[i] as Quick;
          // An outside client's packet never arrives on a Docker bridge.
          if (q.in !== null && dockerBridges.has(q.in)) continue;
          b.walkable.push(i);
          if (q.out === null) b.anyOut.push(i);
          else push(b.byOut, q.out, i);
          if (q.dport === null) b.anyDport.push(i);
          else push(b.byDport, q.dport, i);
          if (q.dstHost === null) b.anyDst.push(i);
          else push(b.byDst, q.dstHost, i);
        }
        cache.set(key, b);
      }
      return b;
    },
  };
}

function mergeSorted(a: number[], own: number[]): number[] {
  if (own.length === 0) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < own.length) {
    if (j >= own.length || (i < a.length && (a[i] as number) < (own[j] as number))) out.push(a[i++] as number);
    else out.push(own[j++] as number);
  }
  return out;
}

/**
 * Indices of the rules of a chain worth evaluating for a packet, in rule
 * order: the smallest of "rules without an exact -o plus those with the
 * packet's -o", the same by --dport and the same by destination host. The
 * others are certainly 'no' (quickNo says so of each).
 */
function candidates(b: ChainBuckets, pkt: PacketShape, dst: string | null): number[] {
  const out = pkt.outIface;
  const dport = pkt.dport;
  const nOut = out !== undefined ? b.anyOut.length + (b.byOut.get(out)?.length ?? 0) : Infinity;
  const nDport = dport !== undefined ? b.anyDport.length + (b.byDport.get(dport)?.length ?? 0) : Infinity;
  const nDst = dst !== null ? b.anyDst.length + (b.byDst.get(dst)?.length ?? 0) : Infinity;
  if (nOut === Infinity && nDport === Infinity && nDst === Infinity) return b.walkable;
  if (nOut <= nDport && nOut <= nDst) {
    const o = out as string;
    let best = b.mergedOut.get(o);
    if (best === undefined) b.mergedOut.set(o, (best = mergeSorted(b.anyOut, b.byOut.get(o) ?? [])));
    return best;
  }
  if (nDport <= nDst) {
    const d = dport as number;
    let best = b.mergedDport.get(d);
    if (best === undefined) b.mergedDport.set(d, (best = mergeSorted(b.anyDport, b.byDport.get(d) ?? [])));
    return best;
  }
  const h = dst as string;
  let best = b.mergedDst.get(h);
  if (best === undefined) b.mergedDst.set(h, (best = mergeSorted(b.anyDst, b.byDst.get(h) ?? [])));
  return best;
}

/** The chain rule i of b jumps to (same table), or null. */
function jumpOf(px: PathIndex, table: string, b: ChainBuckets, i: number): ChainBuckets | null {
  let j = b.jumps[i];
  if (j === undefined) {
    const t = (b.all[i] as Rule).target;
    j = t && px.chains.has(table, t) ? px.buckets(table, t) : null;
    b.jumps[i] = j;
  }
  return j;
}

/** A rule a walk meets, the first user chain entered below the start, and whether the rule jumps to a chain of the table. */
type PathVisit = (rule: Rule, via: string | null, jump: boolean) => void;

/** Numbers the walks, for the per-chain bookkeeping in ChainBuckets. */
let walkSeq = 0;

/**
 * walkChain for buildPath: the same rules in the same order, each chain
 * entered once, without the rules an outside client's packet cannot match
 * (see above). Jumps are visited like walkChain does. Not re-entrant: `visit`
 * must not start another walk.
 */
function walkPath(px: PathIndex, table: string, start: string, pkt: PacketShape, visit: PathVisit): void {
  const probe: Probe = { pkt, dst: pkt.dst !== undefined ? normalizeAddr(pkt.dst) : null, proto: pkt.proto !== undefined ? pkt.proto.toLowerCase() : null };
  const id = ++walkSeq;
  walkFrom(px, table, px.buckets(table, start), pkt, probe, visit, id, null, 0);
}

function walkFrom(
  px: PathIndex,
  table: string,
  b: ChainBuckets,
  pkt: PacketShape,
  probe: Probe,
  visit: PathVisit,
  id: number,
  via: string | null,
  depth: number,
): void {
  if (depth > MAX_DEPTH || b.onStackOf === id || b.doneBy === id) return;
  b.onStackOf = id;
  const list = candidates(b, pkt, probe.dst);
  for (let k = 0; k < list.length; k++) {
    const i = list[k] as number;
    const r = b.all[i] as Rule;
    if (quickNo(b.quick[i] as Quick, probe) || mayMatch(r, pkt) === 'no') continue;
    const j = jumpOf(px, table, b, i);
    visit(r, via, j !== null);
    if (j !== null) walkFrom(px, table, j, pkt, probe, visit, id, via ?? (r.target as string), depth + 1);
  }
  b.onStackOf = 0;
  b.doneBy = id;
}

function forwardStage(rule: Rule, via: string | null): PathStage {
  if (via === 'DOCKER-USER' || rule.chain === 'DOCKER-USER' || rule.chain.startsWith('PORTCULLIS-')) return 'docker-user';
  if (rule.target === 'ACCEPT' && rule.chain.startsWith('DOCKER')) return 'docker-accept';
  return 'forward';
}

/** Shapes of the packet of a new inbound connection to the port, before and after DNAT. */
export function packetShapes(p: PublishedPort): { pre: PacketShape; post: PacketShape } {
  const pre: PacketShape = { proto: p.proto, dport: p.hostPort };
  if (!isAnyAddr(p.hostIp)) pre.dst = p.hostIp;
  const post: PacketShape = {
    proto: p.proto,
    dst: p.containerIp,
    dport: p.containerPort,
    origDport: p.hostPort,
  };
  if (p.bridge) post.outIface = p.bridge;
  if (!isAnyAddr(p.hostIp)) post.origDst = p.hostIp;
  return { pre, post };
}

export function buildPath(p: PublishedPort, rs: Ruleset | undefined, px: PathIndex | undefined, refOf: (r: Rule) => RuleRef): PathRule[] {
  if (!rs || !px) return p.dnat ? [{ stage: 'dnat', ref: p.dnat }] : [];
  const idx = px.chains;
  const { pre, post } = packetShapes(p);
  const path: PathRule[] = [];

  // raw PREROUTING: rules that may see the published packet (no -d, or the host
  // address), and Docker 28+'s drops of direct access to the container address,
  // which guard this port too. Both walks run in rule order; a rule is listed once.
  if (idx.has('raw', 'PREROUTING')) {
    const raw = new Set<Rule>();
    const direct: PacketShape = { proto: p.proto, dst: p.containerIp, dport: p.containerPort };
    const keepRaw = (r: Rule, jump: boolean) => {
      if (jump) return;
      const d = optionValue(r, '-d');
      if (!d || mayMatch(r, direct) !== 'no' || (!isAnyAddr(p.hostIp) && d.value.startsWith(p.hostIp + '/'))) raw.add(r);
    };
    walkPath(px, 'raw', 'PREROUTING', pre, (r, _via, jump) => keepRaw(r, jump));
    walkPath(px, 'raw', 'PREROUTING', direct, (r, _via, jump) => {
      if (optionValue(r, '-d')) keepRaw(r, jump);
    });
    for (const r of idx.rules('raw', 'PREROUTING')) if (raw.has(r)) path.push({ stage: 'raw', ref: refOf(r) });
    for (const r of raw) if (r.chain !== 'PREROUTING') path.push({ stage: 'raw', ref: refOf(r) });
  }
  if (p.dnat) path.push({ stage: 'dnat', ref: p.dnat });

  // A walk enters each chain once, so it visits each rule at most once: no
  // rule is listed twice. A jump itself is not listed: its rules follow.
  if (p.dnat) {
    walkPath(px, 'filter', 'FORWARD', post, (r, via, jump) => {
      if (!jump) path.push({ stage: forwardStage(r, via), ref: refOf(r) });
    });
  }

  // The docker-proxy route: packets to the host port that were not DNATed.
  walkPath(px, 'filter', 'INPUT', pre, (r, _via, jump) => {
    if (!jump) path.push({ stage: 'input', ref: refOf(r) });
  });
  return path;
}
