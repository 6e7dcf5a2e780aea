// Ties conntrack flows to published ports. A forwarded flow's original tuple
// carries the host port and its reply tuple the container's address and port
// (netfilter-facts.md "Conntrack"); a docker-proxy flow is not DNATed: its
// reply comes from the host address and port it was sent to.
import type { Flow } from '../types.js';
import { isAnyAddr, normalizeAddr } from '../net/addr.js';
import type { PublishedPort } from './types.js';

/** Index of flows by `proto/origDport` so a port finds its flows without scanning all of them. */
export function indexFlows(flows: Flow[]): Map<string, Flow[]> {
  const idx = new Map<string, Flow[]>();
  for (const f of flows) {
    if (f.orig.dport === null) continue;
    const k = `${f.proto}/${f.orig.dport}`;
    let list = idx.get(k);
    if (!list) idx.set(k, (list = []));
    list.push(f);
  }
  return idx;
}

function sameAddr(a: string, b: string): boolean {
  return a === b || normalizeAddr(a) === normalizeAddr(b);
}

export function flowsOfPort(p: PublishedPort, idx: ReadonlyMap<string, Flow[]>): Flow[] {
  const candidates = idx.get(`${p.proto}/${p.hostPort}`) ?? [];
  const out: Flow[] = [];
  for (const f of candidates) {
    if (f.family !== p.family) continue;
    if (!isAnyAddr(p.hostIp) && !sameAddr(f.orig.dst, p.hostIp)) continue;
    const dnated = p.containerIp !== '' && sameAddr(f.reply.src, p.containerIp) && f.reply.sport === p.containerPort;
    const toProxy = p.proxy && sameAddr(f.reply.src, f.orig.dst) && f.reply.sport === p.hostPort;
    if (dnated || toProxy) out.push(f);
  }
  return out;
}
