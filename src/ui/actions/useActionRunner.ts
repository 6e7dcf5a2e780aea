// Performs the dialog's jobs: when the flow reaches a busy step, its job
// runs once (planning, applying, confirming, rolling back, reading the
// journal, explaining) and its result goes back through the reducer. After
// anything that may have changed the firewall the host is read again at
// once. While a change awaits confirmation, a timer notices the deadline.
import { useEffect, useRef } from 'react';
import { explain, resolveExplain } from '../../core/explain/index.js';
import { explainText } from '../../core/explain/format.js';
import type { VerdictKind } from '../../core/explain/types.js';
import { isAnyAddr } from '../../core/net/addr.js';
import { planBlockProxy, planIcc, planLockdown, planWhitelist } from '../../core/plan/actions.js';
import type { PlanInput } from '../../core/plan/plan.js';
import { PlanError, type Plan } from '../../core/plan/types.js';
import { ACTION_EXIT, ApplyError } from '../../apply/transaction.js';
import { isRunError } from '../../host/runner.js';
import type { Sample } from '../data/sample.js';
import { useUiDispatch } from '../state/context.js';
import type { ActionsConfig } from './backend.js';
import type { Flow, Job, JobResult } from './types.js';

type Phase = Job['kind'];

const NOTHING = 'Nothing changed.';

function messageOf(e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e);
  if (isRunError(e) && e.stderrTail && !msg.includes(e.stderrTail)) msg = `${msg}: ${e.stderrTail}`;
  return msg;
}

/** A failure as the dialog shows it: the message, and plainly what state the firewall is in. */
export function errorResult(e: unknown, phase: Phase): Extract<JobResult, { kind: 'error' }> {
  const message = messageOf(e);
  if (e instanceof PlanError) return { kind: 'error', message, usage: e.kind === 'usage', note: NOTHING };
  if (e instanceof ApplyError) {
    if (phase === 'confirm') return { kind: 'error', message, usage: false, note: 'The change was not kept by this confirm: if its deadline passed, the watchdog restored the previous state.' };
    if (phase === 'rollback') return { kind: 'error', message, usage: false, note: 'The rollback did not complete: check the rules and `portcullis journal`.' };
    if (e.code === ACTION_EXIT.verifyFailed) return { kind: 'error', message, usage: false, note: 'The change did not read back as planned: the previous state was restored.' };
    if (/FAILED/.test(message)) return { kind: 'error', message, usage: false, note: 'Putting the previous state back FAILED: check the rules and `portcullis journal`.' };
    if (/ put back/.test(message)) return { kind: 'error', message, usage: false, note: 'The part already applied was put back: nothing changed.' };
    return { kind: 'error', message, usage: false, note: NOTHING };
  }
  if (phase === 'apply') {
    return { kind: 'error', message, usage: false, note: 'The outcome is not known: if anything was applied, the watchdog restores the previous state at the deadline (see `portcullis journal`).' };
  }
  if (phase === 'confirm' || phase === 'rollback') return { kind: 'error', message, usage: false, note: 'See `portcullis journal` for what happened.' };
  return { kind: 'error', message, usage: false, note: NOTHING };
}

const VERDICT_TONE: Record<VerdictKind, 'ok' | 'warn' | 'error'> = {
  delivered: 'ok',
  forwarded: 'ok',
  dropped: 'error',
  rejected: 'error',
  'no-listener': 'error',
  unreachable: 'error',
  undecidable: 'warn',
};
const RANK = { ok: 0, warn: 1, error: 2 } as const;

/** `8080/tcp`, or `198.51.100.1:9090/tcp` for a port bound to one address (resolveExplain's --dst). */
export function dstSpecOf(p: { hostIp: string; hostPort: number; proto: string }): string {
  if (isAnyAddr(p.hostIp)) return `${p.hostPort}/${p.proto}`;
  return `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}/${p.proto}`;
}

export interface JobEnv {
  config: ActionsConfig;
  /** The data the view shows: planning input when there is no backend, and explain's model. */
  sample: Sample | null;
}

function explainJob(job: Extract<Job, { kind: 'explain' }>, sample: Sample | null): JobResult {
  if (!sample) return { kind: 'error', message: 'no data read yet', usage: false, note: NOTHING };
  const model = sample.model;
  const p = model.published.find((x) => x.key === job.portKey);
  if (!p) return { kind: 'error', message: `port ${job.portKey} is not published any more`, usage: false, note: NOTHING };
  const resolved = resolveExplain(model, model.addresses, { src: job.src, dst: dstSpecOf(p), iface: job.iface });
  if ('error' in resolved) return { kind: 'error', message: resolved.error.replace(/^--src:? /, '').replace(/^--dst:? /, ''), usage: true, note: 'Try another address.' };
  if (resolved.length === 0) return { kind: 'error', message: `${job.src}: the port has no binding of that address family`, usage: true, note: 'Try another address.' };
  const host = { addresses: model.addresses, rulesets: model.rulesets };
  const lines: string[] = [];
  let tone: 'ok' | 'warn' | 'error' = 'ok';
  const verdicts: string[] = [];
  for (const r of resolved) {
    const res = explain(model, host, r.query);
    if (lines.length) lines.push('');
    lines.push(...explainText(res, r.label, { brief: true }).replace(/\n$/, '').split('\n'));
    const t = VERDICT_TONE[res.verdict.kind];
    if (RANK[t] > RANK[tone]) tone = t;
    verdicts.push(res.verdict.kind.toUpperCase().replace('-', ' '));
  }
  return { kind: 'explain', title: `${job.src}${job.iface ? ` (in on ${job.iface})` : ''} → ${resolved[0]?.label ?? ''}: ${[...new Set(verdicts)].join(' / ')}`, verdict: tone, lines };
}

async function planOf(job: Extract<Job, { kind: 'plan' }>, env: JobEnv): Promise<Plan> {
  const { backend, previewOnly } = env.config;
  const intent = job.intent;
  if (intent.kind === 'undo') {
    if (!backend) throw new PlanError('refused', previewOnly ?? 'nothing can be undone here');
    return backend.undoPlan(intent.tx);
  }
  let input: PlanInput;
  if (backend) input = await backend.load();
  else if (env.sample) input = { model: env.sample.model, rulesets: env.sample.rulesets };
  else throw new PlanError('refused', 'no data read yet');
  switch (intent.kind) {
    case 'whitelist': return planWhitelist(input, intent);
    case 'proxy': return planBlockProxy(input, intent);
    case 'lockdown': return planLockdown(input, intent);
    case 'icc': {
      const plan = planIcc(input, intent);
      // As the CLI: a DROP the kernel would never consult is worse than nothing.
      const dropping = plan.families.filter((fp) => (fp.after['PORTCULLIS-FWD'] ?? []).some((r) => r.includes(`portcullis:icc:${intent.bridge}"`) && r.endsWith('-j DROP')));
      if (dropping.length && backend) await backend.checkIcc(dropping.map((fp) => fp.family));
      return plan;
    }
    case 'rollback':
      throw new PlanError('refused', 'rollback is not a dialog action');
  }
}

/** Run one job to its result; never throws. */
export async function runJob(job: Job, env: JobEnv): Promise<JobResult> {
  const { backend, previewOnly, confirmTimeoutSec } = env.config;
  const noHost = (what: string): JobResult => ({ kind: 'error', message: `${what}: ${previewOnly ?? 'no host to change'}`, usage: false, note: NOTHING });
  try {
    switch (job.kind) {
      case 'plan':
        return { kind: 'plan', plan: await planOf(job, env) };
      case 'journal': {
        if (!backend) return noHost('undo');
        const list = await backend.undoable();
        return { kind: 'journal', options: list.map((u) => ({ id: u.id, label: `${u.id}  ${u.time.slice(0, 19).replace('T', ' ')}  ${u.summary}` })) };
      }
      case 'apply': {
        if (!backend) return noHost('not applied');
        const r = await backend.apply(job.plan, confirmTimeoutSec);
        return { kind: 'apply', id: r.id, deadline: r.deadline };
      }
      case 'confirm':
        if (!backend) return noHost('confirm');
        await backend.confirm(job.tx);
        return { kind: 'confirm' };
      case 'rollback': {
        if (!backend) return noHost('rollback');
        const r = await backend.rollback(job.tx);
        return { kind: 'rollback', outcome: r.outcome, ms: r.ms };
      }
      case 'explain':
        return explainJob(job, env.sample);
    }
  } catch (e) {
    return errorResult(e, job.kind);
  }
}

const CHANGES: ReadonlySet<Phase> = new Set(['apply', 'confirm', 'rollback']);

export function useActionRunner(flow: Flow | null, env: JobEnv, refreshNow: () => void): void {
  const dispatch = useUiDispatch();
  const started = useRef(new WeakSet<Job>());
  const envRef = useRef(env);
  envRef.current = env;
  const refreshRef = useRef(refreshNow);
  refreshRef.current = refreshNow;
  const alive = useRef(true);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    alive.current = true;
    const set = timers.current;
    return () => {
      alive.current = false;
      for (const t of set) clearTimeout(t);
      set.clear();
    };
  }, []);
  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.current.delete(t);
      if (alive.current) fn();
    }, ms);
    timers.current.add(t);
    return t;
  };

  const step = flow?.step ?? null;
  useEffect(() => {
    if (!step || step.step !== 'busy' || started.current.has(step.job)) return;
    const job = step.job;
    started.current.add(job);
    void runJob(job, envRef.current).then((result) => {
      if (!alive.current) return;
      dispatch({ type: 'flowResult', job, result });
      if (CHANGES.has(job.kind)) refreshRef.current();
    });
  }, [step, dispatch]);

  useEffect(() => {
    if (!step || step.step !== 'pending') return;
    const { tx, deadline } = step;
    // A little after the deadline: the watchdog claims the change, then restores it.
    const t = later(() => {
      dispatch({ type: 'flowExpired', tx });
      refreshRef.current();
      later(() => refreshRef.current(), 2000);
    }, Math.max(0, deadline - Date.now()) + 300);
    return () => {
      clearTimeout(t);
      timers.current.delete(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, dispatch]);
}
