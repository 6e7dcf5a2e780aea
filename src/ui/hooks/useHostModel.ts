// The polling subscription: reads the host every interval, with
//  - an overlap guard: a tick while a read runs is skipped (a slow host or
//    link must not pile reads up);
//  - backoff: after N failures in a row, ticks are skipped for
//    interval * 2^(N-1), at most 60 s; the last good data stays on screen;
//  - pause: ticks do nothing while paused (or a dialog is open);
//    refreshNow() still reads (the `r` key, Docker events);
//  - rates from the previous sample (computeRates), worked out between two
//    yields to the event loop so that a key press waiting since the read's
//    build is handled before them, and the state update after;
//  - cleanup on unmount: timer cleared, the running read aborted.
import { useCallback, useEffect, useRef, useState } from 'react';
import { computeRates, type Rates } from '../../core/model/rates.js';
import type { Loader, Sample } from '../data/sample.js';

export interface HostData {
  sample: Sample | null;
  prev: Sample | null;
  rates: Rates | null;
  prevRates: Rates | null;
  /** When the last good read finished (ms since epoch). */
  lastOk: number | null;
  /** Why the last read failed as a whole; null after a good one. */
  error: string | null;
  failures: number;
  reading: boolean;
  /** Reads done (good or not): lets tests and the status line see progress. */
  reads: number;
}

export const EMPTY_DATA: HostData = { sample: null, prev: null, rates: null, prevRates: null, lastOk: null, error: null, failures: 0, reading: false, reads: 0 };

export const MAX_BACKOFF_MS = 60_000;

/** Let pending input (key presses) run before the next piece of work. */
const yieldToInput = () => new Promise<void>((resolve) => setImmediate(resolve));

export function backoffMs(intervalMs: number, failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(intervalMs * 2 ** (failures - 1), MAX_BACKOFF_MS);
}

export function useHostModel(
  load: Loader,
  opts: { intervalMs: number; paused: boolean },
): { data: HostData; refreshNow: () => void; patchSample: (s: Sample) => void; lastOk: () => number | null } {
  const [data, setData] = useState<HostData>(EMPTY_DATA);
  // The data last rendered, and the time of the last good read even when it
  // brought nothing new (see below): the status line's age reads it.
  const shown = useRef(data);
  shown.current = data;
  const lastOkAt = useRef<number | null>(null);
  const inFlight = useRef(false);
  const pending = useRef(false);
  const failures = useRef(0);
  const backoffUntil = useRef(0);
  const paused = useRef(opts.paused);
  paused.current = opts.paused;
  const alive = useRef<AbortController | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  const read = useCallback(async () => {
    const ctl = alive.current;
    if (!ctl || ctl.signal.aborted) return;
    if (inFlight.current) {
      pending.current = true; // run once more right after the current read
      return;
    }
    inFlight.current = true;
    // Only the first read is announced ("reading the host…"): flagging every
    // tick would cost a full frame per tick for nothing on screen.
    // (Not even a no-op update after that: React would still call the tree.)
    if (!shown.current.sample && !shown.current.reading) setData((d) => (d.sample || d.reading ? d : { ...d, reading: true }));
    try {
      const s = await loadRef.current(ctl.signal);
      if (ctl.signal.aborted) return;
      failures.current = 0;
      backoffUntil.current = 0;
      lastOkAt.current = Date.now();
      // The loader hands back the very same sample when nothing on the host
      // changed. Once the rates on screen already say "no change" (the
      // previous sample is that one too), a new state would only redraw an
      // identical screen: on an idle host that was most of the TUI's CPU.
      const cur = shown.current;
      if (s === cur.sample && s === cur.prev && cur.error === null) return;
      // On a big host the build that came with the read, the rates (20,000
      // rules) and the render of the new sample are each tens of ms of the
      // UI thread; done back to back, a key pressed meanwhile waited for all.
      await yieldToInput();
      if (ctl.signal.aborted) return;
      const base = shown.current.sample;
      const rates = base ? computeRates(base.model, s.model) : null;
      await yieldToInput();
      if (ctl.signal.aborted) return;
      setData((d) => ({
        sample: s,
        prev: d.sample,
        // (d.sample is `base` unless a flows update came in between.)
        rates: d.sample === base ? rates : d.sample ? computeRates(d.sample.model, s.model) : null,
        prevRates: d.rates,
        lastOk: Date.now(),
        error: null,
        failures: 0,
        reading: false,
        reads: d.reads + 1,
      }));
      // The first read of a big host comes without flows; fetch them now, not a tick later.
      if (s.partial) pending.current = true;
    } catch (e) {
      if (ctl.signal.aborted) return;
      failures.current++;
      backoffUntil.current = Date.now() + backoffMs(opts.intervalMs, failures.current);
      const msg = e instanceof Error ? e.message : String(e);
      setData((d) => ({ ...d, error: msg, failures: failures.current, reading: false, reads: d.reads + 1 }));
    } finally {
      inFlight.current = false;
      if (pending.current && !ctl.signal.aborted) {
        pending.current = false;
        void read();
      }
    }
  }, [opts.intervalMs]);

  useEffect(() => {
    const ctl = new AbortController();
    alive.current = ctl;
    void read();
    const timer = setInterval(() => {
      if (paused.current || inFlight.current || Date.now() < backoffUntil.current) return;
      void read();
    }, opts.intervalMs);
    return () => {
      clearInterval(timer);
      ctl.abort();
      alive.current = null;
      inFlight.current = false;
      pending.current = false;
    };
  }, [opts.intervalMs, read]);

  const refreshNow = useCallback(() => {
    void read();
  }, [read]);

  // A sample built between reads (flows from conntrack events): it replaces
  // the current one, but counters, rates and the previous sample stay, since
  // no counter was read. Ignored before the first read.
  const patchSample = useCallback((s: Sample) => {
    setData((d) => (d.sample ? { ...d, sample: s } : d));
  }, []);

  const lastOk = useCallback(() => lastOkAt.current, []);
  return { data, refreshNow, patchSample, lastOk };
}
