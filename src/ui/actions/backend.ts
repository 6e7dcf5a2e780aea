// What the action dialogs need from the host, as an interface: the live
// implementation (live.ts) calls the same module-level functions as the
// CLI's action commands (loadHost, applyPlan, confirmPending,
// rollbackPending, the journal); component tests inject a fake.
import type { Family } from '../../core/types.js';
import type { PlanInput } from '../../core/plan/plan.js';
import type { Plan } from '../../core/plan/types.js';

export interface UndoChoice {
  id: string;
  time: string;
  summary: string;
}

export interface AppliedTx {
  id: string;
  /** Epoch ms of the rollback deadline; null when kept at once (confirm timeout 0). */
  deadline: number | null;
}

export interface ActionBackend {
  /** Read the host afresh for planning, exactly as the CLI does (the stale check compares like with like). */
  load(): Promise<PlanInput>;
  /** Refuse an ICC DROP the kernel would never consult (br_netfilter off); throws a PlanError. */
  checkIcc(families: Family[]): Promise<void>;
  /** Confirmed transactions that can be undone, newest first. */
  undoable(): Promise<UndoChoice[]>;
  /** The plan that reverts transaction `tx` (only the sections it changed). */
  undoPlan(tx: string): Promise<Plan>;
  /** One transaction: stale check, watchdog armed, restore, verify. Throws ApplyError / PlanError. */
  apply(plan: Plan, confirmTimeoutSec: number): Promise<AppliedTx>;
  /** Keep the change awaiting confirmation. */
  confirm(tx: string): Promise<void>;
  /** Restore the state before the change awaiting confirmation, now. */
  rollback(tx: string): Promise<{ outcome: string; ms: number }>;
}

export interface ActionsConfig {
  /** null: nothing can be applied (the view reads a capture); dialogs still plan and preview. */
  backend: ActionBackend | null;
  /** Why nothing can be applied, when backend is null. */
  previewOnly: string | null;
  /** Seconds before an applied change is rolled back unless kept (0: kept at once). */
  confirmTimeoutSec: number;
  /** The operator's SSH client (SSH_CONNECTION), exempted by lockdown. */
  ssh: string | null;
  /** Where changes go, for the dialogs ("netns pcl-t1", "this host"). */
  where: string;
}

export const PREVIEW_ONLY: ActionsConfig = {
  backend: null,
  previewOnly: 'this view reads a capture, not a host: previews only, nothing can be applied',
  confirmTimeoutSec: 60,
  ssh: null,
  where: 'a capture',
};
