// `portcullis status [--json]`: one read of the host, joined, printed.
import { buildSnapshot } from '../core/snapshot.js';
import { buildModel } from '../core/model/build.js';
import { statusJson, statusText } from '../core/report/status.js';
import { findFindings } from '../core/findings/index.js';
import { readSource, type SourceFlags } from './source.js';

export async function runStatus(opts: SourceFlags & { json?: boolean }): Promise<void> {
  const raw = await readSource(opts);
  const model = buildModel(buildSnapshot(raw));
  const findings = findFindings(model);
  process.stdout.write(opts.json ? JSON.stringify(statusJson(model, findings), null, 2) + '\n' : statusText(model, findings));
}
