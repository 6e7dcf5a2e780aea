// Which published binding an action means: --port [--proto] [--host-ip]
// [--container], checked against the model. A binding groups the ports of
// one `-p` mapping across families (Docker's 0.0.0.0 and :: halves).
import type { Family } from '../types.js';
import type { HostModel, PublishedPort } from '../model/types.js';
import { isAnyAddr } from '../net/addr.js';
import { parseHostAddr, validatePort, validateProto } from './rules.js';
import { PlanError, type PortSelector } from './types.js';

export interface Binding {
  /** Section id: `tcp/8080`, or `tcp/8080@198.51.100.1` for a binding to one address. */
  id: string;
  proto: string;
  hostPort: number;
  /** The host address it is bound to; null for every address (0.0.0.0 / ::). */
  hostIp: string | null;
  container: string | null;
  /** Every published port of the binding, one or two families. */
  ports: PublishedPort[];
  /** `8080/tcp (web)` */
  label: string;
}

function hostIpKey(ip: string): string | null {
  if (isAnyAddr(ip)) return null;
  try {
    return parseHostAddr(ip, 'host ip').ip;
  } catch {
    return ip;
  }
}

export function bindingId(proto: string, hostPort: number, hostIp: string | null): string {
  return hostIp === null ? `${proto}/${hostPort}` : `${proto}/${hostPort}@${hostIp}`;
}

function describe(b: { proto: string; hostPort: number; hostIp: string | null; container: string | null; containerIp?: string }): string {
  const where = b.hostIp === null ? '' : ` on ${b.hostIp}`;
  const who = b.container ?? b.containerIp ?? '?';
  return `${b.hostPort}/${b.proto}${where} (${who})`;
}

/** Group the model's published ports into bindings. */
export function bindingsOf(model: HostModel): Binding[] {
  const groups = new Map<string, Binding>();
  for (const p of model.published) {
    const hostIp = hostIpKey(p.hostIp);
    const who = p.container ?? p.containerId ?? p.containerIp;
    const key = `${p.proto}/${p.hostPort}/${hostIp ?? '*'}/${who}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        id: bindingId(p.proto, p.hostPort, hostIp),
        proto: p.proto,
        hostPort: p.hostPort,
        hostIp,
        container: p.container,
        ports: [],
        label: describe({ proto: p.proto, hostPort: p.hostPort, hostIp, container: p.container, containerIp: p.containerIp }),
      };
      groups.set(key, g);
    }
    g.ports.push(p);
  }
  return [...groups.values()];
}

/**
 * The one binding a selector means. Usage errors name the argument: an
 * unknown container, no such port, or an ambiguous match (demanding
 * --host-ip, --container or --proto).
 */
export function resolveBinding(model: HostModel, sel: PortSelector): Binding {
  validatePort(sel.port);
  const proto = sel.proto === undefined ? undefined : validateProto(sel.proto);
  let hostIp: string | null | undefined;
  if (sel.hostIp !== undefined) hostIp = isAnyAddr(sel.hostIp) ? null : parseHostAddr(sel.hostIp, '--host-ip').ip;
  if (sel.container !== undefined) {
    const name = sel.container.replace(/^\//, '');
    const known = model.containers.map((c) => c.name);
    if (!known.includes(name) && !model.published.some((p) => p.container === name)) {
      throw new PlanError(
        'usage',
        `--container ${JSON.stringify(sel.container)}: no such container${known.length ? ` (known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''})` : ''}`,
        '--container',
      );
    }
  }
  const all = bindingsOf(model);
  const byPort = all.filter((b) => b.hostPort === sel.port);
  if (byPort.length === 0) {
    throw new PlanError('usage', `--port ${sel.port}: no published port ${sel.port} on this host`, '--port');
  }
  const hits = byPort.filter(
    (b) =>
      (proto === undefined || b.proto === proto) &&
      (hostIp === undefined || b.hostIp === hostIp) &&
      (sel.container === undefined || b.container === sel.container.replace(/^\//, '')),
  );
  if (hits.length === 0) {
    const arg = proto !== undefined ? '--proto' : hostIp !== undefined ? '--host-ip' : '--container';
    throw new PlanError(
      'usage',
      `${arg}: port ${sel.port} is published only as ${byPort.map((b) => b.label).join(', ')}`,
      arg,
    );
  }
  if (hits.length > 1) {
    throw new PlanError(
      'usage',
      `--port ${sel.port} matches ${hits.length} published bindings: ${hits.map((b) => b.label).join(', ')}; say which with --host-ip, --container or --proto`,
      '--port',
    );
  }
  return hits[0] as Binding;
}

/** The binding's ports of one family that are forwarded (a DNAT rule exists). */
export function forwardedPorts(b: Binding, family: Family): PublishedPort[] {
  return b.ports.filter((p) => p.family === family && p.dnat !== null && p.containerIp !== '');
}

export function familiesOf(b: Binding): Family[] {
  return [...new Set(b.ports.map((p) => p.family))].sort();
}
