// Turning what the user typed (`--dst [HOST:]PORT[/proto]`, `--dst
// CONTAINER:PORT`) into explain queries, resolved against the model.
import type { Address, Family } from '../types.js';
import { familyOf, isAnyAddr, isLoopback, normalizeAddr } from '../net/addr.js';
import type { HostModel } from '../model/types.js';
import type { ExplainQuery } from './types.js';

export interface DstSpec {
  /** An IP address (host or container), or null. */
  addr: string | null;
  /** A container name, or null. */
  container: string | null;
  port: number;
  proto: string;
}

const PROTOS = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite']);

/** `8080`, `8080/udp`, `198.51.100.1:8080/tcp`, `[2001:db8::1]:8080`, `web:80/tcp`. */
export function parseDstSpec(spec: string): DstSpec | { error: string } {
  let s = spec.trim();
  let proto = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash !== -1) {
    proto = s.slice(slash + 1).toLowerCase();
    s = s.slice(0, slash);
    if (!PROTOS.has(proto)) return { error: `--dst: unknown protocol "${proto}" (tcp, udp, sctp, dccp)` };
  }
  let host: string | null = null;
  let portText = s;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close === -1 || s[close + 1] !== ':') return { error: `--dst: "${spec}": write an IPv6 address as [ADDR]:PORT` };
    host = s.slice(1, close);
    portText = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon !== -1) {
      if (s.indexOf(':') !== colon) return { error: `--dst: "${spec}": write an IPv6 address as [ADDR]:PORT` };
      host = s.slice(0, colon);
      portText = s.slice(colon + 1);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return { error: `--dst: "${portText}" is not a port (1-65535)` };
  const port = Number(portText);
  if (host === null || host === '') return { addr: null, container: null, port, proto };
  const addr = normalizeAddr(host);
  if (addr && !host.includes('/')) return { addr, container: null, port, proto };
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(host)) return { addr: null, container: host, port, proto };
  return { error: `--dst: "${host}" is neither an IP address nor a container name` };
}

export interface ResolvedQuery {
  /** What this query stands for, e.g. "web:80 published as 0.0.0.0:8080/tcp". */
  label: string;
  query: ExplainQuery;
}

/** The host's address to aim at when --dst names only a port. */
export function defaultHostAddr(addresses: Address[] | null, family: Family, opts: { src: string | null; iface: string | null; bridges: string[] }): string | null {
  if (opts.src && isLoopback(opts.src)) return family === 4 ? '127.0.0.1' : '::1';
  const usable = (addresses ?? []).filter((a) => a.family === family && a.scope !== 'link' && a.scope !== 'host' && !isLoopback(a.local));
  if (opts.iface) {
    const on = usable.find((a) => a.ifname === opts.iface);
    if (on) return normalizeAddr(on.local);
  }
  const ext = usable.find((a) => !opts.bridges.includes(a.ifname) && !a.ifname.startsWith('veth'));
  return ext ? normalizeAddr(ext.local) : null;
}

export interface ExplainArgs {
  src: string;
  iface?: string | null;
  dst: string;
  sport?: number | null;
  mark?: number | null;
}

/** Parses and resolves the CLI/TUI arguments into one query per destination the spec stands for. */
export function resolveExplain(model: HostModel, addresses: Address[] | null, args: ExplainArgs): ResolvedQuery[] | { error: string } {
  const src = normalizeAddr(args.src);
  if (!src || args.src.includes('/')) return { error: `--src: "${args.src}" is not an IP address` };
  const family = familyOf(src) as Family;
  const spec = parseDstSpec(args.dst);
  if ('error' in spec) return spec;
  const base = { src, iface: args.iface ?? null, proto: spec.proto, sport: args.sport ?? null, mark: args.mark ?? null };
  const bridges = model.bridges.map((b) => b.name);

  if (spec.addr) {
    if (familyOf(spec.addr) !== family) return { error: `--src ${src} and --dst ${spec.addr} are of different address families` };
    return [{ label: `${fmt(spec.addr)}:${spec.port}/${spec.proto}`, query: { ...base, dst: spec.addr, dport: spec.port } }];
  }
  if (spec.container) {
    const name = spec.container;
    const c = model.containers.find((x) => x.name === name || x.id.startsWith(name));
    const ports = model.published.filter((p) => (p.container === name || (c && p.containerId === c.id)) && p.containerPort === spec.port && p.proto === spec.proto);
    if (!c && ports.length === 0) return { error: `--dst: no container named "${name}"` };
    const out: ResolvedQuery[] = [];
    for (const p of ports) {
      if (p.family !== family) continue;
      const dst = isAnyAddr(p.hostIp) ? defaultHostAddr(addresses, family, { src, iface: base.iface, bridges }) : p.hostIp;
      out.push({ label: `${name}:${spec.port}/${spec.proto} published as ${fmt(p.hostIp)}:${p.hostPort}`, query: { ...base, dst, dport: p.hostPort, family } });
    }
    if (out.length > 0) return out;
    const ip = c?.networks.map((n) => (family === 4 ? n.ipv4 : n.ipv6)).find((x): x is string => !!x) ?? null;
    if (!ip) return { error: `--dst: ${name} has no IPv${family} address and no IPv${family} binding of ${spec.port}/${spec.proto}` };
    return [{ label: `${name}:${spec.port}/${spec.proto} directly at ${fmt(ip)} (not published)`, query: { ...base, dst: ip, dport: spec.port } }];
  }
  const dst = defaultHostAddr(addresses, family, { src, iface: base.iface, bridges });
  return [{ label: `${dst ? fmt(dst) : 'the host'}:${spec.port}/${spec.proto}`, query: { ...base, dst, dport: spec.port, family } }];
}

function fmt(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}
