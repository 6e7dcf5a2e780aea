// Rates from two models: packets/s and bytes/s per rule (by stable key), per
// published port (its DNAT rule = new connections) and per interface.
// A counter that went down (rule replaced, counters zeroed, interface
// recreated) gives no rate rather than a negative one.
import type { Counters } from '../types.js';
import type { HostModel } from './types.js';

export interface Rate {
  pps: number;
  bps: number;
}

export interface Rates {
  /** Seconds between the two models. */
  interval: number;
  rules: Map<string, Rate>;
  ports: Map<string, Rate>;
  links: Map<string, { rx: Rate; tx: Rate }>;
}

/** Most rules see no traffic between two reads: one shared, frozen zero rate for them. */
const ZERO: Rate = Object.freeze({ pps: 0, bps: 0 });

function rate(prev: Counters | null | undefined, cur: Counters | null | undefined, dt: number): Rate | null {
  if (!prev || !cur || dt <= 0) return null;
  const dp = cur.packets - prev.packets;
  const db = cur.bytes - prev.bytes;
  if (dp < 0 || db < 0) return null;
  if (dp === 0 && db === 0) return ZERO;
  return { pps: dp / dt, bps: db / dt };
}

export function computeRates(prev: HostModel, cur: HostModel): Rates {
  const dt = (cur.time - prev.time) / 1000;
  const out: Rates = { interval: dt, rules: new Map(), ports: new Map(), links: new Map() };
  // Two reads of an unchanged ruleset list the same rules in the same order
  // (an incremental build even shares the key strings): pair them by index
  // and skip the map of 20,000 keys. Any difference falls back to the map.
  const pr = prev.rules;
  const cr = cur.rules;
  let aligned = pr.length === cr.length;
  for (let i = 0; aligned && i < cr.length; i++) aligned = pr[i]!.key === cr[i]!.key;
  if (aligned) {
    for (let i = 0; i < cr.length; i++) {
      const r = cr[i]!;
      const v = rate(pr[i]!.rule.counters, r.rule.counters, dt);
      if (v) out.rules.set(r.key, v);
    }
  } else {
    const prevRules = new Map<string, Counters | null>();
    for (const r of pr) prevRules.set(r.key, r.rule.counters);
    for (const r of cr) {
      const v = rate(prevRules.get(r.key), r.rule.counters, dt);
      if (v) out.rules.set(r.key, v);
    }
  }
  for (const p of cur.published) {
    if (p.dnat) {
      const v = out.rules.get(p.dnat.key);
      if (v) out.ports.set(p.key, v);
    }
  }
  const prevLinks = new Map(prev.links.map((l) => [l.name, l]));
  for (const l of cur.links) {
    const pl = prevLinks.get(l.name);
    if (!pl?.stats || !l.stats || pl.ifindex !== l.ifindex) continue;
    const rx = rate({ packets: pl.stats.rxPackets, bytes: pl.stats.rxBytes }, { packets: l.stats.rxPackets, bytes: l.stats.rxBytes }, dt);
    const tx = rate({ packets: pl.stats.txPackets, bytes: pl.stats.txBytes }, { packets: l.stats.txPackets, bytes: l.stats.txBytes }, dt);
    if (rx && tx) out.links.set(l.name, { rx, tx });
  }
  return out;
}
