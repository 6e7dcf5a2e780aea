// iptables adapter: raw `*-save -c` dumps for both families and both
// backends. Parsing is the core's job; this only picks the binaries, runs them
// and explains what could not be read.
//
// Backends: on Debian `iptables-save` is an alternatives link (usually to the
// nft variant), so `iptables-nft-save` is called by name when it exists. The
// legacy dump counts as "no legacy tables" when it holds only empty built-in
// chains with policy ACCEPT: the tables get instantiated by any
// `iptables-legacy -L`, which does not mean anything uses them.

import type { CaptureFile, Family } from '../../core/types.js';
import { findExecutable, run } from '../runner.js';
import { emptyResult, isPermissionError, mergeResults, reasonOf, type SourceOptions, type SourceResult } from './common.js';

/**
 * The last dump of each file and its digest, kept by a caller that reads
 * every tick (src/host/refresh.ts). An unchanged dump then comes back as
 * "unchanged" (runner digest option) and the kept text is returned: on an
 * idle host with 20,000 rules that is 2 MB a second neither sent, decoded
 * nor left to the garbage collector.
 */
export type DumpCache = Map<CaptureFile, { digest: string; text: string }>;

interface Dump {
  family: Family;
  backend: 'nft' | 'legacy';
  file: CaptureFile;
}

const DUMPS: Dump[] = [
  { family: 4, backend: 'nft', file: 'iptables-save.txt' },
  { family: 6, backend: 'nft', file: 'ip6tables-save.txt' },
  { family: 4, backend: 'legacy', file: 'iptables-legacy-save.txt' },
  { family: 6, backend: 'legacy', file: 'ip6tables-legacy-save.txt' },
];

/** Which backend the plain `iptables-save` is: read from `--version` ("(nf_tables)" / "(legacy)"). */
async function plainSaveBackend(bin: string, opts: SourceOptions): Promise<'nft' | 'legacy' | null> {
  try {
    const r = await run([bin, '--version'], { timeoutMs: opts.timeoutMs ?? 5_000, signal: opts.signal });
    const v = r.stdout + r.stderr;
    if (/nf_tables/.test(v)) return 'nft';
    if (/legacy/.test(v)) return 'legacy';
    return 'legacy'; // versions before 1.8 had no nft variant and printed no backend
  } catch {
    return null;
  }
}

interface Choice {
  bin: string | null;
  reason?: string;
}

async function chooseBinary(dump: Dump, opts: SourceOptions): Promise<Choice> {
  const prefix = dump.family === 4 ? 'iptables' : 'ip6tables';
  const explicit = `${prefix}-${dump.backend}-save`;
  if (findExecutable(explicit)) return { bin: explicit };
  const plain = `${prefix}-save`;
  if (findExecutable(plain)) {
    const backend = await plainSaveBackend(plain, opts);
    if (backend === dump.backend) return { bin: plain };
  }
  if (dump.backend === 'legacy') {
    return { bin: null, reason: `${explicit} is not installed (legacy backend not checked)` };
  }
  if (!findExecutable(plain)) {
    return { bin: null, reason: `${plain}: command not found (install the iptables package)` };
  }
  return { bin: null, reason: `${plain} is the legacy backend and ${explicit} is not installed (nft backend not checked)` };
}

/**
 * True when a legacy dump has no rules, no user chains, and only built-in
 * chains with policy ACCEPT: nothing uses the legacy backend.
 */
export function isEmptyLegacyDump(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line === 'COMMIT' || line.startsWith('*')) continue;
    if (/^:\S+ ACCEPT( \[\d+:\d+\])?$/.test(line)) continue;
    return false;
  }
  return true;
}

async function readDump(dump: Dump, opts: SourceOptions & { dumpCache?: DumpCache }, out: SourceResult): Promise<void> {
  const choice = await chooseBinary(dump, opts);
  if (!choice.bin) {
    out.unavailable[dump.file] = choice.reason ?? 'not available';
    return;
  }
  const label = `${choice.bin} -c`;
  try {
    const { dumpCache, ...runOpts } = opts;
    const prev = dumpCache?.get(dump.file);
    const r = await run([choice.bin, '-c'], dumpCache ? { ...runOpts, digest: { previous: prev?.digest ?? null } } : runOpts);
    out.timings[label] = r.durationMs;
    if (dumpCache && r.digest !== undefined) {
      if (r.unchanged && prev) r.stdout = prev.text;
      dumpCache.set(dump.file, { digest: r.digest, text: r.stdout });
    }
    if (dump.backend === 'legacy' && isEmptyLegacyDump(r.stdout)) {
      out.files[dump.file] = '';
      out.notes.push(`no legacy ${dump.family === 4 ? 'IPv4' : 'IPv6'} tables in use (${choice.bin} shows only empty built-in chains)`);
      return;
    }
    out.files[dump.file] = r.stdout;
  } catch (e) {
    if (isPermissionError(e)) out.permissionDenied = true;
    out.unavailable[dump.file] = reasonOf(e);
  }
}

/** Read iptables-save.txt, ip6tables-save.txt and the two legacy dumps. */
export async function readIptables(opts: SourceOptions & { files?: readonly CaptureFile[]; dumpCache?: DumpCache } = {}): Promise<SourceResult> {
  // One result per dump, merged in a fixed order so notes are deterministic.
  const dumps = opts.files ? DUMPS.filter((d) => opts.files?.includes(d.file)) : DUMPS;
  const parts = dumps.map(() => emptyResult());
  await Promise.all(dumps.map((d, i) => readDump(d, opts, parts[i] as SourceResult)));
  return mergeResults(parts);
}
