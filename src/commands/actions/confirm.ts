// `portcullis confirm` keeps the change awaiting confirmation;
// `portcullis rollback` restores the state before it now.
import type { Command } from 'commander';
import { confirmPending, rollbackPending } from '../../apply/transaction.js';
import { addCommonOptions, handled, stateDirOf, type CommonFlags } from './common.js';
import { validateSourceFlags } from '../source.js';

export function registerConfirm(program: Command): void {
  const cmd = program.command('confirm').description('keep the change that awaits confirmation (stops its rollback watchdog)');
  addCommonOptions(cmd, { docker: false });
  cmd.action(
    handled(async (f: CommonFlags) => {
      validateSourceFlags({ netns: f.netns });
      const p = await confirmPending(stateDirOf(f), f.netns);
      if (f.json) process.stdout.write(`${JSON.stringify({ id: p.id, outcome: 'confirmed', summary: p.summary }, null, 2)}\n`);
      else process.stdout.write(`confirmed ${p.id}: ${p.summary}\n`);
    }),
  );
}

export function registerRollback(program: Command): void {
  const cmd = program.command('rollback').description('restore the Portcullis chains as they were before the change awaiting confirmation, now');
  addCommonOptions(cmd, { docker: false });
  cmd.action(
    handled(async (f: CommonFlags) => {
      validateSourceFlags({ netns: f.netns });
      const { pending, result } = await rollbackPending(stateDirOf(f), 'manual', f.netns);
      if (f.json) process.stdout.write(`${JSON.stringify({ id: pending.id, outcome: result.outcome, ms: result.ms }, null, 2)}\n`);
      else process.stdout.write(`${result.outcome === 'nothing-to-do' ? 'nothing to restore' : 'rolled back'} ${pending.id} (${result.ms} ms): ${pending.summary}\n`);
    }),
  );
}
