// One subscription: `conntrack -E`. Between two reads of the host the flow
// table is kept live from events (new, update, destroy), starting from the
// last dump, so the flows views move without re-listing the table. Events
// are applied in batches (every FLUSH_MS) so a busy host costs one render
// per batch, not one per connection. A new read replaces the table: the
// dump is authoritative and corrects anything the stream dropped.
import { useEffect, useRef, useState } from 'react';
import { parseConntrackEvent, type ConntrackEventKind } from '../../core/parse/conntrack.js';
import type { Flow } from '../../core/types.js';
import type { Feeds, Sample } from '../data/sample.js';

export const FLUSH_MS = 500;

export interface LiveFlows {
  flows: Flow[];
  /** Events applied since the last read. */
  events: number;
}

/** Identity of a connection: its original tuple (ids are not in the default event output). */
export function flowKey(f: Flow): string {
  const o = f.orig;
  return `${f.family}/${f.proto}/${o.src}/${o.sport ?? o.icmp?.id ?? ''}/${o.dst}/${o.dport ?? o.icmp?.type ?? ''}/${f.zone ?? ''}`;
}

export function applyFlowEvents(table: Map<string, Flow>, events: ReadonlyArray<{ event: ConntrackEventKind; flow: Flow }>): void {
  for (const e of events) {
    const k = flowKey(e.flow);
    if (e.event === 'DESTROY') table.delete(k);
    else table.set(k, e.flow);
  }
}

export function useConntrackFlows(feed: Feeds['conntrack'], sample: Sample | null, paused: boolean): { live: LiveFlows | null; error: string | null } {
  const [live, setLive] = useState<LiveFlows | null>(null);
  const [error, setError] = useState<string | null>(null);
  const table = useRef(new Map<string, Flow>());
  const buffer = useRef<Array<{ event: ConntrackEventKind; flow: Flow }>>([]);
  const applied = useRef(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  // A new read: restart from its dump.
  useEffect(() => {
    table.current = new Map((sample?.model.flows ?? []).map((f) => [flowKey(f), f]));
    applied.current = 0;
    setLive(null);
  }, [sample]);

  useEffect(() => {
    if (!feed) return;
    const ctl = new AbortController();
    let wait: NodeJS.Timeout | undefined;
    const flush = setInterval(() => {
      if (pausedRef.current || buffer.current.length === 0) return;
      const batch = buffer.current;
      buffer.current = [];
      applyFlowEvents(table.current, batch);
      applied.current += batch.length;
      setLive({ flows: [...table.current.values()], events: applied.current });
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
  }, [feed]);

  return { live, error };
}
