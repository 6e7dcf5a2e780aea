// Counting conntrack flows by the key that ties a flow to a published port
// (model/flows.ts flowOfPort): family, proto, original dst and dport, reply
// src and sport. The one-shot `status` shows flows only as numbers; on a
// 100k-entry table keeping every Flow object (and collecting them later)
// costs more than parsing, and counts are what a worker thread can hand back
// cheaply. Pure. Kept apart from model/flows.ts so the worker that counts
// (host/sources/conntrack.ts) loads only the parser.

import type { Family, Flow, ParseIssue } from '../types.js';
import { ConntrackLines } from './conntrack.js';

/** The flows with one join key: family, proto, original dst and dport, reply src and sport. */
export interface FlowKeyCount {
  family: Family;
  proto: string;
  origDst: string;
  origDport: number;
  replySrc: string;
  replySport: number | null;
  count: number;
}

/** All flows, and those with an original dport grouped by join key (plain data: it crosses a worker). */
export interface FlowCounts {
  total: number;
  keys: FlowKeyCount[];
}

/** Longest list of keys searched one by one under one (original dst, dport); see FlowCounter.add. */
const SHORT_LIST = 16;

/** Groups flows by join key as they come (see eachConntrackFlow). */
export class FlowCounter {
  private total = 0;
  private readonly keys: FlowKeyCount[] = [];
  /** original dst -> original dport -> keys (at most SHORT_LIST). */
  private readonly byDst = new Map<string, Map<number, FlowKeyCount[]>>();
  /** Keys past a full short list, by their text. */
  private readonly overflow = new Map<string, FlowKeyCount>();

  add(f: Flow): void {
    this.total++;
    const dport = f.orig.dport;
    // No original dport: no port's bucket can hold it (flowsOfPorts skips it too).
    if (dport === null) return;
    const o = f.orig, r = f.reply;
    // Addresses are interned by the parser: a Map finds a string it has seen
    // by its cached hash, where building a key text per flow cost more than
    // the parse of the line. Under one (dst, dport) the reply side hardly
    // varies (the container's address and port, or the dst itself), so a
    // short list is searched; a hostile table that varies it spills to
    // `overflow` instead of making this quadratic.
    let ports = this.byDst.get(o.dst);
    if (ports === undefined) this.byDst.set(o.dst, (ports = new Map()));
    let list = ports.get(dport);
    if (list === undefined) ports.set(dport, (list = []));
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.replySport === r.sport && e.replySrc === r.src && e.proto === f.proto && e.family === f.family) {
        e.count++;
        return;
      }
    }
    let e: FlowKeyCount | undefined;
    if (list.length >= SHORT_LIST) {
      // '|' occurs in none of the parts (addresses and protocol names are validated).
      const k = `${f.family}|${f.proto}|${dport}|${o.dst}|${r.src}|${r.sport}`;
      e = this.overflow.get(k);
      if (e !== undefined) {
        e.count++;
        return;
      }
      e = this.newKey(f, dport);
      this.overflow.set(k, e);
    } else list.push((e = this.newKey(f, dport)));
  }

  private newKey(f: Flow, dport: number): FlowKeyCount {
    const e: FlowKeyCount = { family: f.family, proto: f.proto, origDst: f.orig.dst, origDport: dport, replySrc: f.reply.src, replySport: f.reply.sport, count: 1 };
    this.keys.push(e);
    return e;
  }

  counts(): FlowCounts {
    return { total: this.total, keys: this.keys };
  }
}

/** Counts of flows by join key (FlowCounter over a list). */
export function countFlows(flows: readonly Flow[]): FlowCounts {
  const c = new FlowCounter();
  for (let i = 0; i < flows.length; i++) c.add(flows[i]!);
  return c.counts();
}

/** Counts by join key of `conntrack -L` output fed whole or a line at a time (ConntrackLines). */
export class ConntrackCounter {
  private readonly counter = new FlowCounter();
  readonly lines: ConntrackLines;

  constructor(source = 'conntrack.txt') {
    this.lines = new ConntrackLines(source, (f) => this.counter.add(f));
  }

  result(): { counts: FlowCounts; issues: ParseIssue[] } {
    return { counts: this.counter.counts(), issues: this.lines.issues };
  }
}

/** parseConntrack(text, source), with the flows counted by join key instead of kept. */
export function countConntrack(text: string, source = 'conntrack.txt'): { counts: FlowCounts; issues: ParseIssue[] } {
  const c = new ConntrackCounter(source);
  c.lines.text(text);
  return c.result();
}
