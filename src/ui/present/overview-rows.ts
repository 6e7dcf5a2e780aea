// Overview: networks -> containers -> published ports. One group per
// bridge (network), one row per published port with its container, and a
// row for each container without published ports. Order is the model's
// (bridges, containers by name, ports by host port), so it holds between
// refreshes.
import type { Finding } from '../../core/findings/types.js';
import type { BridgeModel, HostModel, PublishedPort } from '../../core/model/types.js';
import { diagnosePort, MARK } from './diagnose.js';
import { SEVERITY_MARK, SEVERITY_TONE, worst, type FindingsIndex } from './findings-rows.js';
import { bytes, compact, direction, hostPort, onOff, rate } from './format.js';
import { cell, searchText, type Column, type Row } from './rows.js';
import type { Token } from '../theme/schema.js';
import { portRate, type ViewData } from './view-data.js';
import { joinRootOf } from '../../core/refresh/model.js';

export const OVERVIEW_COLUMNS: Column[] = [
  { id: 'ctr', title: 'CONTAINER', width: 8, grow: 1 },
  { id: 'host', title: 'HOST', width: 17, grow: 2 },
  { id: 'proto', title: 'P', width: 3 },
  { id: 'to', title: '→ CONTAINER', width: 15, grow: 2 },
  { id: 'pps', title: 'PKT/S', width: 6, align: 'right', delta: true },
  { id: 'bps', title: 'B/S', width: 6, align: 'right', delta: true },
  { id: 'flows', title: 'FLOW', width: 5, align: 'right', delta: true },
  { id: 'proxy', title: 'PRX', width: 3 },
  { id: 'icc', title: 'ICC', width: 3 },
  { id: 'pkts', title: 'PACKETS', width: 7, align: 'right', minTerm: 120 },
  { id: 'bytes', title: 'BYTES', width: 6, align: 'right', minTerm: 120 },
  { id: 'note', title: 'NOTE', width: 16, grow: 3, minTerm: 140 },
];

export const portRowKey = (p: PublishedPort) => `port:${p.key}`;

function bridgeHeader(b: BridgeModel | undefined, name: string | null, members: number, fx: FindingsIndex | null): Row {
  if (!b) {
    return {
      key: `net:${name ?? '?'}`,
      selectable: false,
      group: true,
      segments: [cell(name ?? 'ports whose bridge is unknown', 'title')],
      search: searchText(name ?? 'unknown'),
    };
  }
  const segs = [
    cell(b.network ?? '(unnamed network)', 'title'),
    cell(b.name, 'accent'),
    cell(b.subnets.join(' ') || 'subnet ?', 'muted'),
    cell(`ICC ${onOff(b.icc)}`, b.icc === false ? 'status.warn' : 'muted'),
    cell(`masq ${onOff(b.masquerade)}`, 'muted'),
  ];
  if (b.internal) segs.push(cell('internal', 'status.warn'));
  segs.push(cell(`${members} container${members === 1 ? '' : 's'}`, 'muted'));
  const found = fx?.byBridge.get(b.name) ?? [];
  const sev = worst(found);
  if (sev && found[0]) segs.push(cell(`${SEVERITY_MARK[sev]} ${found[0].title}${found.length > 1 ? ` (+${found.length - 1})` : ''}`, SEVERITY_TONE[sev]));
  return {
    key: `net:${b.name}`,
    selectable: false,
    group: true,
    segments: segs,
    ...(sev ? { cells: { mark: cell(SEVERITY_MARK[sev], SEVERITY_TONE[sev]) } } : {}),
    search: searchText(b.network, b.name, ...b.subnets, b.internal ? 'internal' : null),
    fields: { addr: b.subnets },
  };
}

/** The port's marker: the worse of the path diagnosis and its findings (severity symbols, status tokens). */
export function portMark(diagLevel: 'ok' | 'warn' | 'error', found: readonly Finding[] | undefined): { text: string; tone: Token | undefined } {
  const sev = worst(found);
  const rank = { ok: 0, info: 1, warn: 2, error: 3 } as const;
  const fromFindings = sev === 'critical' ? 'error' : sev === 'warn' ? 'warn' : sev === 'info' ? 'info' : 'ok';
  const level = rank[fromFindings] > rank[diagLevel] ? fromFindings : diagLevel;
  if (level === 'error') return { text: sev === 'critical' ? SEVERITY_MARK.critical : MARK.error, tone: 'status.error' };
  if (level === 'warn') return { text: MARK.warn, tone: 'status.warn' };
  if (level === 'info') return { text: SEVERITY_MARK.info, tone: SEVERITY_TONE.info };
  return { text: MARK.ok, tone: undefined };
}

/** The parts of a port row that cost something to make (diagnosis, rates, formatting). */
type PortRowParts = Pick<Row, 'cells' | 'search' | 'fields' | 'sort'>;

function portRowParts(p: PublishedPort, model: HostModel, v: ViewData, bridge: BridgeModel | undefined, fx: FindingsIndex | null): PortRowParts {
  const diag = diagnosePort(p, model);
  const { cur, prev } = portRate(v, p);
  const flows = v.portFlows.get(p.key)?.length ?? 0;
  const prevFlows = v.prevFlowCount.get(p.key);
  const found = fx?.byPort.get(p.key);
  const mark = portMark(diag.level, found);
  const markTone = mark.tone;
  return {
    cells: {
      mark: cell(mark.text, markTone),
      ctr: cell(p.container ?? '?', p.container ? undefined : 'muted'),
      host: cell(hostPort(p.hostIp, p.hostPort)),
      proto: cell(p.proto, 'muted'),
      to: cell(p.containerIp ? `→ ${hostPort(p.containerIp, p.containerPort)}` : '→ ?', p.containerIp ? undefined : 'muted'),
      pps: cell(rate(cur?.pps), cur && cur.pps > 0 ? 'traffic.accept' : 'muted', direction(prev?.pps, cur?.pps)),
      bps: cell(cur ? bytes(cur.bps) : '-', cur && cur.bps > 0 ? 'traffic.accept' : 'muted', direction(prev?.bps, cur?.bps)),
      flows: cell(String(flows), flows > 0 ? undefined : 'muted', direction(prevFlows, flows)),
      proxy: cell(p.proxy ? 'yes' : 'no', p.proxy ? undefined : 'muted'),
      icc: cell(onOff(bridge?.icc ?? null), bridge?.icc === false ? 'status.warn' : 'muted'),
      pkts: cell(p.counters ? compact(p.counters.packets) : '-', 'muted'),
      bytes: cell(p.counters ? bytes(p.counters.bytes) : '-', 'muted'),
      note: cell(diag.reasons[0] ?? found?.[0]?.title ?? '', markTone ?? 'muted'),
    },
    search: searchText(p.container, bridge?.network, p.bridge, p.hostIp, p.hostPort, p.proto, p.containerIp, p.containerPort, `${p.hostIp}:${p.hostPort}`, diag.level !== 'ok' ? diag.level : null),
    fields: { addr: [p.hostIp, p.containerIp], port: [p.hostPort, p.containerPort], proto: p.proto },
    sort: { 'pkt/s': -(cur?.pps ?? -1), 'B/s': -(cur?.bps ?? -1), flows: -flows },
  };
}

/**
 * A port's row, made when first read. Every refresh rebuilds the overview,
 * and on a host with 5,000 published ports making every row (diagnosis,
 * rates, a dozen formatted cells, the search text) took ~100 ms of the UI
 * thread, while the table draws the ~45 rows in view; the filter and the
 * sort read the others only when one is set. All inputs are fixed when the
 * row is made (a refresh makes new rows), so when the parts are made does
 * not change what they are.
 */
class PortRow implements Row {
  readonly key: string;
  readonly selectable = true;
  readonly open: Row['open'];
  private parts: PortRowParts | null = null;

  constructor(
    key: string,
    private readonly p: PublishedPort,
    private readonly model: HostModel,
    private readonly v: ViewData,
    private readonly bridge: BridgeModel | undefined,
    private readonly fx: FindingsIndex | null,
  ) {
    this.key = key;
    this.open = { kind: 'port', portKey: p.key };
  }

  private made(): PortRowParts {
    return (this.parts ??= portRowParts(this.p, this.model, this.v, this.bridge, this.fx));
  }

  get cells() {
    return this.made().cells;
  }
  get search() {
    return this.made().search;
  }
  get fields() {
    return this.made().fields;
  }
  get sort() {
    return this.made().sort;
  }
}

function containerRow(bridge: string, name: string, ips: string[], running: boolean): Row {
  return {
    // A container on two networks has a row under each: the bridge keeps the keys apart.
    key: `ctr:${bridge}:${name}`,
    selectable: false,
    cells: {
      ctr: cell(name, running ? undefined : 'muted'),
      host: cell(running ? 'no published ports' : 'stopped', 'muted'),
      to: cell(ips.join(' '), 'muted'),
    },
    search: searchText(name, ...ips, running ? null : 'stopped'),
    fields: { addr: ips },
  };
}

/**
 * The overview's shape: which header, container row and port (by index in
 * model.published) comes where. It depends only on the join (bridges,
 * containers, ports and their order) and the findings, so models that carry
 * one join forward (the counters and flows refreshes most ticks are, see
 * joinRootOf) share it; on a host with hundreds of bridges and 5,000 ports
 * regrouping on every refresh was ~20 ms of the UI thread per tick.
 */
type Slot = { row: Row } | { port: number; key: string; bridge: BridgeModel | undefined };

const shapes = new WeakMap<HostModel, { fx: FindingsIndex | null; slots: Slot[] }>();

function overviewShape(model: HostModel, fx: FindingsIndex | null): Slot[] {
  const root = joinRootOf(model);
  const hit = shapes.get(root);
  if (hit && hit.fx === fx) return hit.slots;
  const slots: Slot[] = [];
  const index = new Map<PublishedPort, number>();
  model.published.forEach((p, k) => index.set(p, k));
  const byBridge = new Map<string | null, PublishedPort[]>();
  for (const p of model.published) {
    const list = byBridge.get(p.bridge) ?? [];
    list.push(p);
    byBridge.set(p.bridge, list);
  }
  const bridgeByName = new Map<string, BridgeModel>();
  for (const b of model.bridges) if (!bridgeByName.has(b.name)) bridgeByName.set(b.name, b);
  const names: Array<string | null> = model.bridges.map((b) => b.name);
  const named = new Set<string | null>(names);
  for (const k of byBridge.keys()) if (!named.has(k)) names.push(k);
  const membersOf = new Map<string, HostModel['containers']>();
  for (const c of model.containers) {
    for (const n of new Set(c.networks.map((x) => x.bridge))) {
      if (n === null) continue;
      const list = membersOf.get(n) ?? [];
      list.push(c);
      membersOf.set(n, list);
    }
  }

  for (const name of names) {
    const b = name === null ? undefined : bridgeByName.get(name);
    const ports = byBridge.get(name) ?? [];
    const members = name === null ? [] : (membersOf.get(name) ?? []);
    slots.push({ row: bridgeHeader(b, name, members.length, fx) });
    const byContainer = new Map<string | null, PublishedPort[]>();
    for (const p of ports) {
      const list = byContainer.get(p.container) ?? [];
      list.push(p);
      byContainer.set(p.container, list);
    }
    const shown = new Set<PublishedPort>();
    for (const c of members) {
      const mine = byContainer.get(c.name) ?? [];
      for (const p of mine) {
        shown.add(p);
        slots.push({ port: index.get(p)!, key: portRowKey(p), bridge: b });
      }
      if (mine.length === 0) {
        const ips = c.networks.filter((n) => n.bridge === name).flatMap((n) => [n.ipv4, n.ipv6].filter((x): x is string => !!x));
        slots.push({ row: containerRow(name ?? '?', c.name, ips, c.running) });
      }
    }
    for (const p of ports) if (!shown.has(p)) slots.push({ port: index.get(p)!, key: portRowKey(p), bridge: b });
  }
  shapes.set(root, { fx, slots });
  return slots;
}

export function overviewRows(v: ViewData, fx: FindingsIndex | null = null): Row[] {
  const model = v.sample.model;
  const slots = overviewShape(model, fx);
  const rows = new Array<Row>(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    rows[i] = 'row' in s ? s.row : new PortRow(s.key, model.published[s.port]!, model, v, s.bridge, fx);
  }
  return rows;
}
