// The few host operations a transaction needs, all through the one runner:
// read one family's filter table, restore a payload, read a sysctl. Binaries
// follow the backend Docker uses (iptables-nft-* / iptables-legacy-*).
import type { Backend, Family, Ruleset } from '../core/types.js';
import { parseIptablesSave } from '../core/parse/iptables-save.js';
import { findExecutable, run } from '../host/runner.js';

function tool(family: Family, backend: Backend, kind: 'save' | 'restore'): string {
  const prefix = family === 4 ? 'iptables' : 'ip6tables';
  const explicit = `${prefix}-${backend}-${kind}`;
  if (findExecutable(explicit)) return explicit;
  return `${prefix}-${kind}`;
}

export function saveTool(family: Family, backend: Backend): string {
  return tool(family, backend, 'save');
}

export function restoreTool(family: Family, backend: Backend): string {
  return tool(family, backend, 'restore');
}

export interface HostOptions {
  netns?: string;
}

/** `iptables-save -c -t filter` of one family (inside --netns), parsed. */
export async function readFilter(family: Family, backend: Backend, o: HostOptions): Promise<{ ruleset: Ruleset; ms: number; text: string }> {
  const bin = saveTool(family, backend);
  const r = await run([bin, '-c', '-t', 'filter'], { netns: o.netns, timeoutMs: 20_000 });
  const ruleset = parseIptablesSave(r.stdout, { family, backend, source: `${bin} -c -t filter` });
  return { ruleset, ms: r.durationMs, text: r.stdout };
}

/** One `iptables-restore --noflush -w` transaction: all of it applies, or none. */
export async function restore(family: Family, backend: Backend, payload: string, o: HostOptions): Promise<number> {
  const bin = restoreTool(family, backend);
  const r = await run([bin, '--noflush', '-w', '5'], { netns: o.netns, input: payload, timeoutMs: 30_000 });
  return r.durationMs;
}

/** A /proc/sys value inside the namespace (`cat`, via the runner); null when the file does not exist. */
export async function readProcSys(path: string, o: HostOptions): Promise<string | null> {
  if (!/^\/proc\/sys\/[a-z0-9_/.-]+$/.test(path)) throw new RangeError(`not a /proc/sys path: ${path}`);
  try {
    const r = await run(['cat', path], { netns: o.netns, timeoutMs: 5_000 });
    return r.stdout.trim();
  } catch {
    return null;
  }
}
