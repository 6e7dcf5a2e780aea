// Ties conntrack flows to published ports. A forwarded flow's original tuple
// carries the host port and its reply tuple the container's address and port
// (netfilter-facts.md "Conntrack"); a docker-proxy flow is not DNATed: its
// reply comes from the host address and port it was sent to.
import type { Flow } from '../types.js';
import { isAnyAddr, normalizeAddr } from '../net/addr.js';
import { isIPv4Text } from '../parse/conntrack.js';
import type { PublishedPort } from './types.js';

/**
 * Index of flows by `proto/origDport` so a port finds its flows without
 * scanning all of them. Buckets keep the flows' order and appear in the
 * order of their first flow.
 */
export function indexFlows(flows: Flow[]): Map<string, Flow[]> {
  // Grouped by proto (a handful of interned strings) then port (a small
  // integer) first, so there is one key string per bucket, not per flow.
  const byProto = new Map<string, Map<number, Flow[]>>();
  const order: Array<{ proto: string; dport: number; list: Flow[] }> = [];
  let lastProto: string | null = null;
  let lastPorts: Map<number, Flow[]> | undefined;
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i]!;
    const dport = f.orig.dport;
    if (dport === null) continue;
    let ports: Map<number, Flow[]> | undefined;
    if (f.proto === lastProto) ports = lastPorts;
    else {
      ports = byProto.get(f.proto);
      if (!ports) byProto.set(f.proto, (ports = new Map()));
      lastProto = f.proto;
      lastPorts = ports;
    }
    let list = ports!.get(dport);
    if (!list) {
      ports!.set(dport, (list = []));
      order.push({ proto: f.proto, dport, list });
    }
    list.push(f);
  }
  const idx = new Map<string, Flow[]>();
  for (const b of order) idx.set(`${b.proto}/${b.dport}`, b.list);
  return idx;
}

function sameAddr(a: string, b: string): boolean {
  if (a === b) return true;
  // Two canonical dotted quads are their own normal form: equal only when identical.
  if (isIPv4Text(a) && isIPv4Text(b)) return false;
  return normalizeAddr(a) === normalizeAddr(b);
}

export function flowsOfPort(p: PublishedPort, idx: ReadonlyMap<string, Flow[]>): Flow[] {
  const candidates = idx.get(`${p.proto}/${p.hostPort}`);
  const out: Flow[] = [];
  if (candidates === undefined) return out;
  const anyHost = isAnyAddr(p.hostIp);
  for (let i = 0; i < candidates.length; i++) {
    const f = candidates[i]!;
    if (f.family !== p.family) continue;
    if (!anyHost && !sameAddr(f.orig.dst, p.hostIp)) continue;
    // The port comparisons first: they are cheap and decide most flows.
    const dnated = p.containerIp !== '' && f.reply.sport === p.containerPort && sameAddr(f.reply.src, p.containerIp);
    const toProxy = p.proxy && f.reply.sport === p.hostPort && sameAddr(f.reply.src, f.orig.dst);
    if (dnated || toProxy) out.push(f);
  }
  return out;
}

/**
 * flowsOfPort(p, indexFlows(flows)) for every port at once, in one pass over
 * the flows in their order: a flow is only tested against the ports of its
 * (proto, original dport) bucket. Reading the flows in order rather than
 * bucket by bucket is what makes it fast on 100k flows (memory order).
 */
export function flowsOfPorts(ports: readonly PublishedPort[], flows: readonly Flow[]): Flow[][] {
  const out: Flow[][] = ports.map(() => []);
  // proto -> host port -> indices of the ports of that bucket, in port order
  // (a bucket key is `${proto}/${port}`: the same pairs, see indexFlows).
  const byProto = new Map<string, Map<number, number[]>>();
  for (let k = 0; k < ports.length; k++) {
    const p = ports[k]!;
    let m = byProto.get(p.proto);
    if (!m) byProto.set(p.proto, (m = new Map()));
    const l = m.get(p.hostPort);
    if (l) l.push(k);
    else m.set(p.hostPort, [k]);
  }
  const anyHost = ports.map((p) => isAnyAddr(p.hostIp));
  let lastProto: string | null = null;
  let lastMap: Map<number, number[]> | undefined;
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i]!;
    const dport = f.orig.dport;
    if (dport === null) continue;
    if (f.proto !== lastProto) {
      lastProto = f.proto;
      lastMap = byProto.get(f.proto);
    }
    const ks = lastMap?.get(dport);
    if (ks === undefined) continue;
    for (let j = 0; j < ks.length; j++) {
      const k = ks[j]!;
      const p = ports[k]!;
      if (f.family !== p.family) continue;
      if (!anyHost[k] && !sameAddr(f.orig.dst, p.hostIp)) continue;
      const dnated = p.containerIp !== '' && f.reply.sport === p.containerPort && sameAddr(f.reply.src, p.containerIp);
      const toProxy = p.proxy && f.reply.sport === p.hostPort && sameAddr(f.reply.src, f.orig.dst);
      if (dnated || toProxy) out[k]!.push(f);
    }
  }
  return out;
}
