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
  // Indented for a person at a terminal; compact into a pipe or file (jq and
  // scripts do not need it, and on a big host indentation is a quarter of
  // the output and of the time spent writing it).
  const indent = process.stdout.isTTY ? 2 : undefined;
  process.stdout.write(opts.json ? JSON.stringify(statusJson(model, findings), null, indent) + '\n' : statusText(model, findings));
}
