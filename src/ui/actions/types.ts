// The guided-action dialog as data: which action, what was typed or chosen,
// the plan being previewed, and the step the dialog is at. Held in UI state
// (state/types.ts `flow`) and changed only by the reducer (flow.ts); the
// asynchronous work (reading the host, planning, applying, confirming) is a
// `Job` the runner (useActionRunner.ts) performs, reporting a `JobResult`.
//
//   input (text / choose) -> busy plan -> preview -> [lockdown: type LOCKDOWN]
//     -> busy apply -> pending (countdown; y keeps, n/x rolls back) -> result
import type { Intent, Plan } from '../../core/plan/types.js';
import type { Cell } from '../present/rows.js';

export type FlowKind = 'whitelist' | 'block-proxy' | 'icc' | 'lockdown' | 'undo' | 'explain';

/** The published port a dialog is about, as it was when the dialog opened. */
export interface FlowPort {
  key: string;
  /** "0.0.0.0:8080/tcp (web)" */
  label: string;
  hostIp: string;
  hostPort: number;
  proto: string;
  container: string | null;
  bridge: string | null;
}

export interface FlowOption {
  id: string;
  label: string;
}

export type Job =
  | { kind: 'plan'; intent: Intent }
  | { kind: 'journal' }
  | { kind: 'apply'; plan: Plan }
  | { kind: 'confirm'; tx: string }
  | { kind: 'rollback'; tx: string }
  | { kind: 'explain'; portKey: string; src: string; iface: string | null };

export type JobResult =
  | { kind: 'plan'; plan: Plan }
  /** Undoable transactions, newest first. */
  | { kind: 'journal'; options: FlowOption[] }
  | { kind: 'apply'; id: string; deadline: number | null }
  | { kind: 'confirm' }
  | { kind: 'rollback'; outcome: string; ms: number }
  | { kind: 'explain'; title: string; verdict: 'ok' | 'warn' | 'error'; lines: string[] }
  /**
   * usage: the input was wrong (the dialog goes back to its field with the
   * message); otherwise a failure, shown with `note` saying what state the
   * firewall is in (nothing changed / the previous state was restored).
   */
  | { kind: 'error'; message: string; usage: boolean; note: string };

export type TextField = 'allow' | 'word' | 'src';
export type ChoiceField = 'proxy' | 'icc' | 'tx' | 'lockdown';

export type FlowStep =
  | { step: 'text'; field: TextField; prompt: string; hint: string; text: string; error: string | null }
  | { step: 'choose'; field: ChoiceField; prompt: string; options: FlowOption[]; index: number; error: string | null }
  | { step: 'busy'; job: Job; what: string }
  | { step: 'preview'; scroll: number }
  | { step: 'pending'; tx: string; deadline: number }
  | { step: 'result'; tone: 'ok' | 'warn' | 'error'; title: string; lines: string[]; scroll: number };

export interface Flow {
  kind: FlowKind;
  /** "Whitelist 0.0.0.0:8080/tcp (web)" */
  title: string;
  port: FlowPort | null;
  bridge: string | null;
  /** What the action touches, shown at the input steps. */
  info: Cell[];
  /** Whitelist: the sources allowed now (so an empty list means "remove the restriction"). */
  current: string[];
  /** Lockdown: the operator's SSH client, exempted (SSH_CONNECTION). */
  ssh: string | null;
  /** The plan previewed; kept through the typed confirmation and apply. */
  plan: Plan | null;
  /** The input step a usage error returns to. */
  input: FlowStep | null;
  step: FlowStep;
}

/** The word lockdown asks for before it applies (as the CLI does). */
export const LOCKDOWN_WORD = 'LOCKDOWN';
