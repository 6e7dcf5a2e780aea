// One transaction: stale check, journal, watchdog armed, one
// `iptables-restore --noflush -w` per family, re-read and verify; on any
// failure the previous owned state is put back and the error is reported.
//
// Order matters for "rollback outlives the UI": the pending record and the
// watchdog exist BEFORE the first restore, so a CLI killed at any point
// after that still gets its change reverted at the deadline (if nothing was
// applied, the watchdog finds nothing to do).
import { createHash } from 'node:crypto';
import type { Backend, Family, Ruleset } from '../core/types.js';
import { chainsText, isEmptyTransition, ownedStateOf, transitionOf } from '../core/plan/owned.js';
import { contextOf } from '../core/plan/plan.js';
import { planRollback } from '../core/plan/restore.js';
import type { OwnedChains, Plan } from '../core/plan/types.js';
import { readChains, readFilter, restore } from './host.js';
import {
  acquireLock,
  appendJournal,
  claimPending,
  ensureStateDir,
  newTxId,
  readPending,
  writePending,
  type JournalFamily,
  type Pending,
  type PendingFamily,
} from './state.js';
import { launchWatchdog } from './launch.js';

/** Exit codes of the action commands (README "Exit codes"). */
export const ACTION_EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Refused: the model is stale, a change awaits confirmation, or the action does not apply here. Nothing changed. */
  refused: 3,
  /** The change applied but did not read back as planned; the previous owned state was restored. */
  verifyFailed: 4,
} as const;

export class ApplyError extends Error {
  override name = 'ApplyError';
  constructor(
    message: string,
    readonly code: number,
    readonly txId: string | null = null,
  ) {
    super(message);
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface ApplyOptions {
  netns?: string;
  stateDir: string;
  /** Seconds before the watchdog restores the previous state; 0: no watchdog (confirmed at once). */
  confirmTimeoutSec: number;
}

export interface ApplyResult {
  id: string;
  /** Epoch ms of the rollback deadline; null when confirmed at once. */
  deadline: number | null;
  watchdogPid: number | null;
  timings: { staleCheckMs: number; restoreMs: number; verifyMs: number; applyVerifyMs: number; totalMs: number };
  families: JournalFamily[];
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

/** Read a family's owned state back and compare it with the expected owned chains (jumps included). */
export async function verifyFamily(family: Family, backend: Backend, expected: OwnedChains, netns?: string, watched?: readonly string[]): Promise<{ ok: boolean; text: string; why: string; ruleset: Ruleset }> {
  const ruleset = await readWatched(family, backend, watched, netns);
  const st = ownedStateOf(ruleset);
  const t = transitionOf(st, expected);
  if (isEmptyTransition(t)) return { ok: true, text: '', why: '', ruleset };
  const parts: string[] = [];
  if (t.rebuild.length) parts.push(`chains differ: ${t.rebuild.join(', ')}`);
  if (t.remove.length) parts.push(`unexpected chains: ${t.remove.join(', ')}`);
  if (t.addJumps.length) parts.push(`missing jumps: ${t.addJumps.map((j) => `${j.parent} -> ${j.target}`).join(', ')}`);
  if (t.dropJumps.length) parts.push(`unexpected jumps: ${t.dropJumps.map((j) => `${j.parent}#${j.position} -> ${j.target}`).join(', ')}`);
  return { ok: false, text: '', why: `IPv${family}: ${parts.join('; ')}`, ruleset };
}

/**
 * The chains a transaction compares (its owned chains, every parent that
 * jumps or will jump into them, and DOCKER-USER, which decides where the
 * jump goes), read chain by chain; the whole filter table when `watched` is
 * not given or a chain is missing (readChains).
 */
async function readWatched(family: Family, backend: Backend, watched: readonly string[] | undefined, netns?: string): Promise<Ruleset> {
  if (watched) {
    const r = await readChains(family, backend, [...watched, 'DOCKER-USER'], { netns });
    if (r) return r.ruleset;
  }
  return (await readFilter(family, backend, { netns })).ruleset;
}

export interface RestoreOutcome {
  outcome: 'rolled-back' | 'nothing-to-do' | 'failed';
  error?: string;
  families: JournalFamily[];
  ms: number;
}

/**
 * Put the owned chains of each family back to `targets` (read live, plan
 * the transition, restore, verify). Only owned chains and their jumps are
 * written, so anything Docker did meanwhile stays.
 */
export async function restoreOwned(targets: PendingFamily[], txId: string, netns?: string): Promise<RestoreOutcome> {
  const t0 = performance.now();
  const families: JournalFamily[] = [];
  const errors: string[] = [];
  let changed = false;
  for (const t of targets) {
    try {
      const { ruleset } = await readFilter(t.family, t.backend, { netns });
      const ctx = contextOf(t.family, t.backend, ruleset);
      const plan = planRollback([ctx], txId, new Map([[t.family, t.before]]));
      const fp = plan.families[0];
      if (!fp) continue;
      changed = true;
      await restore(t.family, t.backend, fp.payload, { netns });
      const v = await verifyFamily(t.family, t.backend, t.before, netns);
      if (!v.ok) errors.push(`rollback did not read back as expected: ${v.why}`);
      const after = await readFilter(t.family, t.backend, { netns });
      families.push({
        family: t.family,
        backend: t.backend,
        payload: fp.payload,
        beforeHash: sha256(fp.watchedBefore),
        afterHash: sha256(chainsText(after.ruleset, fp.watched)),
        before: fp.before.chains,
        after: t.before,
      });
    } catch (e) {
      errors.push(`IPv${t.family}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (errors.length) return { outcome: 'failed', error: errors.join('; '), families, ms: ms(t0) };
  return { outcome: changed ? 'rolled-back' : 'nothing-to-do', families, ms: ms(t0) };
}

export interface ApplyHooks {
  /** Called after the pending record and watchdog exist, before the first restore (tests kill the CLI here). */
  beforeRestore?: () => void | Promise<void>;
}

/** Apply a plan as one transaction. Throws ApplyError (code 1, 3 or 4) with nothing left changed. */
export async function applyPlan(plan: Plan, opts: ApplyOptions, hooks: ApplyHooks = {}): Promise<ApplyResult> {
  const tStart = performance.now();
  const id = newTxId();
  const netns = opts.netns ?? null;
  ensureStateDir(opts.stateDir);
  const release = await acquireLock(opts.stateDir);
  try {
    const journalBase = { id, netns, intent: plan.intent, summary: plan.summary };
    const baseFamilies = (): JournalFamily[] =>
      plan.families.map((f) => ({
        family: f.family,
        backend: f.backend,
        payload: f.payload,
        beforeHash: sha256(f.watchedBefore),
        afterHash: null,
        before: f.before.chains,
        after: f.after,
      }));

    const pending = readPending(opts.stateDir);
    if (pending) {
      const left = Math.max(0, Math.round((pending.deadline - Date.now()) / 1000));
      const msg = `transaction ${pending.id} awaits confirmation (rolled back in ${left} s): run \`portcullis confirm\` or \`portcullis rollback\` first`;
      appendJournal(opts.stateDir, { ...journalBase, event: 'apply', families: baseFamilies(), outcome: 'refused', error: msg });
      throw new ApplyError(msg, ACTION_EXIT.refused, id);
    }

    // 1. Stale check: the watched chains must read exactly as when the plan was made.
    const t1 = performance.now();
    for (const f of plan.families) {
      const ruleset = await readWatched(f.family, f.backend, f.watched, opts.netns);
      const now = chainsText(ruleset, f.watched);
      if (now !== f.watchedBefore) {
        const msg = `the rules changed since the plan was made (IPv${f.family} ${f.watched.join(', ')}); nothing applied: plan again`;
        appendJournal(opts.stateDir, { ...journalBase, event: 'apply', families: baseFamilies(), outcome: 'stale', error: msg });
        throw new ApplyError(msg, ACTION_EXIT.refused, id);
      }
    }
    const staleCheckMs = ms(t1);

    // 2. Arm the watchdog before touching anything.
    const timeout = opts.confirmTimeoutSec;
    const deadline = timeout > 0 ? Date.now() + timeout * 1000 : null;
    const pend: Pending = {
      v: 1,
      id,
      created: Date.now(),
      deadline: deadline ?? Date.now(),
      netns,
      summary: plan.summary,
      families: plan.families.map((f) => ({ family: f.family, backend: f.backend, before: f.before.chains, after: f.after })),
      watchdogPid: null,
    };
    let watchdogPid: number | null = null;
    if (deadline !== null) {
      writePending(opts.stateDir, pend);
      try {
        watchdogPid = launchWatchdog(opts.stateDir, id);
      } catch (e) {
        claimPending(opts.stateDir, id, 'failed');
        const msg = `could not start the rollback watchdog (${e instanceof Error ? e.message : String(e)}); nothing applied`;
        appendJournal(opts.stateDir, { ...journalBase, event: 'apply', families: baseFamilies(), outcome: 'failed', error: msg });
        throw new ApplyError(msg, ACTION_EXIT.failure, id);
      }
      writePending(opts.stateDir, { ...pend, watchdogPid });
    }
    await hooks.beforeRestore?.();

    // 3. One restore per family; a failure restores the families already done.
    const t3 = performance.now();
    const applied: typeof plan.families = [];
    let restoreMs = 0;
    for (const f of plan.families) {
      try {
        restoreMs += await restore(f.family, f.backend, f.payload, { netns: opts.netns });
        applied.push(f);
      } catch (e) {
        const err = e instanceof Error ? e.message : String(e);
        const back = await restoreOwned(
          applied.map((a) => ({ family: a.family, backend: a.backend, before: a.before.chains, after: a.after })),
          id,
          opts.netns,
        );
        if (deadline !== null) claimPending(opts.stateDir, id, 'failed');
        const msg =
          `IPv${f.family} restore failed, nothing of it applied: ${err}` +
          (applied.length ? (back.outcome === 'failed' ? `; putting back ${applied.map((a) => `IPv${a.family}`).join(', ')} FAILED: ${back.error}` : `; ${applied.map((a) => `IPv${a.family}`).join(', ')} put back`) : '');
        appendJournal(opts.stateDir, { ...journalBase, event: 'apply', families: baseFamilies(), outcome: 'failed', error: msg });
        throw new ApplyError(msg, ACTION_EXIT.failure, id);
      }
    }

    // 4. Verify: read back, compare the owned chains and jumps with the plan.
    const t4 = performance.now();
    const families = baseFamilies();
    const problems: string[] = [];
    for (const [i, f] of plan.families.entries()) {
      // One read per family serves both the check and the journal's hash.
      const v = await verifyFamily(f.family, f.backend, f.after, opts.netns, f.watched);
      if (!v.ok) problems.push(v.why);
      (families[i] as JournalFamily).afterHash = sha256(chainsText(v.ruleset, f.watched));
    }
    const verifyMs = ms(t4);
    if (problems.length) {
      const back = await restoreOwned(pend.families, id, opts.netns);
      if (deadline !== null) claimPending(opts.stateDir, id, 'failed');
      const msg = `the rules did not read back as planned (${problems.join('; ')}); ${back.outcome === 'failed' ? `putting the previous state back FAILED: ${back.error}` : 'the previous owned state was restored'}`;
      appendJournal(opts.stateDir, { ...journalBase, event: 'apply', families, outcome: 'verify-failed', error: msg });
      if (back.outcome !== 'failed') appendJournal(opts.stateDir, { id, netns, event: 'rollback', reason: 'verify-failed', outcome: back.outcome, families: back.families });
      throw new ApplyError(msg, back.outcome === 'failed' ? ACTION_EXIT.failure : ACTION_EXIT.verifyFailed, id);
    }
    const timings = {
      staleCheckMs,
      restoreMs: Math.round(restoreMs * 10) / 10,
      verifyMs,
      applyVerifyMs: ms(t3),
      totalMs: ms(tStart),
    };
    appendJournal(opts.stateDir, {
      ...journalBase,
      event: 'apply',
      families,
      outcome: 'applied',
      deadline: deadline === null ? null : new Date(deadline).toISOString(),
      timings,
    });
    if (deadline === null) appendJournal(opts.stateDir, { id, netns, event: 'confirm', outcome: 'confirmed', reason: 'no confirm window (--confirm-timeout 0)' });
    return { id, deadline, watchdogPid, timings, families };
  } finally {
    release();
  }
}

/** `portcullis confirm`: keep the pending change. */
export async function confirmPending(stateDir: string, netns?: string): Promise<Pending> {
  const release = await acquireLock(stateDir);
  try {
    const p = readPending(stateDir);
    if (!p) throw new ApplyError('nothing to confirm: no change is awaiting confirmation', ACTION_EXIT.refused);
    const taken = claimPending(stateDir, p.id, 'confirmed');
    if (!taken) throw new ApplyError(`transaction ${p.id} was rolled back or confirmed meanwhile`, ACTION_EXIT.refused, p.id);
    appendJournal(stateDir, { id: p.id, netns: netns ?? null, event: 'confirm', outcome: 'confirmed' });
    return taken;
  } finally {
    release();
  }
}

/** `portcullis rollback` (and the interactive "no"): restore the state before the pending change now. */
export async function rollbackPending(stateDir: string, reason: 'manual' | 'interactive', netns?: string): Promise<{ pending: Pending; result: RestoreOutcome }> {
  const release = await acquireLock(stateDir);
  try {
    const p = readPending(stateDir);
    if (!p) throw new ApplyError('nothing to roll back: no change is awaiting confirmation (use `portcullis undo` for a confirmed one)', ACTION_EXIT.refused);
    const taken = claimPending(stateDir, p.id, 'rolledback');
    if (!taken) throw new ApplyError(`transaction ${p.id} was rolled back or confirmed meanwhile`, ACTION_EXIT.refused, p.id);
    const result = await restoreOwned(taken.families, taken.id, netns ?? taken.netns ?? undefined);
    appendJournal(stateDir, {
      id: taken.id,
      netns: taken.netns,
      event: 'rollback',
      reason,
      outcome: result.outcome,
      families: result.families,
      ...(result.error ? { error: result.error } : {}),
      timings: { restoreMs: result.ms },
    });
    if (result.outcome === 'failed') throw new ApplyError(`rollback of ${taken.id} failed: ${result.error}`, ACTION_EXIT.failure, taken.id);
    return { pending: taken, result };
  } finally {
    release();
  }
}
