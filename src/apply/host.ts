// The few host operations a transaction needs, all through the one runner:
// read one family's filter table, restore a payload, read a sysctl. Binaries
// follow the backend Docker uses (iptables-nft-* / iptables-legacy-*).
import type { Backend, Family, Ruleset } from '../core/types.js';
import { parseIptablesS, parseIptablesSave } from '../core/parse/iptables-save.js';
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

/** `iptables-nft` / `iptables-legacy` (or plain `iptables`) for -S. */
function listTool(family: Family, backend: Backend): string {
  const prefix = family === 4 ? 'iptables' : 'ip6tables';
  return findExecutable(`${prefix}-${backend}`) ? `${prefix}-${backend}` : prefix;
}

/**
 * Only some chains of one family's filter table: `iptables -S CHAIN` for each,
 * in parallel, parsed as one table. On a host with 20,000 rules this takes
 * ~20 ms where `iptables-save -t filter` takes ~300 ms plus the parse, which
 * is what kept apply + verify slow. Null when any chain could not be read
 * (it does not exist, or an error): the caller reads the whole table then,
 * so a missing chain is never guessed from an error message.
 */
export async function readChains(family: Family, backend: Backend, names: readonly string[], o: HostOptions): Promise<{ ruleset: Ruleset; ms: number } | null> {
  const bin = listTool(family, backend);
  const t0 = performance.now();
  try {
    const outs = await Promise.all([...new Set(names)].map((n) => run([bin, '-w', '5', '-S', n], { netns: o.netns, timeoutMs: 20_000 })));
    const ruleset = parseIptablesS(outs.map((r) => r.stdout).join(''), { family, backend, table: 'filter', source: `${bin} -S` });
    return { ruleset, ms: performance.now() - t0 };
  } catch {
    return null;
  }
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
