// `portcullis status [--json]`: one read of the host, joined, printed.
import { buildSnapshot } from '../core/snapshot.js';
import { buildModel } from '../core/model/build.js';
import { statusJson, statusText } from '../core/report/status.js';
import { findFindings, QUICK_EXPLAIN_BUDGET } from '../core/findings/index.js';
import { readSource, type SourceFlags } from './source.js';

export async function runStatus(opts: SourceFlags & { json?: boolean }): Promise<void> {
  const raw = await readSource(opts);
  const model = buildModel(buildSnapshot(raw));
  // Bounded so a host with thousands of published ports still answers in seconds
  // (the skipped ports are reported as a finding of their own).
  const findings = findFindings(model, { maxExplains: QUICK_EXPLAIN_BUDGET });
  process.stdout.write(opts.json ? JSON.stringify(statusJson(model, findings), null, 2) + '\n' : statusText(model, findings));
}
