// "Something on this port's path looks wrong": the marker in the overview.
// For now: a rule someone wrote (operator or portcullis) that drops or
// rejects on the path, no DNAT rule, or a model warning naming the port.
import type { HostModel, PublishedPort } from '../../core/model/types.js';

export type Level = 'ok' | 'warn' | 'error';

export interface Diagnosis {
  level: Level;
  reasons: string[];
}

const BLOCKING = new Set(['DROP', 'REJECT']);

export function warningsNaming(p: PublishedPort, warnings: readonly string[]): string[] {
  const binding = `${p.hostIp}:${p.hostPort}/${p.proto}`;
  return warnings.filter((w) => w.includes(binding) || (p.container !== null && w.startsWith(`${p.container}:`) && w.includes(`:${p.hostPort}/${p.proto}`)));
}

export function diagnosePort(p: PublishedPort, model: Pick<HostModel, 'warnings'>): Diagnosis {
  const reasons: string[] = [];
  let level: Level = 'ok';
  const raise = (l: Level) => {
    if (l === 'error' || (l === 'warn' && level === 'ok')) level = l;
  };
  for (const step of p.path) {
    const r = step.ref.rule;
    if ((step.ref.provenance === 'operator' || step.ref.provenance === 'portcullis') && r.target && BLOCKING.has(r.target)) {
      reasons.push(`${r.target} by ${step.ref.provenance} in ${r.chain} #${r.position}: ${r.text}`);
      raise('error');
    }
  }
  if (!p.dnat) {
    reasons.push(p.proxy ? 'no DNAT rule: only docker-proxy serves this port' : 'no DNAT rule and no docker-proxy: nothing serves this port');
    raise(p.proxy ? 'warn' : 'error');
  }
  for (const w of warningsNaming(p, model.warnings)) {
    reasons.push(w);
    raise('warn');
  }
  return { level, reasons };
}

export const MARK: Record<Level, string> = { ok: ' ', warn: '!', error: 'X' };
