// `portcullis export`: the owned chains as restore files, for loading at boot
// after Docker (scripts/portcullis-restore.service).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { exportPayload } from '../../core/plan/owned.js';
import { contextsOf } from '../../core/plan/plan.js';
import { UsageError } from '../errors.js';
import { addCommonOptions, handled, loadHost, type CommonFlags } from './common.js';

type Flags = CommonFlags & { family?: string; outputDir?: string };

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('print the Portcullis chains as an iptables-restore file (or write portcullis.v4.rules / portcullis.v6.rules to --output-dir)')
    .addOption(new Option('--family <4|6>', 'which family to print').default('4'))
    .addOption(new Option('--output-dir <dir>', 'write both families to DIR/portcullis.v4.rules and DIR/portcullis.v6.rules'));
  addCommonOptions(cmd);
  cmd.action(
    handled(async (f: Flags) => {
      if (f.family !== '4' && f.family !== '6') throw new UsageError(`--family ${JSON.stringify(f.family)}: 4 or 6`);
      const { input } = await loadHost(f);
      const files = new Map(contextsOf(input).map((c) => [c.family, exportPayload(c.state)]));
      if (f.outputDir !== undefined) {
        mkdirSync(f.outputDir, { recursive: true, mode: 0o755 });
        for (const [fam, text] of files) writeFileSync(join(f.outputDir, `portcullis.v${fam}.rules`), text, { mode: 0o644 });
        if (f.json) process.stdout.write(`${JSON.stringify({ written: [...files.keys()].map((fam) => join(f.outputDir as string, `portcullis.v${fam}.rules`)) }, null, 2)}\n`);
        else process.stdout.write(`wrote ${[...files.keys()].map((fam) => join(f.outputDir as string, `portcullis.v${fam}.rules`)).join(', ')}\n`);
        return;
      }
      const text = files.get(Number(f.family) as 4 | 6) ?? '';
      process.stdout.write(f.json ? `${JSON.stringify({ family: Number(f.family), restore: text }, null, 2)}\n` : text);
    }),
  );
}
