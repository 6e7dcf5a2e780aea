// The live action backend: the same module-level functions the CLI's action
// commands call (src/commands/actions/*), never the CLI itself.
//   load      -> loadHost (full read + each family's filter table re-read
//                with the command apply uses, for the stale check)
//   checkIcc  -> checkBrNetfilter (/proc/sys inside --netns)
//   undoable  -> transactions(readJournal) filtered by the CLI's undoable()
//   undoPlan  -> readFilter + contextOf + planUndo (as `portcullis undo`)
//   apply     -> applyPlan; confirm -> confirmPending; rollback -> rollbackPending
import { readFilter } from '../../apply/host.js';
import { readJournal } from '../../apply/state.js';
import { applyPlan, confirmPending, rollbackPending } from '../../apply/transaction.js';
import { loadHost, stateDirOf, type CommonFlags } from '../../commands/actions/common.js';
import { checkBrNetfilter } from '../../commands/actions/icc.js';
import { transactions } from '../../commands/actions/journal.js';
import { undoable } from '../../commands/actions/undo.js';
import { contextOf } from '../../core/plan/plan.js';
import { planUndo } from '../../core/plan/restore.js';
import { PlanError } from '../../core/plan/types.js';
import type { ActionBackend } from './backend.js';

export function liveBackend(flags: Pick<CommonFlags, 'netns' | 'dockerHost' | 'stateDir'>): ActionBackend & { stateDir: string } {
  const stateDir = stateDirOf(flags);
  const netns = flags.netns;
  const journal = () => transactions(readJournal(stateDir));
  return {
    stateDir,
    load: async () => (await loadHost(flags)).input,
    checkIcc: (families) => checkBrNetfilter(netns, families),
    undoable: async () =>
      journal()
        .filter(undoable)
        .reverse()
        .map((v) => ({ id: v.id, time: v.time, summary: v.summary })),
    undoPlan: async (tx) => {
      const target = journal().find((v) => v.id === tx);
      if (!target || !undoable(target)) throw new PlanError('refused', `undo ${tx}: not a confirmed transaction that can be undone (any more)`);
      const fams = target.apply?.families ?? [];
      const contexts = [];
      for (const jf of fams) contexts.push(contextOf(jf.family, jf.backend, (await readFilter(jf.family, jf.backend, { netns })).ruleset));
      return planUndo(contexts, target.id, fams.map((jf) => ({ family: jf.family, before: jf.before, after: jf.after })));
    },
    apply: async (plan, confirmTimeoutSec) => {
      const r = await applyPlan(plan, { netns, stateDir, confirmTimeoutSec });
      return { id: r.id, deadline: r.deadline };
    },
    confirm: async () => {
      await confirmPending(stateDir, netns);
    },
    rollback: async () => {
      const r = await rollbackPending(stateDir, 'interactive', netns);
      return { outcome: r.result.outcome, ms: r.result.ms };
    },
  };
}
