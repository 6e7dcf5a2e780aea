// `portcullis undo [ID]`: the inverse of a kept transaction, as a new
// transaction through the same preview / confirm path. Only the sections the
// transaction changed go back; a section changed again since is refused.
import type { Command } from 'commander';
import { contextOf } from '../../core/plan/plan.js';
import { planUndo } from '../../core/plan/restore.js';
import { PlanError } from '../../core/plan/types.js';
import { readFilter } from '../../apply/host.js';
import { readJournal } from '../../apply/state.js';
import { UsageError } from '../errors.js';
import { addActionOptions, handled, runPlanned, stateDirOf, type ActionFlags } from './common.js';
import { transactions, type TxView } from './journal.js';
import { validateSourceFlags } from '../source.js';

export function undoable(v: TxView): boolean {
  return v.outcome === 'applied' && v.fate.startsWith('confirmed') && !v.fate.includes('undone by');
}

export function registerUndo(program: Command): void {
  const cmd = program
    .command('undo')
    .description('revert a kept transaction (default: the last one) as a new transaction')
    .argument('[id]', 'transaction id from `portcullis journal`');
  addActionOptions(cmd);
  cmd.action(
    handled(async (id: string | undefined, f: ActionFlags) => {
      validateSourceFlags({ netns: f.netns });
      const list = transactions(readJournal(stateDirOf(f)));
      let tx: TxView | undefined;
      if (id === undefined) {
        tx = [...list].reverse().find(undoable);
        if (!tx) throw new PlanError('refused', 'nothing to undo: no confirmed transaction that is not undone already');
      } else {
        if (!/^[0-9A-Za-z-]{1,64}$/.test(id)) throw new UsageError(`undo ${JSON.stringify(id)}: not a transaction id`);
        tx = list.find((v) => v.id === id);
        if (!tx) throw new UsageError(`undo ${id}: no such transaction in the journal`);
        if (tx.outcome !== 'applied') throw new PlanError('refused', `undo ${id}: it was never applied (${tx.outcome})`);
        if (tx.fate === 'pending') throw new PlanError('refused', `undo ${id}: it still awaits confirmation; use \`portcullis rollback\``);
        if (tx.fate.startsWith('rolled back')) throw new PlanError('refused', `undo ${id}: it was ${tx.fate} already`);
        if (tx.fate.includes('undone by')) throw new PlanError('refused', `undo ${id}: ${tx.fate.slice(tx.fate.indexOf('undone'))} already`);
      }
      const target = tx;
      const fams = target.apply?.families ?? [];
      await runPlanned(f, async () => {
        const contexts = [];
        for (const jf of fams) contexts.push(contextOf(jf.family, jf.backend, (await readFilter(jf.family, jf.backend, { netns: f.netns })).ruleset));
        return planUndo(contexts, target.id, fams.map((jf) => ({ family: jf.family, before: jf.before, after: jf.after })));
      });
    }),
  );
}
