// Published ports, from the DNAT rules alone, then joined with what Docker and
// the docker-proxy processes say. The rules decide what is reachable; Docker
// adds names; a proxy-only binding (e.g. `::` on an IPv4-only network) is a
// published port of its own family even though no DNAT rule carries it.
import type { DockerContainer, DockerProxy, Family } from '../types.js';
import { familyOf, hostOf, normalizeAddr } from '../net/addr.js';
import { valuedOption } from './match.js';
import { dnatTarget, dports } from '../parse/rule-query.js';
import type { PublishedPort, RuleRef } from './types.js';

export function publishedKey(family: Family, proto: string, hostIp: string, hostPort: number): string {
  return `${family}/${proto}/${hostIp}/${hostPort}`;
}

function emptyPort(family: Family, proto: string, hostIp: string, hostPort: number): PublishedPort {
  return {
    key: publishedKey(family, proto, hostIp, hostPort),
    family,
    proto,
    hostIp,
    hostPort,
    containerIp: '',
    containerPort: 0,
    bridge: null,
    container: null,
    containerId: null,
    proxy: false,
    proxyPid: null,
    sources: [],
    counters: null,
    dnat: null,
    path: [],
    flows: [],
  };
}

/** The DNAT rules of Docker's nat chains, one published port per host port. */
export function publishedFromRules(refs: RuleRef[]): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const ref of refs) {
    const r = ref.rule;
    if (r.table !== 'nat' || r.target !== 'DNAT' || ref.provenance !== 'docker') continue;
    if (r.chain !== 'DOCKER' && !r.chain.startsWith('DOCKER')) continue;
    const dest = dnatTarget(r);
    const destIp = dest?.ip ? normalizeAddr(dest.ip) : null;
    // The options themselves (valuedOption), not optionValue's copies: one per DNAT rule and flag.
    const proto = valuedOption(r, '-p');
    const dport = dports(r);
    const hr = dport?.ranges[0];
    if (!dest || !destIp || !proto || proto.negated || !dport || dport.negated || !hr || dport.ranges.length !== 1) continue;
    const d = valuedOption(r, '-d');
    const dv = d?.values[0] as string;
    const hostIp = d && !d.negated ? (hostOf(dv) ?? dv) : r.family === 4 ? '0.0.0.0' : '::';
    const inIf = valuedOption(r, '-i');
    const bridge = inIf?.negated ? (inIf.values[0] as string) : null;
    for (let p = hr.from; p <= hr.to; p++) {
      const port = emptyPort(r.family, (proto.values[0] as string).toLowerCase(), hostIp, p);
      port.containerIp = destIp;
      // A range maps one-to-one (7000-7002 -> 7000-7002); a single target port takes all;
      // no target port keeps the host port.
      port.containerPort = dest.port === null ? p : dest.portEnd !== null ? dest.port + (p - hr.from) : dest.port;
      port.bridge = bridge;
      port.sources.push('rules');
      port.counters = r.counters;
      port.dnat = ref;
      out.push(port);
    }
  }
  return out;
}

/**
 * Joins Docker's port bindings and the docker-proxy listeners onto the ports
 * found in the rules; adds the ones only Docker or a proxy knows about.
 */
export function joinPublished(
  fromRules: PublishedPort[],
  containers: DockerContainer[] | null,
  proxies: DockerProxy[] | null,
  bridgeOfIp: (ip: string) => string | null,
  warnings: string[],
): PublishedPort[] {
  const byKey = new Map<string, PublishedPort>();
  for (const p of fromRules) {
    if (!byKey.has(p.key)) byKey.set(p.key, p);
  }

  // Containers by their addresses, to name rule-only ports.
  const byIp = new Map<string, DockerContainer>();
  for (const c of containers ?? []) {
    for (const e of c.endpoints) {
      if (e.ipv4) byIp.set(e.ipv4, c);
      if (e.ipv6) {
        const n = normalizeAddr(e.ipv6);
        if (n) byIp.set(n, c);
      }
    }
  }

  for (const p of proxies ?? []) {
    const hostIp = normalizeAddr(p.hostIp) ?? p.hostIp;
    const family = familyOf(hostIp);
    if (!family) continue;
    const key = publishedKey(family, p.proto, hostIp, p.hostPort);
    let port = byKey.get(key);
    if (!port) {
      port = emptyPort(family, p.proto, hostIp, p.hostPort);
      port.containerIp = normalizeAddr(p.containerIp) ?? p.containerIp;
      port.containerPort = p.containerPort;
      port.bridge = bridgeOfIp(port.containerIp);
      byKey.set(key, port);
    }
    port.proxy = true;
    port.proxyPid = p.pid;
    if (!port.sources.includes('proxy')) port.sources.push('proxy');
  }

  for (const c of containers ?? []) {
    for (const b of c.ports) {
      const hostIp = normalizeAddr(b.hostIp || '0.0.0.0') ?? b.hostIp;
      const family = familyOf(hostIp);
      if (!family) continue;
      const key = publishedKey(family, b.proto, hostIp, b.hostPort);
      let port = byKey.get(key);
      if (!port) {
        // Docker lists it but no rule or proxy serves it: say so, and still show it.
        port = emptyPort(family, b.proto, hostIp, b.hostPort);
        const ep = c.endpoints.find((e) => (family === 6 ? e.ipv6 : e.ipv4)) ?? c.endpoints[0];
        port.containerIp = (family === 6 ? ep?.ipv6 : ep?.ipv4) ?? ep?.ipv4 ?? '';
        port.containerPort = b.containerPort;
        port.bridge = port.containerIp ? bridgeOfIp(port.containerIp) : null;
        byKey.set(key, port);
        if (c.running) warnings.push(`${c.name}: Docker publishes ${hostIp}:${b.hostPort}/${b.proto} but no DNAT rule or docker-proxy serves it`);
      }
      if (!port.sources.includes('docker')) port.sources.push('docker');
      port.container = c.name;
      port.containerId = c.id;
    }
  }

  for (const port of byKey.values()) {
    if (!port.container) {
      const c = byIp.get(port.containerIp);
      if (c) {
        port.container = c.name;
        port.containerId = c.id;
      }
    }
    if (!port.bridge && port.containerIp) port.bridge = bridgeOfIp(port.containerIp);
  }

  return [...byKey.values()].sort(comparePorts);
}

export function comparePorts(a: PublishedPort, b: PublishedPort): number {
  return (
    a.hostPort - b.hostPort ||
    a.proto.localeCompare(b.proto) ||
    a.family - b.family ||
    a.hostIp.localeCompare(b.hostIp)
  );
}

