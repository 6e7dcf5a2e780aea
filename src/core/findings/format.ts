// Plain-text rendering of findings, for `portcullis findings`.
import type { Finding } from './types.js';

const MARK = { critical: 'CRIT', warn: 'WARN', info: 'info' } as const;

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.map((l) => indent + l).join('\n');
}

export function fixText(f: Finding): string | null {
  const x = f.fix;
  if (!x) return null;
  switch (x.action) {
    case 'whitelist':
      return `whitelist ${x.port}`;
    case 'block-proxy':
      return `block-proxy ${x.port}${x.loopback ? ' (loopback)' : ''}`;
    case 'icc':
      return `icc ${x.bridge} ${x.enabled ? 'on' : 'off'}`;
    case 'reapply':
      return `re-apply Portcullis' rules (${x.chain}, IPv${x.family})`;
  }
}

export function findingsText(findings: Finding[], width = 100): string {
  if (findings.length === 0) return 'no findings\n';
  const out: string[] = [];
  for (const f of findings) {
    out.push(`[${MARK[f.severity]}] ${f.title}`);
    out.push(`       id: ${f.id.length > 90 ? f.id.slice(0, 87) + '...' : f.id}`);
    out.push(wrap(f.explanation, width - 7, '       '));
    for (const r of f.rules.slice(0, 8)) out.push(`       rule: ${r.family === 6 ? 'ip6tables' : 'iptables'}${r.backend === 'legacy' ? '-legacy' : ''} -t ${r.table} -A ${r.chain} ${r.text}  (#${r.position}, ${r.provenance})`);
    if (f.rules.length > 8) out.push(`       ... and ${f.rules.length - 8} more rules`);
    const fx = fixText(f);
    if (fx) out.push(`       fix: ${fx}`);
    out.push('');
  }
  const n = (s: string) => findings.filter((f) => f.severity === s).length;
  out.push(`${findings.length} findings: ${n('critical')} critical, ${n('warn')} warn, ${n('info')} info`);
  return out.join('\n') + '\n';
}
