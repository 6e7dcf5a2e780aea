// Flows: conntrack entries grouped by container and published port, then
// the flows that belong to no published port. Filter words: addr:, port:,
// state:, proto: (or any text).
import type { PublishedPort } from '../../core/model/types.js';
import type { Flow } from '../../core/types.js';
import { bytes, duration, hostPort } from './format.js';
import { cell, searchText, type Column, type Row } from './rows.js';
import type { ViewData } from './view-data.js';

export const FLOW_COLUMNS: Column[] = [
  { id: 'proto', title: 'PROTO', width: 5 },
  { id: 'client', title: 'CLIENT', width: 18, grow: 2 },
  { id: 'via', title: 'HOST PORT', width: 17, grow: 1, minTerm: 100 },
  { id: 'to', title: '→ SERVED BY', width: 15, grow: 2 },
  { id: 'state', title: 'STATE', width: 11 },
  { id: 'ttl', title: 'TTL', width: 6, align: 'right' },
  { id: 'bytes', title: 'BYTES', width: 6, align: 'right' },
  { id: 'flags', title: 'FLAGS', width: 10, grow: 1, minTerm: 120 },
];

function tupleKey(f: Flow): string {
  const o = f.orig;
  return `${f.proto}/${o.src}:${o.sport ?? o.icmp?.id ?? ''}>${o.dst}:${o.dport ?? o.icmp?.type ?? ''}/${f.zone ?? ''}`;
}

export function flowBytes(f: Flow): number | null {
  if (f.orig.bytes === undefined && f.reply.bytes === undefined) return null;
  return (f.orig.bytes ?? 0) + (f.reply.bytes ?? 0);
}

const stateTone = (f: Flow) => {
  if (f.flags.includes('UNREPLIED')) return 'status.warn' as const;
  if (f.state === 'ESTABLISHED' || f.state === null) return 'traffic.accept' as const;
  return 'muted' as const;
};

export function flowRow(f: Flow, group: string, set?: string): Row {
  const b = flowBytes(f);
  return {
    key: `${group}|${tupleKey(f)}`,
    selectable: true,
    ...(set ? { set } : {}),
    cells: {
      proto: cell(f.proto, 'muted'),
      client: cell(hostPort(f.orig.src, f.orig.sport)),
      via: cell(hostPort(f.orig.dst, f.orig.dport), 'muted'),
      to: cell(`→ ${hostPort(f.reply.src, f.reply.sport)}`),
      state: cell(f.state ?? (f.flags.includes('UNREPLIED') ? 'unreplied' : 'active'), stateTone(f)),
      ttl: cell(duration(f.timeout), 'muted'),
      bytes: cell(b === null ? '-' : bytes(b), 'muted'),
      flags: cell(f.flags.join(' '), 'muted'),
    },
    search: searchText(f.proto, f.orig.src, f.orig.dst, f.orig.sport, f.orig.dport, f.reply.src, f.reply.sport, f.state, ...f.flags),
    fields: {
      addr: [f.orig.src, f.orig.dst, f.reply.src, f.reply.dst],
      port: [f.orig.sport, f.orig.dport, f.reply.sport, f.reply.dport].filter((x): x is number => x !== null),
      state: f.state,
      proto: f.proto,
    },
    sort: { client: f.orig.src + ':' + String(f.orig.sport ?? 0).padStart(5, '0'), state: f.state ?? '', timeout: -f.timeout, bytes: -(b ?? -1) },
  };
}

function portGroup(p: PublishedPort, n: number): Row {
  return {
    key: `fgroup:${p.key}`,
    selectable: false,
    group: true,
    segments: [
      cell(p.container ?? '?', 'title'),
      cell(`${hostPort(p.hostIp, p.hostPort)}/${p.proto} → ${p.containerIp ? hostPort(p.containerIp, p.containerPort) : '?'}`, 'accent'),
      cell(`${n} flow${n === 1 ? '' : 's'}`, 'muted'),
    ],
    search: searchText(p.container, p.hostIp, p.hostPort, p.containerIp, p.containerPort, p.proto),
    fields: { addr: [p.hostIp, p.containerIp], port: [p.hostPort, p.containerPort], proto: p.proto },
  };
}

export function flowsRows(v: ViewData): Row[] {
  const rows: Row[] = [];
  const taken = new Set<Flow>();
  for (const p of v.sample.model.published) {
    const fl = v.portFlows.get(p.key) ?? [];
    if (fl.length === 0) continue;
    rows.push(portGroup(p, fl.length));
    for (const f of fl) {
      taken.add(f);
      rows.push(flowRow(f, p.key));
    }
  }
  const other = v.flows.filter((f) => !taken.has(f));
  if (other.length) {
    rows.push({
      key: 'fgroup:other',
      selectable: false,
      group: true,
      segments: [cell('not to a published port', 'title'), cell(`${other.length} flow${other.length === 1 ? '' : 's'}`, 'muted')],
      search: 'other',
    });
    for (const f of other) rows.push(flowRow(f, 'other'));
  }
  return rows;
}
