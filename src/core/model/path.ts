// The rules on a published port's path, in packet order, for both routes:
// forwarded (raw -> nat DNAT -> filter FORWARD with its jumps) and the
// docker-proxy route (filter INPUT with its jumps, on the host port).
import type { Rule, Ruleset } from '../types.js';
import { isAnyAddr } from '../net/addr.js';
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

export function buildPath(p: PublishedPort, rs: Ruleset | undefined, idx: ChainIndex | undefined, refOf: (r: Rule) => RuleRef): PathRule[] {
  if (!rs || !idx) return p.dnat ? [{ stage: 'dnat', ref: p.dnat }] : [];
  const { pre, post } = packetShapes(p);
  const path: PathRule[] = [];

  // raw PREROUTING: rules that may see the published packet (no -d, or the host
  // address), and Docker 28+'s drops of direct access to the container address,
  // which guard this port too. Both walks run in rule order; a rule is listed once.
  const raw = new Set<Rule>();
  const direct: PacketShape = { proto: p.proto, dst: p.containerIp, dport: p.containerPort };
  const keepRaw = (r: Rule) => {
    if (r.target && idx.has('raw', r.target)) return;
    const d = optionValue(r, '-d');
    if (!d || mayMatch(r, direct) !== 'no' || (!isAnyAddr(p.hostIp) && d.value.startsWith(p.hostIp + '/'))) raw.add(r);
  };
  walkChain(idx, 'raw', 'PREROUTING', pre, keepRaw);
  walkChain(idx, 'raw', 'PREROUTING', direct, (r) => {
    if (optionValue(r, '-d')) keepRaw(r);
  });
  for (const r of idx.rules('raw', 'PREROUTING')) if (raw.has(r)) path.push({ stage: 'raw', ref: refOf(r) });
  for (const r of raw) if (r.chain !== 'PREROUTING') path.push({ stage: 'raw', ref: refOf(r) });
  if (p.dnat) path.push({ stage: 'dnat', ref: p.dnat });

  if (p.dnat) {
    walkChain(idx, 'filter', 'FORWARD', post, (r, via) => {
      if (r.target && idx.has('filter', r.target)) return; // the jump itself: its rules follow
      path.push({ stage: forwardStage(r, via), ref: refOf(r) });
    });
  }

  // The docker-proxy route: packets to the host port that were not DNATed.
  walkChain(idx, 'filter', 'INPUT', pre, (r) => {
    if (r.target && idx.has('filter', r.target)) return;
    path.push({ stage: 'input', ref: refOf(r) });
  });
  return path;
}
