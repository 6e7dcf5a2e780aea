// Plain-text rendering of an ExplainResult, for `portcullis explain`.
import { describeRule } from './explain.js';
import type { ExplainResult, ExplainRoute, ExplainStep } from './types.js';

const VERDICT_WORD: Record<string, string> = {
  delivered: 'DELIVERED',
  dropped: 'DROPPED',
  rejected: 'REJECTED',
  'no-listener': 'NO LISTENER',
  forwarded: 'FORWARDED',
  unreachable: 'UNREACHABLE',
  undecidable: 'UNDECIDABLE',
};

function stepLine(s: ExplainStep): string {
  const pad = '  '.repeat(s.depth + 2);
  if (s.kind === 'rule' && s.rule) {
    const res = s.result === 'maybe' ? `MAYBE (assumed ${s.assumed ?? '?'})` : s.result === 'match' ? 'MATCH' : 'no match';
    const legacy = s.rule.backend === 'legacy' ? ' [legacy]' : '';
    const act = s.action && s.result !== 'no match' && s.assumed !== 'no match' ? ` -> ${s.action}` : '';
    return `${pad}${s.rule.chain} #${s.rule.position}${legacy}  ${s.rule.text}\n${pad}    ${res}${act}: ${s.why}`;
  }
  if (s.kind === 'policy') return `${pad}${s.why}`;
  if (s.kind === 'return') return `${pad}${s.why}`;
  return `  ${s.kind === 'route' ? '=>' : s.kind === 'listener' ? '=>' : s.kind === 'deliver' ? '=>' : '--'} ${s.why}`;
}

function routeText(r: ExplainRoute, i: number, n: number, brief: boolean): string {
  const lines: string[] = [];
  if (n > 1) {
    const as = r.assumptions.map((a) => `${describeRule(a.rule)} assumed to ${a.assumed === 'match' ? 'match' : 'not match'}`).join('; ');
    lines.push(`route ${i + 1} of ${n}${as ? ` (${as})` : ''}:`);
  }
  let hook: string | null = null;
  for (const s of r.steps) {
    if (brief && s.kind === 'rule' && s.result === 'no match') continue;
    if (brief && s.kind === 'return') continue;
    if (s.hook && s.hook !== hook) {
      hook = s.hook;
      lines.push(`  [${s.rule ? `${s.rule.family === 6 ? 'ip6' : 'ip'}tables ` : ''}${s.hook}]`);
    } else if (!s.hook) hook = null;
    lines.push(stepLine(s));
  }
  lines.push(`  verdict: ${VERDICT_WORD[r.verdict.kind] ?? r.verdict.kind}: ${r.verdict.summary}`);
  return lines.join('\n');
}

export interface ExplainTextOptions {
  /** Leave out the rules that do not match. */
  brief?: boolean;
}

export function explainText(res: ExplainResult, label?: string, opts: ExplainTextOptions = {}): string {
  const out: string[] = [];
  out.push(`explain${label ? ` ${label}` : ''}: ${res.packet}`);
  for (const n of res.notes) out.push(`note: ${n}`);
  out.push('');
  res.routes.forEach((r, i) => {
    out.push(routeText(r, i, res.routes.length, opts.brief === true));
    out.push('');
  });
  const v = res.verdict;
  out.push(`VERDICT: ${VERDICT_WORD[v.kind] ?? v.kind}: ${v.summary}`);
  if (v.deciding) out.push(`deciding rule: ${describeRule(v.deciding)}`);
  if (v.undecidable) out.push(`cannot evaluate: ${describeRule(v.undecidable.rule)} (${v.undecidable.why})`);
  return out.join('\n') + '\n';
}
