// The status line as segments: host, Docker version and rule layout,
// backend, refresh age, paused, read-only, and what is failing (a failing
// source is named; the rest keeps working).
import { NOT_IN_CAPTURE } from '../../host/capture-dir.js';
import type { HostData } from '../hooks/useHostModel.js';
import { backoffMs } from '../hooks/useHostModel.js';
import { duration } from './format.js';
import { cell, type Cell } from './rows.js';

const SHORT: Record<string, string> = {
  'iptables-save.txt': 'iptables',
  'iptables-legacy-save.txt': 'iptables-legacy',
  'ip6tables-save.txt': 'ip6tables',
  'ip6tables-legacy-save.txt': 'ip6tables-legacy',
  'conntrack.txt': 'conntrack',
  'ip-link.json': 'links',
  'ip-addr.json': 'addresses',
  'containers.json': 'containers',
  'networks.json': 'networks',
  'docker-proxy.txt': 'docker-proxy',
  'container-ifaces.json': 'veth map',
};

export interface StatusInput {
  data: HostData;
  now: number;
  paused: boolean;
  dialogOpen: boolean;
  readOnly: boolean;
  intervalMs: number;
  feedErrors: readonly string[];
}

/** Most urgent first: at 80 columns the tail is cut, so flags and failures come before the details. */
export function statusSegments(i: StatusInput): Cell[] {
  const segs: Cell[] = [];
  const m = i.data.sample?.model;
  if (m) segs.push(cell(m.meta.netns ? `netns ${m.meta.netns}` : (m.meta.hostname ?? 'host ?'), 'accent'));
  else segs.push(cell(i.data.reading ? 'reading the host…' : 'no data yet', 'muted'));
  if (i.paused) segs.push(cell('PAUSED', 'status.warn'));
  else if (i.dialogOpen) segs.push(cell('paused (dialog)', 'muted'));
  if (i.readOnly) segs.push(cell('READ-ONLY', 'accent'));
  if (i.data.error) {
    const retry = Math.round(backoffMs(i.intervalMs, i.data.failures) / 1000);
    segs.push(cell(`read failed ×${i.data.failures} (retry ≤${retry}s): ${i.data.error}`, 'status.error'));
  }
  if (m) {
    const missing = Object.entries(m.meta.unavailable)
      .filter(([, why]) => why !== NOT_IN_CAPTURE)
      .map(([f]) => SHORT[f] ?? f);
    if (missing.length) segs.push(cell(`unavailable: ${missing.join(', ')}`, 'status.error'));
  }
  for (const e of i.feedErrors) segs.push(cell(e, 'status.warn'));
  if (i.data.lastOk !== null) segs.push(cell(`↻ ${duration((i.now - i.data.lastOk) / 1000)} ago`, 'muted'));
  if (m) {
    segs.push(cell(`Docker ${m.meta.dockerVersion ?? '?'}`, 'muted'));
    for (const f of m.families) if (f.backend) segs.push(cell(`v${f.family} ${f.backend}/${f.layout}`, 'muted'));
  }
  return segs;
}
