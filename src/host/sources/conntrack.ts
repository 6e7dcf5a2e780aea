// conntrack adapter: the raw `conntrack -L` table (conntrack.txt) and the
// `conntrack -E` event stream, line by line. Parsing is the core's job.
//
// Families: conntrack-tools 1.4.7 lists IPv4 and IPv6 entries with a plain
// `-L` (checked on Debian 12); older releases listed IPv4 only. So when the
// plain listing holds no IPv6 entry we also ask `-L -f ipv6` and append what
// it finds: one cheap extra call, and both families are captured either way.
// The "N flow entries have been shown." summary goes to stderr and is dropped.

import { threadId, Worker } from 'node:worker_threads';
import type { ConntrackCounter, FlowCounts } from '../../core/parse/conntrack-count.js';
import type { ParseIssue } from '../../core/types.js';
import { DEFAULT_TIMEOUT_MS, run, spawnStream, type StreamEnd, type StreamHandle } from '../runner.js';
import { ownScript } from '../own-script.js';
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
    const v6 = await ipv6Listing(hasIpv6Entries(text), opts, out);
    if (v6 !== null) {
      if (text !== '' && !text.endsWith('\n')) text += '\n';
      text += v6;
    }
    out.files['conntrack.txt'] = text;
  } catch (e) {
    if (isPermissionError(e)) out.permissionDenied = true;
    out.unavailable['conntrack.txt'] = reasonOf(e);
  }
  return out;
}

/**
 * The text of `conntrack -L -f ipv6` to append to a plain listing with no
 * IPv6 entry (see above); null when it is not needed, empty or failed (a
 * note then says so).
 */
async function ipv6Listing(plainHasIpv6: boolean, opts: SourceOptions, out: SourceResult): Promise<string | null> {
  if (plainHasIpv6) return null;
  try {
    const r6 = await run(['conntrack', '-L', '-f', 'ipv6'], opts);
    out.timings['conntrack -L -f ipv6'] = r6.durationMs;
    return r6.stdout.trim() !== '' ? r6.stdout : null;
  } catch (e) {
    out.notes.push(`IPv6 connection tracking entries could not be listed: ${reasonOf(e)}`);
    return null;
  }
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

// ---------------------------------------------------------------- counted read
//
// The one-shot `status` needs flows only as numbers. On a big host
// `conntrack -L` is the longest read (0.8 s for 100k entries) and parsing its
// output takes another 0.3 s, while the rest of status (the rules' parse, the
// join, the findings) needs nothing from it. So status reads and counts
// conntrack in a worker thread and builds everything else meanwhile: the
// worker's event loop drains the pipe while the main thread is busy, which a
// read on the main thread could not (conntrack would stall on a full pipe).

/** readConntrack's outcome with the flows counted by join key (model/flows.ts) instead of kept. */
export interface ConntrackCount {
  /** readConntrack's result without the text (files is empty). */
  result: SourceResult;
  /** null when conntrack.txt could not be read (result.unavailable says why). */
  counts: FlowCounts | null;
  /** Parse issues of conntrack.txt, as buildSnapshot would give them. */
  issues: ParseIssue[];
  /** The thread that read and counted (0: the main thread, when no worker could). */
  threadId: number;
}

/**
 * readConntrack with the flows counted by join key (the worker runs this).
 * The listing is counted line by line as conntrack prints it, so the count
 * ends with the read instead of following it (0.3 s for 100k entries); when
 * that read does not end cleanly, readConntrack reads again, so every reason
 * and note is its own.
 */
export async function countConntrackHere(opts: { netns?: string; timeoutMs?: number } = {}): Promise<ConntrackCount> {
  const streamed = await countStreaming(opts);
  if (streamed !== null) return streamed;
  const r = await readConntrack(opts);
  const { countConntrack } = await import('../../core/parse/conntrack-count.js');
  const text = r.files['conntrack.txt'];
  const result: SourceResult = { ...r, files: {} };
  if (text === undefined) return { result, counts: null, issues: [], threadId };
  const { counts, issues } = countConntrack(text, 'conntrack.txt');
  return { result, counts, issues, threadId };
}

/**
 * IPV6_ENTRY on one line, where it may also end at the end of the line: in
 * the whole text a line is followed by its newline, unless it is the last one
 * and the text does not end with a newline (readline does not say).
 */
const IPV6_ENTRY_LINE = /\bsrc=[0-9a-fA-F]*:[0-9a-fA-F:.]*(?:\s|$)/;

/**
 * countConntrackHere's streamed read, or null when `conntrack -L` did not run
 * and exit cleanly. readline splits lines at \n (and at a lone \r, which
 * conntrack does not print); lines are counted in order, as in the text.
 */
async function countStreaming(opts: { netns?: string; timeoutMs?: number }): Promise<ConntrackCount | null> {
  const out = emptyResult();
  const started = performance.now();
  let counter: ConntrackCounter | null = null;
  const early: string[] = [];
  let hasIpv6 = false;
  /** The last line matched IPV6_ENTRY only at its end: whether the text does depends on a final newline. */
  let atEnd = false;
  const onLine = (l: string) => {
    if (atEnd) hasIpv6 = true; // a newline did follow it
    if (!hasIpv6) {
      const m = IPV6_ENTRY_LINE.exec(l);
      if (m !== null) {
        if (m.index + m[0].length < l.length || /\s$/.test(m[0])) hasIpv6 = true;
        else atEnd = true;
      }
    }
    if (counter !== null) counter.lines.line(l);
    else early.push(l);
  };
  let h: StreamHandle;
  try {
    h = spawnStream(['conntrack', '-L'], { netns: opts.netns, onLine });
  } catch {
    return null;
  }
  const timer = setTimeout(() => void h.stop(), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    // Loaded while conntrack starts (in a fresh worker, a tenth of a second);
    // the lines that came meanwhile wait in `early`.
    const { ConntrackCounter } = await import('../../core/parse/conntrack-count.js');
    counter = new ConntrackCounter('conntrack.txt');
    for (const l of early) counter.lines.line(l);
    early.length = 0;
    const end = await h.done;
    if (end.stopped || end.error !== null || end.exitCode !== 0) return null;
    // Whether IPv6 entries were seen hangs on a final newline: ask readConntrack.
    if (atEnd && !hasIpv6) return null;
  } finally {
    clearTimeout(timer);
  }
  out.timings['conntrack -L'] = Math.round((performance.now() - started) * 10) / 10;
  const v6 = await ipv6Listing(hasIpv6, opts, out);
  if (v6 !== null) counter.lines.text(v6);
  const { counts, issues } = counter.result();
  return { result: out, counts, issues, threadId };
}

const WORKER = ownScript(import.meta.url, 'conntrack-worker', './host/sources/conntrack-worker.js');

export interface ConntrackCountJob {
  done: Promise<ConntrackCount>;
  /** Ends the worker (a caller that gave up on the answer). */
  stop(): void;
}

/**
 * countConntrackHere in a worker thread. Never rejects: when the worker
 * cannot start or dies, the count is done on this thread instead.
 */
export function countConntrackInWorker(opts: { netns?: string; timeoutMs?: number } = {}): ConntrackCountJob {
  let worker: Worker;
  try {
    if (WORKER.ts) {
      // From src (tests): tsx must be registered before the worker's module
      // loads (an `--import tsx` in execArgv comes too late for a worker's entry).
      const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
      const code = `import(${api}).then((m) => m.register()).then(() => import(${JSON.stringify(WORKER.url.href)}))`;
      worker = new Worker(code, { eval: true, workerData: opts });
    } else worker = new Worker(WORKER.url, { workerData: opts });
  } catch {
    return { done: countConntrackHere(opts), stop: () => {} };
  }
  let stopped = false;
  const done = new Promise<ConntrackCount>((resolve) => {
    let settled = false;
    const fallback = () => {
      if (settled) return;
      settled = true;
      resolve(stopped ? { result: emptyResult(), counts: null, issues: [], threadId } : countConntrackHere(opts));
    };
    worker.once('message', (m: ConntrackCount) => {
      settled = true;
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', fallback);
    worker.once('exit', fallback);
  });
  return {
    done,
    stop: () => {
      stopped = true;
      void worker.terminate();
    },
  };
}
