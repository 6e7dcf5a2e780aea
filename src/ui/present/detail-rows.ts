// Port detail: the port's whole path in packet order for both routes
// (forwarded: raw, nat DNAT, FORWARD with DOCKER-USER, Docker's accept;
// docker-proxy: INPUT rules on the host port, then the listener), its flows
// and its container's interface. Enter on a rule opens it in the rules view.
import type { PathRule, PathStage, PublishedPort } from '../../core/model/types.js';
import { diagnosePort, MARK } from './diagnose.js';
import { findingLines, type FindingsIndex } from './findings-rows.js';
import { bytes, compact, direction, hostPort, onOff, rate } from './format.js';
import { FLOW_COLUMNS, flowRow } from './flows-rows.js';
import { IFACE_COLUMNS } from './interfaces-rows.js';
import { cell, searchText, type Cell, type Column, type Row } from './rows.js';
import { targetTone } from './rules-rows.js';
import type { ViewData } from './view-data.js';

export const PATH_COLUMNS: Column[] = [
  { id: 'stage', title: 'STAGE', width: 6 },
  { id: 'chain', title: 'CHAIN', width: 12, grow: 1 },
  { id: 'rule', title: 'RULE', width: 16, grow: 3 },
  { id: 'target', title: 'TARGET', width: 9, minTerm: 100 },
  { id: 'pkts', title: 'PKTS', width: 5, align: 'right' },
  { id: 'pps', title: 'PKT/S', width: 6, align: 'right', delta: true },
  { id: 'prov', title: 'BY', width: 7 },
];

export const DETAIL_SETS: Record<string, Column[]> = {
  main: PATH_COLUMNS,
  path: PATH_COLUMNS,
  flow: FLOW_COLUMNS,
  iface: IFACE_COLUMNS.filter((c) => c.id !== 'ctr'),
};

const STAGE_LABEL: Record<PathStage, string> = {
  raw: 'raw',
  dnat: 'nat',
  'docker-user': 'user',
  forward: 'fwd',
  'docker-accept': 'accept',
  input: 'input',
  other: 'other',
};

const group = (key: string, segments: Cell[]): Row => ({ key, selectable: false, group: true, segments, search: '' });
const note = (key: string, text: string, tone: Cell['tone'] = 'muted'): Row => ({ key, selectable: false, segments: [cell(text, tone)], search: text.toLowerCase() });
const titles = (key: string, set: string): Row => ({ key, selectable: false, titles: true, set, search: '' });

function pathRow(step: PathRule, i: number, v: ViewData): Row {
  const r = step.ref.rule;
  const cur = v.rates?.rules.get(step.ref.key) ?? null;
  const prev = v.prevRates?.rules.get(step.ref.key) ?? null;
  // Only a block someone added is marked: Docker's own isolation drops sit on every path.
  const blocking = (r.target === 'DROP' || r.target === 'REJECT') && (step.ref.provenance === 'operator' || step.ref.provenance === 'portcullis');
  return {
    key: `path:${i}:${step.ref.key}`,
    selectable: true,
    set: 'path',
    open: { kind: 'rule', rowKey: `rule:${step.ref.key}` },
    cells: {
      mark: cell(blocking ? MARK.error : ' ', 'status.error'),
      stage: cell(STAGE_LABEL[step.stage], 'muted'),
      chain: cell(r.table === 'filter' ? r.chain : `${r.table}/${r.chain}`),
      rule: cell(r.text),
      target: cell(r.target ?? '-', targetTone(r.target)),
      pkts: cell(r.counters ? compact(r.counters.packets) : '-', 'muted'),
      pps: cell(rate(cur?.pps), cur && cur.pps > 0 ? 'traffic.accept' : 'muted', direction(prev?.pps, cur?.pps)),
      prov: cell(step.ref.provenance, step.ref.provenance === 'operator' || step.ref.provenance === 'portcullis' ? 'accent' : 'muted'),
    },
    search: searchText(r.chain, r.text, r.target, step.stage, step.ref.provenance),
  };
}

/** The two summary lines above the detail list. */
export function detailSummary(p: PublishedPort, v: ViewData): Cell[][] {
  const model = v.sample.model;
  const b = model.bridges.find((x) => x.name === p.bridge);
  const r = v.rates?.ports.get(p.key);
  const diag = diagnosePort(p, model);
  const first: Cell[] = [
    cell(p.container ?? '(container unknown)', 'title'),
    cell(`${hostPort(p.hostIp, p.hostPort)}/${p.proto} → ${p.containerIp ? hostPort(p.containerIp, p.containerPort) : '?'}`, 'accent'),
    cell(r ? `${rate(r.pps)} pkt/s ${bytes(r.bps)}/s` : 'rate -', r && r.pps > 0 ? 'traffic.accept' : 'muted'),
    cell(p.counters ? `${compact(p.counters.packets)} pkts ${bytes(p.counters.bytes)} on DNAT` : 'no DNAT rule', p.counters ? 'muted' : 'status.warn'),
  ];
  const second: Cell[] = [
    cell(`bridge ${p.bridge ?? '?'}${b?.network ? ` (${b.network})` : ''}`, 'muted'),
    cell(`ICC ${onOff(b?.icc ?? null)}`, b?.icc === false ? 'status.warn' : 'muted'),
    cell(p.proxy ? `docker-proxy${p.proxyPid ? ` pid ${p.proxyPid}` : ''}` : 'no docker-proxy', 'muted'),
    cell(diag.level === 'ok' ? 'path looks fine' : `${diag.reasons.length} finding${diag.reasons.length === 1 ? '' : 's'}`, diag.level === 'ok' ? 'status.ok' : diag.level === 'error' ? 'status.error' : 'status.warn'),
  ];
  return [first, second];
}

/**
 * The port's detail rows. `fx`: findings about this port, one line each at
 * the top (so the path stays on the first screen); enter on one shows its
 * explanation, fix and rules under it, wrapped to `width` (`expanded`).
 */
export function detailRows(p: PublishedPort, v: ViewData, fx: FindingsIndex | null = null, width = 80, expanded: string | null = null): Row[] {
  const model = v.sample.model;
  const rows: Row[] = [];
  const diag = diagnosePort(p, model);
  const found = fx?.byPort.get(p.key) ?? [];
  if (diag.reasons.length || found.length) {
    rows.push(group('g:findings', [cell(`Findings (${diag.reasons.length + found.length})`, 'title'), cell(found.length ? 'enter on one explains it' : '', 'muted')]));
    diag.reasons.forEach((why, i) => rows.push(note(`find:${i}`, why, diag.level === 'error' ? 'status.error' : 'status.warn')));
    for (const f of found) {
      const [first, ...rest] = findingLines(f, width - 3);
      if (!first) continue;
      const open = expanded === f.id;
      rows.push({ ...note(`finding:${f.id}`, `${first.text}${open ? '' : '  (enter: explain)'}`, first.tone), selectable: true, open: { kind: 'finding', id: f.id }, search: searchText(f.title, f.explanation) });
      if (open) rest.forEach((c, i) => rows.push(note(`finding:${f.id}:${i}`, `  ${c.text}`, c.tone)));
    }
  }

  const fwd = p.path.filter((s) => s.stage !== 'input');
  rows.push(group('g:fwd', [cell('Forwarded route', 'title'), cell('raw → nat DNAT → FORWARD / DOCKER-USER → Docker accept', 'muted')]));
  if (!p.dnat) rows.push(note('fwd:none', 'no DNAT rule: packets to this port are not forwarded (docker-proxy route only)', 'status.warn'));
  if (fwd.length) rows.push(titles('t:fwd', 'path'));
  fwd.forEach((s, i) => rows.push(pathRow(s, i, v)));

  const input = p.path.filter((s) => s.stage === 'input');
  rows.push(group('g:proxy', [cell('docker-proxy route', 'title'), cell('INPUT on the host port → docker-proxy', 'muted')]));
  if (input.length) rows.push(titles('t:in', 'path'));
  else rows.push(note('in:none', 'no INPUT rule matches this port (the INPUT policy decides)'));
  input.forEach((s, i) => rows.push(pathRow(s, 1000 + i, v)));
  rows.push(
    p.proxy
      ? note('proxy', `docker-proxy${p.proxyPid ? ` pid ${p.proxyPid}` : ''} listens on ${hostPort(p.hostIp, p.hostPort)}/${p.proto} → ${hostPort(p.containerIp, p.containerPort)}`, 'status.ok')
      : note('proxy', 'no docker-proxy listener on this port', 'muted'),
  );

  const flows = v.portFlows.get(p.key) ?? [];
  rows.push(group('g:flows', [cell(`Flows (${flows.length})`, 'title'), cell('client → host port → container', 'muted')]));
  if (flows.length) {
    rows.push(titles('t:flows', 'flow'));
    for (const f of flows) rows.push(flowRow(f, 'detail', 'flow'));
  } else rows.push(note('flows:none', 'no conntrack entries for this port'));

  const c = model.containers.find((x) => x.name === p.container);
  const link = c?.veth ? model.links.find((l) => l.name === c.veth?.name) : undefined;
  rows.push(group('g:if', [cell('Container interface', 'title'), cell(c?.veth ? `${c.veth.name} on ${p.bridge ?? '?'}` : '', 'muted')]));
  if (link) {
    const cur = v.rates?.links.get(link.name);
    const prev = v.prevRates?.links.get(link.name);
    rows.push(titles('t:if', 'iface'));
    rows.push({
      key: `if:${link.name}`,
      selectable: true,
      set: 'iface',
      cells: {
        name: cell(link.name),
        state: cell(link.operstate, link.operstate === 'UP' ? 'status.ok' : 'status.warn'),
        rxp: cell(rate(cur?.rx.pps), 'muted', direction(prev?.rx.pps, cur?.rx.pps)),
        rxb: cell(cur ? bytes(cur.rx.bps) : '-', 'muted', direction(prev?.rx.bps, cur?.rx.bps)),
        txp: cell(rate(cur?.tx.pps), 'muted', direction(prev?.tx.pps, cur?.tx.pps)),
        txb: cell(cur ? bytes(cur.tx.bps) : '-', 'muted', direction(prev?.tx.bps, cur?.tx.bps)),
        rxt: cell(link.stats ? bytes(link.stats.rxBytes) : '-', 'muted'),
        txt: cell(link.stats ? bytes(link.stats.txBytes) : '-', 'muted'),
        drops: cell(link.stats ? compact(link.stats.rxDropped + link.stats.txDropped) : '-', 'muted'),
      },
      search: searchText(link.name),
    });
  } else rows.push(note('if:none', c ? 'the container\'s host-side veth is not known (needs container-ifaces)' : 'container unknown'));
  return rows;
}
