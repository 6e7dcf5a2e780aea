// sysctl.txt: `sysctl -e KEY...` output, one `key = value` per line.
import type { ParseIssue } from '../types.js';
import { cutText } from './json-util.js';

/**
 * A gauge, not a setting: the conntrack table's current size moves with every
 * connection. Nothing judged from the sysctls (model, findings) reads it, so
 * whatever is cached on them leaves it out.
 */
export const CONNTRACK_COUNT = 'net.netfilter.nf_conntrack_count';

export function parseSysctl(text: string, source = 'sysctl.txt'): { values: Record<string, string>; issues: ParseIssue[] } {
  const values: Record<string, string> = {};
  const issues: ParseIssue[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([A-Za-z0-9_.\-/]+) = (.*)$/.exec(line);
    if (m) values[m[1]!] = m[2]!;
    else issues.push({ source, line: i + 1, text: cutText(line), message: 'expected "key = value"' });
  });
  return { values, issues };
}

/**
 * Whether bridged traffic goes through iptables for this family: true when
 * bridge-nf-call-ip(6)tables is 1, false when 0 or absent (br_netfilter not
 * loaded), null when the sysctls were not read at all.
 */
export function bridgeNetfilter(values: Record<string, string> | null, family: 4 | 6 = 4): boolean | null {
  if (!values) return null;
  const v = values[family === 4 ? 'net.bridge.bridge-nf-call-iptables' : 'net.bridge.bridge-nf-call-ip6tables'];
  return v === '1';
}
