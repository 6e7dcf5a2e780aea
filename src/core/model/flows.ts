// Ties conntrack flows to published ports. A forwarded flow's original tuple
// carries the host port and its reply tuple the container's address and port
// (netfilter-facts.md "Conntrack"); a docker-proxy flow is not DNATed: its
// reply comes from the host address and port it was sent to.
import type { Flow } from '../types.js';
import { isAnyAddr, normalizeAddr } from '../net/addr.js';
import { isIPv4Text } from '../parse/conntrack.js';
import type { FlowCounts } from '../parse/conntrack-count.js';
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

/**
 * Whether a flow belongs to port p, given the flow's join key (the only
 * fields of a flow this looks at: the per-port lists and the one-shot counts
 * both decide with this, so they cannot drift apart). The caller has already
 * matched proto and original dport to p's proto and host port; `anyHost` is
 * isAnyAddr(p.hostIp).
 */
export function flowOfPort(p: PublishedPort, anyHost: boolean, family: number, origDst: string, replySrc: string, replySport: number | null): boolean {
  if (family !== p.family) return false;
  if (!anyHost && !sameAddr(origDst, p.hostIp)) return false;
  // The port comparisons first: they are cheap and decide most flows.
  const dnated = p.containerIp !== '' && replySport === p.containerPort && sameAddr(replySrc, p.containerIp);
  const toProxy = p.proxy && replySport === p.hostPort && sameAddr(replySrc, origDst);
  return dnated || toProxy;
}

export function flowsOfPort(p: PublishedPort, idx: ReadonlyMap<string, Flow[]>): Flow[] {
  const candidates = idx.get(`${p.proto}/${p.hostPort}`);
  const out: Flow[] = [];
  if (candidates === undefined) return out;
  const anyHost = isAnyAddr(p.hostIp);
  for (let i = 0; i < candidates.length; i++) {
    const f = candidates[i]!;
    if (flowOfPort(p, anyHost, f.family, f.orig.dst, f.reply.src, f.reply.sport)) out.push(f);
  }
  return out;
}

/**
 * proto -> host port -> indices of the ports with that (proto, host port), in
 * port order (the pairs of indexFlows' bucket keys `${proto}/${port}`).
 */
function portsByProtoPort(ports: readonly PublishedPort[]): Map<string, Map<number, number[]>> {
  const byProto = new Map<string, Map<number, number[]>>();
  for (let k = 0; k < ports.length; k++) {
    const p = ports[k]!;
    let m = byProto.get(p.proto);
    if (!m) byProto.set(p.proto, (m = new Map()));
    const l = m.get(p.hostPort);
    if (l) l.push(k);
    else m.set(p.hostPort, [k]);
  }
  return byProto;
}

/**
 * flowsOfPort(p, indexFlows(flows)) for every port at once, in one pass over
 * the flows in their order: a flow is only tested against the ports of its
 * (proto, original dport) bucket. Reading the flows in order rather than
 * bucket by bucket is what makes it fast on 100k flows (memory order).
 */
export function flowsOfPorts(ports: readonly PublishedPort[], flows: readonly Flow[]): Flow[][] {
  const out: Flow[][] = ports.map(() => []);
  const byProto = portsByProtoPort(ports);
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
      if (flowOfPort(ports[k]!, anyHost[k]!, f.family, f.orig.dst, f.reply.src, f.reply.sport)) out[k]!.push(f);
    }
  }
  return out;
}

// ---------------------------------------------------------------- counts
//
// The one-shot `status` shows flows only as numbers (per port and in all):
// it counts flows by join key as they are parsed (parse/conntrack-count.ts,
// a few thousand keys for 100k flows) and tests each key once here.

/** flowsOfPorts(ports, flows).map((l) => l.length) from the flows' counts by join key. */
export function countFlowsOfPorts(ports: readonly PublishedPort[], counts: FlowCounts): number[] {
  const out: number[] = ports.map(() => 0);
  const byProto = portsByProtoPort(ports);
  const anyHost = ports.map((p) => isAnyAddr(p.hostIp));
  for (const e of counts.keys) {
    const ks = byProto.get(e.proto)?.get(e.origDport);
    if (ks === undefined) continue;
    for (let j = 0; j < ks.length; j++) {
      const k = ks[j]!;
      if (flowOfPort(ports[k]!, anyHost[k]!, e.family, e.origDst, e.replySrc, e.replySport)) out[k]! += e.count;
    }
  }
  return out;
}
