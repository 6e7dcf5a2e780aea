// conntrack adapter: the raw `conntrack -L` table (conntrack.txt) and the
// `conntrack -E` event stream, line by line. Parsing is the core's job.
//
// Families: conntrack-tools 1.4.7 lists IPv4 and IPv6 entries with a plain
// `-L` (checked on Debian 12); older releases listed IPv4 only. So when the
// plain listing holds no IPv6 entry we also ask `-L -f ipv6` and append what
// it finds: one cheap extra call, and both families are captured either way.
// The "N flow entries have been shown." summary goes to stderr and is dropped.

import { run, spawnStream, type StreamEnd } from '../runner.js';
import { emptyResult, isPermissionError, reasonOf, type SourceOptions, type SourceResult } from './common.js';

const IPV6_ENTRY = /\bsrc=[0-9a-fA-F]*:[0-9a-fA-F:.]*\s/;

/** true when some line of a `conntrack -L` listing is an IPv6 entry. */
export function hasIpv6Entries(text: string): boolean {
  return IPV6_ENTRY.test(text);
}

export async function readConntrack(opts: SourceOptions = {}): Promise<SourceResult> {
  const out = emptyResult();
  try {
    const r = await run(['conntrack', '-L'], opts);
    out.timings['conntrack -L'] = r.durationMs;
    let text = r.stdout;
    if (!hasIpv6Entries(text)) {
      try {
        const r6 = await run(['conntrack', '-L', '-f', 'ipv6'], opts);
        out.timings['conntrack -L -f ipv6'] = r6.durationMs;
        if (r6.stdout.trim() !== '') {
          if (text !== '' && !text.endsWith('\n')) text += '\n';
          text += r6.stdout;
        }
      } catch (e) {
        out.notes.push(`IPv6 connection tracking entries could not be listed: ${reasonOf(e)}`);
      }
    }
    out.files['conntrack.txt'] = text;
  } catch (e) {
    if (isPermissionError(e)) out.permissionDenied = true;
    out.unavailable['conntrack.txt'] = reasonOf(e);
  }
  return out;
}

export interface ConntrackWatch {
  /** Ends `conntrack -E` and waits for it. */
  stop(): Promise<StreamEnd>;
  /** Settles when the stream ends (error set when it failed on its own). */
  done: Promise<StreamEnd>;
}

/**
 * Follow `conntrack -E` (new, update and destroy events, both families) and
 * hand each raw line to onLine, e.g.
 * `    [NEW] tcp      6 120 SYN_SENT src=... dst=... sport=... dport=... [UNREPLIED] src=...`.
 * Throws synchronously only when conntrack is not installed or the netns name
 * is invalid.
 */
export function watchConntrack(
  opts: { netns?: string; signal?: AbortSignal; onStderrLine?: (line: string) => void },
  onLine: (line: string) => void,
): ConntrackWatch {
  const h = spawnStream(['conntrack', '-E'], {
    netns: opts.netns,
    signal: opts.signal,
    onLine,
    onStderrLine: opts.onStderrLine,
  });
  return { stop: h.stop, done: h.done };
}
