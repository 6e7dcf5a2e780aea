// One subscription: flows kept live between reads of the host.
//
// Live TUI (feeds.samples): the refresh engine (src/host/refresh.ts) follows
// `conntrack -E`, applies the events to its FlowTable every flush and hands
// out a sample with the new flows (counters and rates untouched); this hook
// passes each one to onSample (useHostModel's patchSample). Nothing is
// re-listed or re-indexed here.
//
// Plain `conntrack` line feed (tests, other hosts of the hook): events are
// applied to a FlowTable started from the last read's flows, in batches
// (every FLUSH_MS) so a busy host costs one render per batch, not one per
// connection. A new read replaces the table: the dump is authoritative.
import { useEffect, useRef, useState } from 'react';
import { FlowTable, flowKey, type FlowEvent } from '../../core/flows/table.js';
import { parseConntrackEvent } from '../../core/parse/conntrack.js';
import type { Flow } from '../../core/types.js';
import type { Feeds, Sample } from '../data/sample.js';

export const FLUSH_MS = 500;

export interface LiveFlows {
  flows: Flow[];
  /** Events applied since the last read. */
  events: number;
}

export { flowKey };

/** Apply events to a flow map keyed by flowKey (kept for callers of the old API). */
export function applyFlowEvents(table: Map<string, Flow>, events: ReadonlyArray<FlowEvent>): void {
  for (const e of events) {
    const k = flowKey(e.flow);
    if (e.event === 'DESTROY') table.delete(k);
    else table.set(k, e.flow);
  }
}

export function useConntrackFlows(
  feed: Feeds['conntrack'],
  sample: Sample | null,
  paused: boolean,
  samples?: Feeds['samples'],
  onSample?: (s: Sample) => void,
): { live: LiveFlows | null; error: string | null } {
  const [live, setLive] = useState<LiveFlows | null>(null);
  const [error, setError] = useState<string | null>(null);
  const table = useRef(new FlowTable());
  const buffer = useRef<FlowEvent[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const onSampleRef = useRef(onSample);
  onSampleRef.current = onSample;
  const lastRead = useRef<Sample | null>(null);

  // A new read (not a sample patched in between): restart from its dump.
  useEffect(() => {
    if (samples) return;
    if (sample === lastRead.current) return;
    lastRead.current = sample;
    table.current.reset(sample?.model.flows ?? []);
    setLive(null);
  }, [sample, samples]);

  // The engine's samples.
  useEffect(() => {
    if (!samples) return;
    const ctl = new AbortController();
    void samples(
      (s) => {
        if (!pausedRef.current) onSampleRef.current?.(s);
      },
      ctl.signal,
      setError,
    );
    return () => ctl.abort();
  }, [samples]);

  // Plain event lines.
  useEffect(() => {
    if (!feed || samples) return;
    const ctl = new AbortController();
    let wait: NodeJS.Timeout | undefined;
    const flush = setInterval(() => {
      if (pausedRef.current || buffer.current.length === 0) return;
      const batch = buffer.current;
      buffer.current = [];
      if (table.current.applyAll(batch) === 0) return;
      setLive({ flows: table.current.flows(), events: table.current.applied });
    }, FLUSH_MS);
    const loop = async () => {
      let delay = 1000;
      while (!ctl.signal.aborted) {
        try {
          await feed((line) => {
            const ev = parseConntrackEvent(line);
            if (ev && buffer.current.length < 100_000) buffer.current.push(ev);
          }, ctl.signal);
          setError(null);
        } catch (e) {
          setError(`conntrack events: ${e instanceof Error ? e.message : String(e)}`);
          delay = Math.min(delay * 2, 30_000);
        }
        if (ctl.signal.aborted) break;
        await new Promise<void>((r) => {
          wait = setTimeout(r, delay);
        });
      }
    };
    void loop();
    return () => {
      ctl.abort();
      clearInterval(flush);
      clearTimeout(wait);
      buffer.current = [];
    };
  }, [feed, samples]);

  return { live, error };
}
