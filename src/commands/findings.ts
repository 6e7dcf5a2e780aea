// `portcullis findings [--json] [--min-severity LEVEL]`: rules that do not do
// what they look like they do, and ports more open than they look
// (src/core/findings), from one read of the host.
import { Option, type Command } from 'commander';
import { buildSnapshot } from '../core/snapshot.js';
import { buildModel } from '../core/model/build.js';
import { findFindings, findingsText, type Severity } from '../core/findings/index.js';
import { readSource, type SourceFlags } from './source.js';
import { UsageError } from './errors.js';

export interface FindingsFlags extends SourceFlags {
  json?: boolean;
  minSeverity?: string;
  maxExplains?: string;
}

/** Each explain costs tens of ms on a host with ~10k rules; the rest are reported as skipped. */
export const FINDINGS_EXPLAIN_BUDGET = 500;

const RANK: Record<Severity, number> = { info: 0, warn: 1, critical: 2 };

export async function runFindings(opts: FindingsFlags): Promise<void> {
  const min = (opts.minSeverity ?? 'info') as Severity;
  if (!(min in RANK)) throw new UsageError(`--min-severity: "${opts.minSeverity}" is not one of info, warn, critical`);
  const budget = opts.maxExplains === undefined ? FINDINGS_EXPLAIN_BUDGET : Number(opts.maxExplains);
  if (!Number.isInteger(budget) || budget < 0) throw new UsageError(`--max-explains: "${opts.maxExplains}" is not a whole number`);
  const raw = await readSource(opts);
  const model = buildModel(buildSnapshot(raw));
  const findings = findFindings(model, { maxExplains: budget }).filter((f) => RANK[f.severity] >= RANK[min]);
  process.stdout.write(opts.json ? JSON.stringify({ findings }, null, 2) + '\n' : findingsText(findings));
}

export function registerFindings(program: Command): void {
  program
    .command('findings')
    .description('list rules that do not do what they look like (INPUT rules on published ports, DOCKER-USER rules on host ports, ...) and ports more open than they look')
    .option('--json', 'machine-readable output')
    .option('--min-severity <level>', 'info, warn or critical (default info)')
    .option('--max-explains <n>', `packets explained for the per-port checks before the rest are reported as skipped (default ${FINDINGS_EXPLAIN_BUDGET})`)
    .addOption(new Option('--netns <name>', 'read the host inside this network namespace (ip netns exec NAME)'))
    .addOption(new Option('--docker-host <url>', 'Docker Engine API socket (unix:///path or a path)').env('DOCKER_HOST'))
    .addOption(new Option('--from <dir>', 'read a capture directory instead of the live host'))
    .action(async (opts: FindingsFlags) => {
      await runFindings(opts);
    });
}
