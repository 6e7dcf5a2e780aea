// The refresh engine: what the TUI runs every tick, reading only what can
// have changed and building the model incrementally (src/core/refresh).
//
//   every tick     iptables-save -c (counters and rules; parsed with a
//                  RuleCache), ip -j -s link (interface counters)
//   addresses,     ip -j addr and the /proc docker-proxy scan: at start, after
//   proxies        a Docker event, after a tick whose rules or links changed
//                  (Docker publishing a port without an event we saw), and
//                  with every conntrack resync. They change only with
//                  Docker or the operator, and reading them every second
//                  was a third of an idle TUI's work.
//   flows          the `conntrack -E` stream applied to a FlowTable; a full
//                  `conntrack -L` only at start, when the stream failed or
//                  overflowed ("No buffer space available": events were
//                  lost), and every resyncMs (default 60 s; 5 min past
//                  BIG_TABLE entries) as a safety net;
//                  without a stream (not root, no conntrack), every tick
//   Docker         at start and after a Docker event (containers, networks)
//   sysctl, legacy at start and with every conntrack resync (iptables-legacy-save:
//   iptables       two processes a tick saved on hosts that do not use it)
//
// Every tick applies the conntrack events buffered since the last one. Only
// when ticks stop coming (paused, failing, a slow read) are events applied
// every flushMs on their own, as a flows-only model (counters and rates
// untouched): while ticks run, a separate flush was a second build and a
// second frame every interval under traffic, and keys waited behind both.
import { FlowTable } from '../core/flows/table.js';
import { parseConntrack } from '../core/parse/conntrack.js';
import { IncrementalBuilder, type BuildResult } from '../core/refresh/model.js';
import { CAPTURE_FILES, type CaptureFile, type RawCapture } from '../core/types.js';
import { watchEvents } from './docker-api.js';
import { readLiveDetailed, SOURCE_FILES, type LiveOptions, type LiveRead, type LiveSourceName } from './live-source.js';
import type { DumpCache } from './sources/iptables.js';
import { watchConntrack } from './sources/conntrack.js';

export interface RefreshOptions {
  netns?: string;
  dockerHost?: string;
  timeoutMs?: number;
  /** Full conntrack re-read at least this often (ms). Default 60 s. */
  resyncMs?: number;
  /** How often buffered conntrack events are applied when no tick has applied them lately (ms). Default 500. */
  flushMs?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** Read the conntrack table in the first tick too (default: in the second, see plan()). */
  flowsFirst?: boolean;
  /** The host read (default readLiveDetailed); tests pass a fake. */
  read?: (opts: LiveOptions) => Promise<LiveRead>;
}

export interface TickResult extends BuildResult {
  /** Sources read this tick. */
  read: LiveSourceName[];
  /** The conntrack table was re-listed this tick. */
  resynced: boolean;
  /** Wall time of the reads (ms) and of the whole tick. */
  readMs: number;
  totalMs: number;
  /** Per-command timings of the read. */
  timings: Record<string, number>;
  /**
   * Nothing read this tick differs from the last tick (same texts, same
   * counters, same flows): `model` is the last tick's object, unchanged, so
   * a viewer can skip redrawing an idle host.
   */
  unchanged: boolean;
  /** Flows were not read yet (the first tick): tick again at once for them. */
  partial: boolean;
}

const OVERFLOW = /No buffer space available|ENOBUFS/i;
/** A conntrack table this big is re-listed less often as a safety net (safetyResyncMs). */
export const BIG_TABLE = 20_000;
/** Events kept while waiting for a flush or a resync; past this, resync instead. */
const MAX_PENDING = 200_000;

export class RefreshEngine {
  readonly table = new FlowTable();
  readonly builder = new IncrementalBuilder();
  private files: RawCapture['files'] = {};
  /** Last iptables dumps: an unchanged one is not sent back by the spawner (DumpCache). */
  private readonly dumps: DumpCache = new Map();
  private unavailable: RawCapture['meta']['unavailable'] = {};
  /** Notes of the last read of the sources not read every tick. */
  private stickyNotes: string[] = [];
  private meta: Omit<RawCapture['meta'], 'time' | 'unavailable' | 'notes'> | null = null;
  private first = true;
  private dockerDirty = true;
  /** Rules or links changed last tick: re-read addresses and docker-proxies. */
  private hostDirty = false;
  private needResync = true;
  private lastResync = 0;
  private streaming = false;
  private resyncing = false;
  private pending: string[] = [];
  /** What the last tick built from, to tell an idle host's tick from a real change. */
  private lastTick: { files: RawCapture['files']; unavailable: string; tableVersion: number; result: BuildResult } | null = null;
  private readonly resyncMs: number;
  private readonly flushMs: number;
  /** When a tick last applied the buffered events (engine clock). */
  private drainedAt = -Infinity;
  private readonly now: () => number;

  constructor(private readonly opts: RefreshOptions = {}) {
    this.resyncMs = opts.resyncMs ?? 60_000;
    this.flushMs = opts.flushMs ?? 500;
    this.now = opts.now ?? (() => Date.now());
  }

  /** Docker's events matter (a daemon for this host/namespace is known). */
  get watchesDocker(): boolean {
    return this.opts.dockerHost !== undefined || this.opts.netns === undefined;
  }

  /**
   * The safety-net re-list interval. Lost events already force a re-list
   * (ENOBUFS, backlog, a restarted stream), so this only guards against
   * what nobody reported. A table of 100,000 entries costs ~1.5 s of CPU to
   * dump and parse: past BIG_TABLE entries it runs five times less often.
   */
  private safetyResyncMs(): number {
    return this.table.size > BIG_TABLE ? this.resyncMs * 5 : this.resyncMs;
  }

  /** Which sources the next tick reads. */
  plan(): { sources: LiveSourceName[]; resync: boolean } {
    // The first tick leaves the conntrack table for the second (TickResult.partial):
    // on a big host its dump takes longer than all the rest, and the first
    // frame should not wait for flows.
    const deferFlows = this.first && this.opts.flowsFirst !== true;
    const resync = !deferFlows && (this.first || this.needResync || !this.streaming || this.now() - this.lastResync >= this.safetyResyncMs());
    const sources: LiveSourceName[] = ['iptables', 'links'];
    if (this.first || this.dockerDirty) sources.push('docker');
    if (this.first || this.dockerDirty || this.hostDirty || resync) sources.push('addresses', 'proxies');
    // Legacy tables are rarely in use (and then rarely change): read with the resync.
    if (resync) sources.push('conntrack', 'sysctl', 'iptables-legacy');
    else if (deferFlows) sources.push('sysctl', 'iptables-legacy');
    return { sources, resync };
  }

  /** One refresh. Rejects only when the namespace is unusable (as readLive does). */
  async tick(signal?: AbortSignal): Promise<TickResult> {
    const t0 = performance.now();
    const { sources, resync } = this.plan();
    if (resync) {
      // Events from before the dump are superseded by it; those from during it are applied after.
      this.resyncing = true;
      this.pending = [];
    }
    const dockerWasDirty = this.dockerDirty;
    const hostWasDirty = this.hostDirty;
    this.dockerDirty = false;
    this.hostDirty = false;
    let read;
    try {
      read = await (this.opts.read ?? readLiveDetailed)({ netns: this.opts.netns, dockerHost: this.opts.dockerHost, timeoutMs: this.opts.timeoutMs, signal, only: sources, dumpCache: this.dumps });
    } catch (e) {
      this.resyncing = false;
      if (dockerWasDirty) this.dockerDirty = true;
      if (hostWasDirty) this.hostDirty = true;
      throw e;
    }
    const t1 = performance.now();
    const cap = read.capture;
    for (const name of sources) {
      for (const f of SOURCE_FILES[name]) {
        const text = cap.files[f];
        if (text !== undefined) {
          this.files[f] = text;
          delete this.unavailable[f];
        } else {
          delete this.files[f];
          this.unavailable[f] = cap.meta.unavailable[f] ?? 'not read';
        }
      }
    }
    // Notes are not tagged by source: keep those of the last read of the occasional sources.
    if (sources.includes('docker') || sources.includes('conntrack')) this.stickyNotes = cap.meta.notes;
    const notes = [...new Set([...this.stickyNotes, ...cap.meta.notes])];
    this.meta = { hostname: cap.meta.hostname, netns: cap.meta.netns, dockerVersion: cap.meta.dockerVersion ?? this.meta?.dockerVersion ?? null };

    if (resync) {
      const text = this.files['conntrack.txt'];
      this.table.reset(text === undefined ? [] : parseConntrack(text).flows);
      // The table holds the flows now; do not keep a 15 MB dump around.
      if (text !== undefined) this.files['conntrack.txt'] = '';
      this.lastResync = this.now();
      this.needResync = false;
      this.resyncing = false;
    }
    this.drain();
    this.drainedAt = this.now();
    this.first = false;

    const raw: RawCapture = {
      // conntrack.txt comes from the table, not the text (which may be a minute old).
      files: Object.fromEntries(CAPTURE_FILES.filter((f) => f !== 'conntrack.txt' && this.files[f] !== undefined).map((f) => [f, this.files[f]])),
      meta: {
        time: cap.meta.time,
        hostname: this.meta.hostname,
        netns: this.meta.netns,
        dockerVersion: this.meta.dockerVersion,
        unavailable: orderedUnavailable(this.unavailable),
        notes,
      },
    };
    const useTable = this.files['conntrack.txt'] !== undefined;
    if (useTable) raw.files['conntrack.txt'] = ''; // present (read), its flows from the table
    const last = this.lastTick;
    const unavailable = JSON.stringify(raw.meta.unavailable);
    if (!resync && last && last.tableVersion === this.table.version && last.unavailable === unavailable && sameFiles(last.files, raw.files)) {
      // String compares (memcmp) of the dumps: far cheaper than a build.
      // Nothing was parsed or joined this time: the build times say so.
      return { ...last.result, parseMs: 0, joinMs: 0, read: sources, resynced: false, readMs: t1 - t0, totalMs: performance.now() - t0, timings: read.timings, unchanged: true, partial: false };
    }
    const built = this.builder.build(raw, useTable ? this.table : null);
    this.lastTick = { files: raw.files, unavailable, tableVersion: this.table.version, result: built };
    // Anything but a counters-only change (new rules, links, Docker state):
    // the addresses and proxies that go with it are read on the next tick.
    // (Not when this tick read them already: that would re-read them forever.)
    if (built.kind !== 'counters' && !sources.includes('proxies')) this.hostDirty = true;
    const partial = this.files['conntrack.txt'] === undefined && this.unavailable['conntrack.txt'] === undefined;
    return { ...built, read: sources, resynced: resync, readMs: t1 - t0, totalMs: performance.now() - t0, timings: read.timings, unchanged: false, partial };
  }

  /** Apply buffered event lines to the table (not during a resync). */
  private drain(): number {
    if (this.resyncing || this.pending.length === 0) return 0;
    const lines = this.pending;
    this.pending = [];
    let n = 0;
    for (const l of lines) if (this.table.applyLine(l)) n++;
    return n;
  }

  /** Feed one `conntrack -E` line (the stream calls this; tests too). */
  pushEventLine(line: string): void {
    if (this.pending.length >= MAX_PENDING) {
      this.needResync = true;
      this.pending = [];
      return;
    }
    this.pending.push(line);
  }

  /** Events were lost or the stream ended: the next tick re-lists the table. */
  markLost(): void {
    this.needResync = true;
  }

  /** Apply buffered events now; a flows-only build when the table changed. */
  flush(): BuildResult | null {
    if (this.drain() === 0) return null;
    return this.builder.withFlows(this.table);
  }

  /**
   * flush(), unless a tick applied the events lately (within two flush
   * periods: a tick's read takes a while, and timers drift): the next tick
   * brings them with its counters, in one build and one frame.
   */
  flushBetweenTicks(): BuildResult | null {
    if (this.now() - this.drainedAt < 2 * this.flushMs) return null;
    return this.flush();
  }

  /**
   * Follow `conntrack -E` until the signal aborts, restarting it with backoff
   * when it ends, and hand out flows-only models every flushMs while no tick
   * applies the events (flushBetweenTicks). Never rejects; a failing stream
   * is reported through onError (null when it works again).
   */
  async followFlows(onBuild: (r: BuildResult) => void, signal: AbortSignal, onError?: (msg: string | null) => void): Promise<void> {
    const timer = setInterval(() => {
      const r = this.flushBetweenTicks();
      if (r) onBuild(r);
    }, this.flushMs);
    let delay = 1000;
    try {
      while (!signal.aborted) {
        let failed: string | null = null;
        try {
          const w = watchConntrack(
            {
              netns: this.opts.netns,
              signal,
              onStderrLine: (l) => {
                if (OVERFLOW.test(l)) this.markLost();
              },
            },
            (l) => this.pushEventLine(l),
          );
          this.streaming = true;
          // Events before the stream started are lost: the next tick re-lists the table.
          this.markLost();
          onError?.(null);
          const end = await w.done;
          if (end.error && !end.stopped) failed = end.error.message;
        } catch (e) {
          failed = e instanceof Error ? e.message : String(e);
        }
        this.streaming = false;
        this.markLost();
        if (signal.aborted) break;
        if (failed) {
          onError?.(`conntrack events: ${failed}`);
          delay = Math.min(delay * 2, 30_000);
        } else delay = 1000;
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            r();
          }, { once: true });
        });
      }
    } finally {
      clearInterval(timer);
      this.streaming = false;
    }
  }

  /** Docker's event stream: each event marks Docker for re-reading, then onEvent. */
  followDocker(onEvent: () => void, signal: AbortSignal): Promise<void> {
    if (!this.watchesDocker) return new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    return watchEvents(
      this.opts.dockerHost,
      () => {
        this.dockerDirty = true;
        onEvent();
      },
      signal,
    );
  }
}

/**
 * Parts of a dump that change every second without anything on the host
 * changing: the "# Generated by ... on <date>" lines of iptables-save and a
 * bridge's kernel timers in `ip -d link` (gc_timer counts down). Left out
 * when deciding whether a tick brought anything new.
 */
const IPTABLES_DUMPS = new Set<CaptureFile>(['iptables-save.txt', 'ip6tables-save.txt', 'iptables-legacy-save.txt', 'ip6tables-legacy-save.txt']);
const BRIDGE_TIMERS = /"(?:gc|hello|tcn|topology_change)_timer":[0-9.]+/g;

export function sameFiles(a: RawCapture['files'], b: RawCapture['files']): boolean {
  for (const f of CAPTURE_FILES) {
    const x = a[f];
    const y = b[f];
    if (x === y) continue;
    if (x === undefined || y === undefined || x.length !== y.length) return false;
    if (IPTABLES_DUMPS.has(f)) {
      if (!sameButCommentLines(x, y)) return false;
    } else if (f === 'ip-link.json') {
      // small (one object per interface): a regex pass is fine here
      if (x.replace(BRIDGE_TIMERS, '') !== y.replace(BRIDGE_TIMERS, '')) return false;
    } else return false;
  }
  return true;
}

/**
 * Equal texts of equal length but for their `#` lines (iptables-save writes
 * only its date lines that way). Compares the stretches between comment
 * lines in place (V8 slices share the text), not a 2 MB copy per tick.
 */
function nextCommentLine(t: string, from: number): number {
  const i = t.indexOf('\n#', from);
  return i < 0 ? -1 : i + 1;
}

function sameButCommentLines(x: string, y: string): boolean {
  let from = 0;
  for (;;) {
    // `from` is always at the start of a line
    const c = x.charCodeAt(from) === 35 /* # */ ? from : nextCommentLine(x, from);
    if (c < 0) return x.slice(from) === y.slice(from);
    if (x.slice(from, c) !== y.slice(from, c) || y.charCodeAt(c) !== 35 /* # */) return false;
    const ex = x.indexOf('\n', c);
    const ey = y.indexOf('\n', c);
    // a date of another length shifts the rest: call that a change (rare, costs one redraw)
    if (ex !== ey) return false;
    if (ex < 0) return true;
    from = ex + 1;
  }
}

function orderedUnavailable(u: RawCapture['meta']['unavailable']): RawCapture['meta']['unavailable'] {
  const out: RawCapture['meta']['unavailable'] = {};
  for (const f of CAPTURE_FILES as readonly CaptureFile[]) if (u[f] !== undefined) out[f] = u[f];
  return out;
}
