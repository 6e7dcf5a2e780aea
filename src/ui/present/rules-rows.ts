// Rules: every chain of every table of every ruleset read (IPv4/IPv6, nft
// and legacy), in dump order, with counters, rates and provenance. A rule
// whose target is a chain of the same table opens that chain (enter), so
// jumps can be followed and walked back (esc).
import type { RuleRef } from '../../core/model/types.js';
import type { Rule, Ruleset } from '../../core/types.js';
import { bytes, compact, direction, rate } from './format.js';
import { cell, searchText, type Column, type Row } from './rows.js';
import type { ViewData } from './view-data.js';

export const RULE_COLUMNS: Column[] = [
  { id: 'pos', title: '#', width: 3, align: 'right' },
  { id: 'rule', title: 'RULE', width: 20, grow: 1 },
  { id: 'target', title: 'TARGET', width: 12 },
  { id: 'pkts', title: 'PKTS', width: 5, align: 'right' },
  { id: 'pps', title: 'PKT/S', width: 6, align: 'right', delta: true },
  { id: 'bytes', title: 'BYTES', width: 6, align: 'right', minTerm: 120 },
  { id: 'bps', title: 'B/S', width: 6, align: 'right', delta: true, minTerm: 120 },
  { id: 'prov', title: 'BY', width: 7 },
];

export function chainRowKey(rs: Pick<Ruleset, 'family' | 'backend'>, table: string, chain: string): string {
  return `chain:${rs.family}/${rs.backend}/${table}/${chain}`;
}

export const ruleRowKey = (ref: RuleRef) => `rule:${ref.key}`;

const ACCEPTING = new Set(['ACCEPT', 'RETURN']);
const BLOCKING = new Set(['DROP', 'REJECT']);

export function targetTone(target: string | null) {
  if (!target) return 'muted' as const;
  if (ACCEPTING.has(target)) return 'traffic.accept' as const;
  if (BLOCKING.has(target)) return 'traffic.drop' as const;
  return 'accent' as const;
}

export function rulesRows(v: ViewData): Row[] {
  const model = v.sample.model;
  const refOf = new Map<Rule, RuleRef>(model.rules.map((r) => [r.rule, r]));
  const rows: Row[] = [];
  for (const rs of v.sample.rulesets) {
    for (const t of rs.tables) {
      const chainNames = new Set(t.chains.map((c) => c.name));
      for (const c of t.chains) {
        const fam = `IPv${rs.family} ${rs.backend}`;
        const segs = [cell(fam, 'muted'), cell(t.name, 'muted'), cell(c.name, 'title')];
        if (c.policy && c.policy !== '-') segs.push(cell(`policy ${c.policy}`, targetTone(c.policy)));
        if (c.counters) segs.push(cell(`${compact(c.counters.packets)} pkts ${bytes(c.counters.bytes)}`, 'muted'));
        segs.push(cell(`${c.rules.length} rule${c.rules.length === 1 ? '' : 's'}`, 'muted'));
        rows.push({
          key: chainRowKey(rs, t.name, c.name),
          selectable: true,
          group: true,
          segments: segs,
          search: searchText(c.name, t.name, `ipv${rs.family}`, rs.backend),
        });
        for (const r of c.rules) {
          const ref = refOf.get(r);
          const key = ref?.key ?? `${rs.family}/${rs.backend}/${t.name}/${c.name}/${r.position}`;
          const cur = v.rates?.rules.get(key) ?? null;
          const prev = v.prevRates?.rules.get(key) ?? null;
          const jumps = r.target !== null && chainNames.has(r.target);
          rows.push({
            key: `rule:${key}`,
            selectable: true,
            ...(jumps && r.target ? { open: { kind: 'chain' as const, rowKey: chainRowKey(rs, t.name, r.target) } } : {}),
            cells: {
              mark: cell(jumps ? '→' : ' ', 'accent'),
              pos: cell(String(r.position), 'muted'),
              rule: cell(r.text),
              target: cell(`${r.goto ? 'goto ' : ''}${r.target ?? '-'}`, targetTone(r.target)),
              pkts: cell(r.counters ? compact(r.counters.packets) : '-', 'muted'),
              pps: cell(rate(cur?.pps), cur && cur.pps > 0 ? 'traffic.accept' : 'muted', direction(prev?.pps, cur?.pps)),
              bytes: cell(r.counters ? bytes(r.counters.bytes) : '-', 'muted'),
              bps: cell(cur ? bytes(cur.bps) : '-', 'muted', direction(prev?.bps, cur?.bps)),
              prov: cell(ref?.provenance ?? 'unknown', ref?.provenance === 'operator' || ref?.provenance === 'portcullis' ? 'accent' : 'muted'),
            },
            search: searchText(r.text, r.target, c.name, ref?.provenance),
            sort: { 'pkt/s': -(cur?.pps ?? -1), packets: -(r.counters?.packets ?? -1) },
          });
        }
      }
    }
  }
  return rows;
}
