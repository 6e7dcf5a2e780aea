// Findings in the UI: the index by port and bridge (markers in the
// overview, explanations in the port detail), the rows of the findings view
// and the lines of its explanation pane. Severity symbols live here; their
// colours are the theme's status tokens.
import { fixText } from '../../core/findings/format.js';
import type { Finding, Severity } from '../../core/findings/types.js';
import { CONNTRACK_COUNT } from '../../core/parse/sysctl.js';
import type { HostModel } from '../../core/model/types.js';
import type { Token } from '../theme/schema.js';
import { cell, searchText, type Cell, type Column, type Row } from './rows.js';
import { wrapText } from './wrap.js';

export interface FindingsIndex {
  /** Most severe first (findFindings' order). */
  all: Finding[];
  byPort: Map<string, Finding[]>;
  byBridge: Map<string, Finding[]>;
}

export const SEVERITY_MARK: Record<Severity, string> = { critical: 'X', warn: '!', info: 'i' };
export const SEVERITY_TONE: Record<Severity, Token> = { critical: 'status.error', warn: 'status.warn', info: 'accent' };
export const SEVERITY_WORD: Record<Severity, string> = { critical: 'CRIT', warn: 'WARN', info: 'info' };
const RANK: Record<Severity, number> = { info: 0, warn: 1, critical: 2 };

export function indexFindings(all: Finding[]): FindingsIndex {
  const byPort = new Map<string, Finding[]>();
  const byBridge = new Map<string, Finding[]>();
  const add = (m: Map<string, Finding[]>, k: string, f: Finding) => m.set(k, [...(m.get(k) ?? []), f]);
  for (const f of all) {
    if (f.subject.kind === 'port') add(byPort, f.subject.key, f);
    else if (f.subject.kind === 'bridge') add(byBridge, f.subject.name, f);
  }
  return { all, byPort, byBridge };
}

export function worst(list: readonly Finding[] | undefined): Severity | null {
  let w: Severity | null = null;
  for (const f of list ?? []) if (w === null || RANK[f.severity] > RANK[w]) w = f.severity;
  return w;
}

/**
 * What findings depend on, as text: rule texts and chain policies, bridges,
 * containers, bindings, the host's addresses, sysctls (but the live
 * CONNTRACK_COUNT gauge). Counters, flows and
 * rates are left out, so a refresh that changed only those reuses the last
 * findings instead of running the pass again.
 */
export function findingsFingerprint(m: HostModel): string {
  const sysctls = m.sysctls && Object.entries(m.sysctls).filter(([k]) => k !== CONNTRACK_COUNT);
  const parts: string[] = [String(m.dockerKnown), JSON.stringify(sysctls)];
  for (const f of m.families) parts.push(`F${f.family}/${f.backend}/${f.layout}/${f.forwardPolicy}/${f.swarm}/${f.backends.join(',')}`);
  for (const rs of m.rulesets) {
    parts.push(`R${rs.family}/${rs.backend}`);
    for (const t of rs.tables) {
      for (const c of t.chains) {
        parts.push(`C${t.name}/${c.name}/${c.policy}`);
        for (const r of c.rules) parts.push(r.text);
      }
    }
  }
  for (const b of m.bridges) parts.push(`B${b.name}/${b.network}/${b.icc}/${b.internal}/${b.masquerade}/${b.subnets.join(',')}`);
  for (const c of m.containers) parts.push(`K${c.id}/${c.name}/${c.running}/${c.networks.map((n) => `${n.bridge}:${n.ipv4}:${n.ipv6}`).join(',')}`);
  for (const p of m.published) parts.push(`P${p.key}/${p.container}/${p.containerIp}:${p.containerPort}/${p.proxy}/${p.bridge}/${p.dnat?.key ?? ''}`);
  for (const d of m.directAccess) parts.push(`D${d.family}/${d.proto}/${d.containerIp}:${d.containerPort}/${d.ref.key}`);
  for (const a of m.addresses) parts.push(`A${a.ifname}/${a.local}/${a.prefixlen}/${a.scope}`);
  return parts.join('\n');
}

// ---------------------------------------------------------------- the findings view

export const FINDING_COLUMNS: Column[] = [
  { id: 'sev', title: 'SEV', width: 4 },
  { id: 'title', title: 'FINDING', width: 30, grow: 4 },
  { id: 'subject', title: 'ABOUT', width: 16, grow: 1, minTerm: 100 },
  { id: 'fix', title: 'FIX', width: 18, grow: 1, minTerm: 120 },
];

/** A port key (family/proto/hostIp/hostPort) as people write it: 0.0.0.0:8080/tcp, [::]:8080/tcp. */
export function portKeyLabel(key: string): string {
  const [, proto, ip, port] = key.split('/');
  if (!proto || ip === undefined || !port) return key;
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port}/${proto}`;
}

/** A finding's fix in words, ports written as people write them. */
export function fixLabel(f: Finding): string | null {
  const x = f.fix;
  if (!x) return null;
  if (x.action === 'whitelist') return `whitelist ${portKeyLabel(x.port)}`;
  if (x.action === 'block-proxy') return `block-proxy ${portKeyLabel(x.port)}${x.loopback ? ' (loopback)' : ''}`;
  return fixText(f);
}

export function subjectText(f: Finding): string {
  const s = f.subject;
  switch (s.kind) {
    case 'port': return portKeyLabel(s.key);
    case 'bridge': return s.name;
    case 'chain': return `IPv${s.family} ${s.table}/${s.chain}`;
    case 'address': return s.address;
    case 'host': return s.family ? `host (IPv${s.family})` : 'host';
  }
}

/** The key that applies a finding's fix, when a guided action does. */
export function fixKey(f: Finding): string | null {
  switch (f.fix?.action) {
    case 'whitelist': return 'w';
    case 'block-proxy': return 'b';
    case 'icc': return 'i';
    default: return null;
  }
}

export const findingRowKey = (f: Finding) => `finding:${f.id}`;

const SECTION: Record<Severity, string> = { critical: 'Critical', warn: 'Warnings', info: 'Information' };

export function findingsRows(fx: FindingsIndex): Row[] {
  const rows: Row[] = [];
  for (const sev of ['critical', 'warn', 'info'] as const) {
    const list = fx.all.filter((f) => f.severity === sev);
    if (list.length === 0) continue;
    rows.push({ key: `g:${sev}`, selectable: false, group: true, segments: [cell(`${SECTION[sev]} (${list.length})`, 'title')], search: sev });
    for (const f of list) {
      const k = fixKey(f);
      rows.push({
        key: findingRowKey(f),
        selectable: true,
        ...(f.subject.kind === 'port' ? { open: { kind: 'port' as const, portKey: f.subject.key } } : {}),
        cells: {
          mark: cell(SEVERITY_MARK[f.severity], SEVERITY_TONE[f.severity]),
          sev: cell(SEVERITY_WORD[f.severity], SEVERITY_TONE[f.severity]),
          title: cell(f.title),
          subject: cell(subjectText(f), 'muted'),
          fix: cell(f.fix ? `${k ? `${k}: ` : ''}${fixLabel(f) ?? ''}` : '-', f.fix ? 'accent' : 'muted'),
        },
        search: searchText(f.title, f.kind, f.severity, subjectText(f), f.explanation),
        sort: { severity: -RANK[f.severity], kind: f.kind },
      });
    }
  }
  return rows;
}

/** The explanation pane under the findings list (and a finding in the port detail). */
export function findingLines(f: Finding, width: number): Cell[] {
  const w = Math.max(20, width);
  const out: Cell[] = [cell(`${SEVERITY_MARK[f.severity]} ${f.title}`, SEVERITY_TONE[f.severity])];
  // The fix first: the pane may be short.
  const fx = fixLabel(f);
  if (fx) {
    const k = fixKey(f);
    for (const l of wrapText(`fix: ${fx}${k ? ` (press ${k} on the ${f.fix?.action === 'icc' ? "bridge's port" : 'port'})` : ''}`, w, '     ')) out.push(cell(l, 'accent'));
  }
  for (const l of wrapText(f.explanation, w, '')) out.push(cell(l, 'text'));
  for (const r of f.rules.slice(0, 4)) {
    const bin = `${r.family === 6 ? 'ip6tables' : 'iptables'}${r.backend === 'legacy' ? '-legacy' : ''}`;
    for (const l of wrapText(`rule: ${bin} -t ${r.table} -A ${r.chain} ${r.text}  (#${r.position}, ${r.provenance})`, w, '      ')) out.push(cell(l, 'muted'));
  }
  if (f.rules.length > 4) out.push(cell(`... and ${f.rules.length - 4} more rules`, 'muted'));
  return out;
}
