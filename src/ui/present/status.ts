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
  /** The refresh age segment (refreshAgeLabel); null before the first good read. */
  age: string | null;
  paused: boolean;
  dialogOpen: boolean;
  readOnly: boolean;
  intervalMs: number;
  feedErrors: readonly string[];
}

/**
 * The refresh age as the status line shows it. While reads keep coming in
 * time it says so and does not change ("↻ every 1s"): a label that counted
 * seconds would cost a full-screen repaint every second on a host where
 * nothing else moved. Once the last good read is older than two intervals
 * (paused, failing, slow) it counts: "↻ 7s ago".
 */
export function refreshAgeLabel(lastOk: number | null, now: number, intervalMs: number): string | null {
  if (lastOk === null) return null;
  const age = now - lastOk;
  if (age < 2 * intervalMs + 1000) return `↻ every ${duration(intervalMs / 1000)}`;
  return `↻ ${duration(age / 1000)} ago`;
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
  if (i.age !== null) segs.push(cell(i.age, 'muted'));
  if (m) {
    segs.push(cell(`Docker ${m.meta.dockerVersion ?? '?'}`, 'muted'));
    for (const f of m.families) if (f.backend) segs.push(cell(`v${f.family} ${f.backend}/${f.layout}`, 'muted'));
  }
  return segs;
}
