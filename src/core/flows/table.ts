// The live conntrack table: a dump (`conntrack -L`) kept current by
// `conntrack -E` events (NEW / UPDATE upsert, DESTROY removes), keyed by the
// original tuple. Alongside the entries it keeps the index the model joins
// ports with (proto/original dport -> flows, as model/flows.ts indexFlows),
// rebuilt bucket by bucket: an event costs O(1) here and only the buckets it
// touched are re-listed on the next read. Pure: lines and flows in, flows out.
import { parseConntrackEvent, type ConntrackEventKind } from '../parse/conntrack.js';
import type { Flow } from '../types.js';

export interface FlowEvent {
  event: ConntrackEventKind;
  flow: Flow;
}

/** Identity of a connection: its original tuple (ids are not in the default event output). */
export function flowKey(f: Flow): string {
  const o = f.orig;
  return `${f.family}/${f.proto}/${o.src}/${o.sport ?? o.icmp?.id ?? ''}/${o.dst}/${o.dport ?? o.icmp?.type ?? ''}/${f.zone ?? ''}`;
}

/** The bucket of model/flows.ts indexFlows (null: the flow has no destination port). */
export function portBucket(f: Flow): string | null {
  return f.orig.dport === null ? null : `${f.proto}/${f.orig.dport}`;
}

export class FlowTable {
  private entries = new Map<string, Flow>();
  private buckets = new Map<string, Map<string, Flow>>();
  /** Bucket arrays handed out by portIndex(); a dirty bucket is re-listed on the next call. */
  private index = new Map<string, Flow[]>();
  private dirty = new Set<string>();
  private list: Flow[] | null = null;
  /** Bumped on every change; equal versions mean equal contents. */
  version = 0;
  /** Events applied since the last reset. */
  applied = 0;

  constructor(flows: readonly Flow[] = []) {
    this.reset(flows);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Start over from a full dump (the dump is authoritative). */
  reset(flows: readonly Flow[]): void {
    this.entries = new Map();
    this.buckets = new Map();
    this.index = new Map();
    this.dirty = new Set();
    for (const f of flows) this.put(flowKey(f), f);
    // Every bucket is new: list them all on the next portIndex().
    for (const b of this.buckets.keys()) this.dirty.add(b);
    this.list = null;
    this.applied = 0;
    this.version++;
  }

  private put(key: string, f: Flow): void {
    const old = this.entries.get(key);
    this.entries.set(key, f);
    const ob = old ? portBucket(old) : null;
    const nb = portBucket(f);
    if (ob !== null && ob !== nb) this.unbucket(ob, key);
    if (nb !== null) {
      let m = this.buckets.get(nb);
      if (!m) this.buckets.set(nb, (m = new Map()));
      m.set(key, f);
      this.dirty.add(nb);
    }
  }

  private unbucket(b: string, key: string): void {
    const m = this.buckets.get(b);
    if (!m) return;
    m.delete(key);
    if (m.size === 0) this.buckets.delete(b);
    this.dirty.add(b);
  }

  /** Apply one event; false when it changed nothing (DESTROY of an unknown entry). */
  apply(e: FlowEvent): boolean {
    const key = flowKey(e.flow);
    this.applied++;
    if (e.event === 'DESTROY') {
      const old = this.entries.get(key);
      if (!old) return false;
      this.entries.delete(key);
      const b = portBucket(old);
      if (b !== null) this.unbucket(b, key);
    } else this.put(key, e.flow);
    this.list = null;
    this.version++;
    return true;
  }

  /** Apply events in order; returns how many changed the table. */
  applyAll(events: Iterable<FlowEvent>): number {
    let n = 0;
    for (const e of events) if (this.apply(e)) n++;
    return n;
  }

  /** Parse and apply one `conntrack -E` line; false when the line is not an event or changed nothing. */
  applyLine(line: string): boolean {
    const e = parseConntrackEvent(line);
    return e !== null && this.apply(e);
  }

  get(f: Flow): Flow | undefined {
    return this.entries.get(flowKey(f));
  }

  /** Every entry (the same array until the next change: callers must not mutate it). */
  flows(): Flow[] {
    if (this.list === null) this.list = [...this.entries.values()];
    return this.list;
  }

  /**
   * proto/original-dport -> flows, like indexFlows(flows()). Buckets that did
   * not change since the last call keep their array (identity), so a caller
   * can tell which ports need their flows joined again.
   */
  portIndex(): ReadonlyMap<string, Flow[]> {
    for (const b of this.dirty) {
      const m = this.buckets.get(b);
      if (m) this.index.set(b, [...m.values()]);
      else this.index.delete(b);
    }
    this.dirty.clear();
    return this.index;
  }
}
