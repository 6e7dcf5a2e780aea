// Interfaces: each bridge with the veths enslaved to it, mapped to the
// container behind each veth, with rx/tx rates; then the host's other
// interfaces.
import type { Rate } from '../../core/model/rates.js';
import type { Link } from '../../core/types.js';
import { bytes, compact, direction, onOff, rate } from './format.js';
import { cell, searchText, type Column, type Row } from './rows.js';
import type { ViewData } from './view-data.js';

export const IFACE_COLUMNS: Column[] = [
  { id: 'name', title: 'INTERFACE', width: 15, grow: 1 },
  { id: 'ctr', title: 'CONTAINER', width: 10, grow: 1 },
  { id: 'state', title: 'STATE', width: 5 },
  { id: 'rxp', title: 'RX p/s', width: 7, align: 'right', delta: true },
  { id: 'rxb', title: 'RX B/s', width: 7, align: 'right', delta: true },
  { id: 'txp', title: 'TX p/s', width: 7, align: 'right', delta: true },
  { id: 'txb', title: 'TX B/s', width: 7, align: 'right', delta: true },
  { id: 'rxt', title: 'RX', width: 6, align: 'right', minTerm: 120 },
  { id: 'txt', title: 'TX', width: 6, align: 'right', minTerm: 120 },
  { id: 'drops', title: 'DROPS', width: 6, align: 'right', minTerm: 120 },
];

type LinkRates = { rx: Rate; tx: Rate } | undefined;

function linkRow(l: Link, ctr: string | null, cur: LinkRates, prev: LinkRates, indent: boolean): Row {
  const s = l.stats;
  const up = l.operstate === 'UP' || l.operstate === 'UNKNOWN';
  return {
    key: `if:${l.name}`,
    selectable: true,
    cells: {
      name: cell(`${indent ? '└ ' : ''}${l.name}`),
      ctr: cell(ctr ?? (indent ? '?' : ''), ctr ? 'accent' : 'muted'),
      state: cell(l.operstate, up ? 'status.ok' : 'status.warn'),
      rxp: cell(rate(cur?.rx.pps), 'muted', direction(prev?.rx.pps, cur?.rx.pps)),
      rxb: cell(cur ? bytes(cur.rx.bps) : '-', cur && cur.rx.bps > 0 ? 'traffic.accept' : 'muted', direction(prev?.rx.bps, cur?.rx.bps)),
      txp: cell(rate(cur?.tx.pps), 'muted', direction(prev?.tx.pps, cur?.tx.pps)),
      txb: cell(cur ? bytes(cur.tx.bps) : '-', cur && cur.tx.bps > 0 ? 'traffic.accept' : 'muted', direction(prev?.tx.bps, cur?.tx.bps)),
      rxt: cell(s ? bytes(s.rxBytes) : '-', 'muted'),
      txt: cell(s ? bytes(s.txBytes) : '-', 'muted'),
      drops: cell(s ? compact(s.rxDropped + s.txDropped) : '-', s && s.rxDropped + s.txDropped > 0 ? 'status.warn' : 'muted'),
    },
    search: searchText(l.name, l.kind, l.master, ctr, l.operstate),
    sort: { 'rx B/s': -(cur?.rx.bps ?? -1), 'tx B/s': -(cur?.tx.bps ?? -1) },
  };
}

export function interfacesRows(v: ViewData): Row[] {
  const model = v.sample.model;
  const links = model.links;
  const ctrOfVeth = new Map<string, string>();
  for (const c of model.containers) if (c.veth) ctrOfVeth.set(c.veth.name, c.name);
  const bridgeNames: string[] = [];
  for (const b of model.bridges) if (!bridgeNames.includes(b.name)) bridgeNames.push(b.name);
  for (const l of links) if (l.master && links.some((x) => x.name === l.master) && !bridgeNames.includes(l.master)) bridgeNames.push(l.master);
  for (const l of links) if (l.kind === 'bridge' && !bridgeNames.includes(l.name)) bridgeNames.push(l.name);

  const rows: Row[] = [];
  const used = new Set<string>();
  const r = (name: string) => v.rates?.links.get(name);
  const pr = (name: string) => v.prevRates?.links.get(name);
  for (const name of bridgeNames) {
    const b = model.bridges.find((x) => x.name === name);
    const link = links.find((l) => l.name === name);
    const ports = links.filter((l) => l.master === name);
    rows.push({
      key: `ifgroup:${name}`,
      selectable: false,
      group: true,
      segments: [
        cell(b?.network ?? 'bridge', 'title'),
        cell(name, 'accent'),
        cell(b ? b.subnets.join(' ') || 'subnet ?' : '', 'muted'),
        cell(b ? `ICC ${onOff(b.icc)}` : '', 'muted'),
        cell(`${ports.length} port${ports.length === 1 ? '' : 's'}`, 'muted'),
      ].filter((s) => s.text !== ''),
      search: searchText(name, b?.network),
    });
    if (link) {
      used.add(link.name);
      rows.push(linkRow(link, null, r(link.name), pr(link.name), false));
    }
    for (const l of ports) {
      used.add(l.name);
      rows.push(linkRow(l, ctrOfVeth.get(l.name) ?? null, r(l.name), pr(l.name), true));
    }
  }
  const rest = links.filter((l) => !used.has(l.name));
  if (rest.length) {
    rows.push({ key: 'ifgroup:host', selectable: false, group: true, segments: [cell('host interfaces', 'title')], search: 'host' });
    for (const l of rest) rows.push(linkRow(l, ctrOfVeth.get(l.name) ?? null, r(l.name), pr(l.name), false));
  }
  return rows;
}
