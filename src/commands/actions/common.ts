// Shared flow of every action subcommand: read the host, plan, preview (diff
// + one-line summary), ask, apply as one transaction, then confirm or roll
// back. Exit codes: 0 ok, 1 failure, 2 usage, 3 refused (stale model, a
// change awaiting confirmation, an action that does not apply here; nothing
// changed), 4 verify failed and the previous state was restored.
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { buildSnapshot } from '../../core/snapshot.js';
import { buildModel } from '../../core/model/build.js';
import type { HostModel } from '../../core/model/types.js';
import type { Family, Ruleset } from '../../core/types.js';
import { backendFor, type PlanInput } from '../../core/plan/plan.js';
import { PlanError, type Plan } from '../../core/plan/types.js';
import { readFilter } from '../../apply/host.js';
import { claimedAs, stateDirFor } from '../../apply/state.js';
import { ACTION_EXIT, ApplyError, applyPlan, confirmPending, rollbackPending, type ApplyResult } from '../../apply/transaction.js';
import { isRunError } from '../../host/runner.js';
import { readLive } from '../../host/live-source.js';
import { UsageError } from '../errors.js';
import { validateSourceFlags } from '../source.js';

export { ACTION_EXIT };

export interface CommonFlags {
  netns?: string;
  dockerHost?: string;
  stateDir?: string;
  json?: boolean;
}

export interface ActionFlags extends CommonFlags {
  dryRun?: boolean;
  confirmTimeout?: string;
  yes?: boolean;
  wait?: boolean;
}

export const DEFAULT_CONFIRM_TIMEOUT_SEC = 60;

export function addCommonOptions(cmd: Command, o: { docker?: boolean } = {}): Command {
  cmd.addOption(new Option('--netns <name>', 'act inside this network namespace (ip netns exec NAME)'));
  if (o.docker !== false) {
    cmd.addOption(new Option('--docker-host <url>', 'Docker Engine API socket (unix:///path or a path)').env('DOCKER_HOST'));
  }
  cmd.addOption(new Option('--state-dir <dir>', 'journal and pending state (default $PORTCULLIS_STATE_DIR or /var/lib/portcullis; per --netns: DIR/netns-NAME)'));
  cmd.addOption(new Option('--json', 'machine-readable output'));
  return cmd;
}

export function addActionOptions(cmd: Command): Command {
  addCommonOptions(cmd);
  cmd.addOption(new Option('--dry-run', 'print the preview (diff + summary) and change nothing'));
  cmd.addOption(new Option('--confirm-timeout <seconds>', `roll back unless confirmed within this many seconds (0: no rollback window)`).default(String(DEFAULT_CONFIRM_TIMEOUT_SEC)));
  cmd.addOption(new Option('--yes', 'apply without asking (required when stdin is not a terminal)'));
  cmd.addOption(new Option('--wait', 'after applying, wait until the change is confirmed or rolled back and report which'));
  return cmd;
}

export function stateDirOf(f: CommonFlags): string {
  if (f.stateDir !== undefined && f.stateDir.trim() === '') throw new UsageError('--state-dir: empty path');
  return stateDirFor({ stateDir: f.stateDir, netns: f.netns });
}

export function parseTimeout(v: string | undefined): number {
  const text = v ?? String(DEFAULT_CONFIRM_TIMEOUT_SEC);
  if (!/^\d{1,6}$/.test(text) || Number(text) > 86_400) {
    throw new UsageError(`--confirm-timeout ${JSON.stringify(text)}: whole seconds from 0 to 86400`);
  }
  return Number(text);
}

export function parsePortArg(v: string | undefined, arg = '--port'): number {
  if (v === undefined) throw new UsageError(`${arg} is required`);
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`${arg} ${JSON.stringify(v)}: a port is a whole number from 1 to 65535`);
  return Number(v);
}

export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

// ---------------------------------------------------------------- reading

export interface Loaded {
  input: PlanInput;
  model: HostModel;
}

/**
 * The live host (inside --netns): the full model, plus each family's filter
 * table read again with the exact command the apply step uses, so the
 * stale check compares like with like.
 */
export async function loadHost(f: CommonFlags): Promise<Loaded> {
  validateSourceFlags({ netns: f.netns, dockerHost: f.dockerHost });
  const raw = await readLive({ netns: f.netns, dockerHost: f.dockerHost });
  const snap = buildSnapshot(raw);
  const model = buildModel(snap);
  const rulesets: Ruleset[] = [];
  for (const family of [4, 6] as Family[]) {
    const backend = backendFor(model, snap.rulesets, family);
    try {
      rulesets.push((await readFilter(family, backend, { netns: f.netns })).ruleset);
    } catch (e) {
      if (family === 4) throw e;
      // No usable ip6tables: plans leave IPv6 alone (a v6 payload would fail loudly at apply).
    }
  }
  return { input: { model, rulesets }, model };
}

// ---------------------------------------------------------------- output

function out(s: string): void {
  process.stdout.write(s);
}
function err(s: string): void {
  process.stderr.write(s);
}

export function planJson(plan: Plan): unknown {
  return {
    intent: plan.intent,
    summary: plan.summary,
    details: plan.details,
    warnings: plan.warnings,
    changed: plan.changed,
    families: plan.families.map((f) => ({
      family: f.family,
      backend: f.backend,
      fwdParent: f.fwdParent,
      diff: f.diff,
      payload: f.payload,
      watched: f.watched,
    })),
  };
}

export function previewText(plan: Plan): string {
  let s = `${plan.summary}\n`;
  for (const d of plan.details) s += `  ${d}\n`;
  for (const w of plan.warnings) s += `  warning: ${w}\n`;
  for (const f of plan.families) s += `\n${f.diff.replace(/^=+\n/, '')}`;
  return s;
}

async function ask(question: string, timeoutMs?: number): Promise<string | null> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const ac = new AbortController();
  const t = timeoutMs ? setTimeout(() => ac.abort(), timeoutMs) : null;
  try {
    return (await rl.question(question, { signal: ac.signal })).trim();
  } catch {
    return null;
  } finally {
    if (t) clearTimeout(t);
    rl.close();
  }
}

const interactive = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

async function waitOutcome(stateDir: string, id: string, deadline: number): Promise<string> {
  const until = deadline + 30_000;
  while (Date.now() < until) {
    const how = claimedAs(stateDir, id);
    if (how) return how;
    await new Promise((r) => setTimeout(r, 200));
  }
  return 'unknown';
}

// ---------------------------------------------------------------- the flow

export interface RunOptions {
  /** The word the operator must type before applying (lockdown: LOCKDOWN); default y/yes. */
  typedWord?: string;
}

export async function runPlanned(f: ActionFlags, makePlan: () => Promise<Plan>, o: RunOptions = {}): Promise<void> {
  const timeout = parseTimeout(f.confirmTimeout);
  const stateDir = stateDirOf(f);
  const plan = await makePlan();
  const json: Record<string, unknown> = { plan: planJson(plan), dryRun: f.dryRun === true };

  if (!f.json) out(previewText(plan));
  if (!plan.changed) {
    if (f.json) out(`${JSON.stringify({ ...json, outcome: 'nothing-to-do' }, null, 2)}\n`);
    else out('\nnothing to change: the rules already say this\n');
    return;
  }
  if (f.dryRun) {
    if (f.json) out(`${JSON.stringify({ ...json, outcome: 'dry-run' }, null, 2)}\n`);
    else out('\n(dry run: nothing changed)\n');
    return;
  }
  if (!f.yes) {
    if (!interactive()) throw new UsageError('refusing to change the firewall without --yes (stdin is not a terminal); nothing changed');
    const word = o.typedWord;
    const answer = await ask(word ? `\nType ${word} to apply: ` : '\nApply this change? [y/N] ');
    const ok = word ? answer === word : /^(y|yes)$/i.test(answer ?? '');
    if (!ok) {
      err('not applied\n');
      process.exitCode = ACTION_EXIT.refused;
      return;
    }
  }
  const res: ApplyResult = await applyPlan(plan, { netns: f.netns, stateDir, confirmTimeoutSec: timeout });
  json.applied = { id: res.id, deadline: res.deadline === null ? null : new Date(res.deadline).toISOString(), watchdogPid: res.watchdogPid, timings: res.timings };
  const t = res.timings;
  const ns = f.netns ? ` --netns ${f.netns}` : '';
  if (!f.json) {
    out(`\napplied ${res.id} (restore ${t.restoreMs} ms, verify ${t.verifyMs} ms, apply+verify ${t.applyVerifyMs} ms)\n`);
    if (res.deadline !== null) {
      out(`rolled back at ${clock(res.deadline)} (in ${timeout} s) unless confirmed: portcullis confirm${ns}\n`);
    } else out('confirmed at once (--confirm-timeout 0)\n');
  }
  let outcome = res.deadline === null ? 'confirmed' : 'pending';
  if (res.deadline !== null && !f.yes && interactive()) {
    const left = res.deadline - Date.now();
    const answer = await ask(`Keep this change? Type yes within ${Math.round(left / 1000)} s (anything else rolls back now): `, left);
    if (answer === 'yes') {
      await confirmPending(stateDir, f.netns);
      outcome = 'confirmed';
      if (!f.json) out('confirmed: the change stays\n');
    } else if (answer !== null) {
      const r = await rollbackPending(stateDir, 'interactive', f.netns);
      outcome = r.result.outcome === 'failed' ? 'rollback-failed' : 'rolled-back';
      if (!f.json) out(`rolled back (${r.result.ms} ms)\n`);
    } else {
      if (!f.json) out('no answer: the watchdog restores the previous state at the deadline\n');
      outcome = await waitOutcome(stateDir, res.id, res.deadline);
    }
  } else if (res.deadline !== null && f.wait) {
    if (!f.json) out('waiting for confirm or the deadline...\n');
    const how = await waitOutcome(stateDir, res.id, res.deadline);
    outcome = how === 'expired' || how === 'rolledback' ? 'rolled-back' : how;
    if (!f.json) out(`${outcome}\n`);
  }
  json.outcome = outcome;
  if (f.json) out(`${JSON.stringify(json, null, 2)}\n`);
  if (f.wait && outcome === 'rolled-back') process.exitCode = ACTION_EXIT.failure;
}

// ---------------------------------------------------------------- errors

/** Wrap an action handler: map every error to its exit code and a message naming what is wrong. */
export function handled<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      let code: number = ACTION_EXIT.failure;
      let msg = e instanceof Error ? e.message : String(e);
      if (e instanceof PlanError) code = e.kind === 'usage' ? ACTION_EXIT.usage : ACTION_EXIT.refused;
      else if (e instanceof UsageError) code = ACTION_EXIT.usage;
      else if (e instanceof ApplyError) code = e.code;
      else if (e instanceof RangeError) code = ACTION_EXIT.usage;
      else if (isRunError(e)) msg = e.stderrTail && !msg.includes(e.stderrTail) ? `${msg}\n${e.stderrTail}` : msg;
      const opts = (args.find((a) => a && typeof a === 'object' && !Array.isArray(a) && 'json' in (a as object)) ?? {}) as { json?: boolean };
      if (opts.json) process.stdout.write(`${JSON.stringify({ error: { message: msg, exitCode: code } }, null, 2)}\n`);
      process.stderr.write(`portcullis: ${msg}\n`);
      process.exit(code);
    }
  };
}
