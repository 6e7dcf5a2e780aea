// The action dialog's logic, pure: opening a dialog from what the view
// points at (startFlow), and moving it on for a key or a job's result
// (flowReducer). Input is validated with the same core functions the CLI's
// plans use (parseAddr for sources, resolveBinding for the port), so the
// dialog and `portcullis whitelist --allow` refuse the same things with
// the same words.
import type { HostModel, PublishedPort } from '../../core/model/types.js';
import { iccImpact } from '../../core/plan/actions.js';
import { sectionsOf } from '../../core/plan/owned.js';
import { contextsOf } from '../../core/plan/plan.js';
import { parseAddr } from '../../core/plan/rules.js';
import { resolveBinding, type Binding } from '../../core/plan/select.js';
import { PlanError, type Intent, type PortSelector } from '../../core/plan/types.js';
import { whitelistSources } from '../../core/plan/actions.js';
import { bridgeNetfilter } from '../../core/parse/sysctl.js';
import { hostPort } from '../present/format.js';
import { cell, type Cell } from '../present/rows.js';
import { LOCKDOWN_WORD, type Flow, type FlowKind, type FlowPort, type FlowStep, type Job, type JobResult } from './types.js';

/** What the view points at when an action key is pressed. */
export interface FlowContext {
  model: HostModel | null;
  /** The published port (overview cursor, the detail's port, a finding's port). */
  portKey: string | null;
  /** A bridge when no port is pointed at (a finding about a bridge). */
  bridge: string | null;
  /** The operator's SSH client (SSH_CONNECTION), exempted by lockdown. */
  ssh: string | null;
}

export type FlowAction =
  | { type: 'flowInput'; text: string }
  | { type: 'flowDelete' }
  | { type: 'flowAccept' }
  | { type: 'flowCancel' }
  /** Choices: move the selection; previews and results: scroll (max: the last useful scroll). */
  | { type: 'flowMove'; delta: number; max: number }
  | { type: 'flowKeep' }
  | { type: 'flowRollback' }
  /** A job finished; ignored unless the dialog still waits for that very job. */
  | { type: 'flowResult'; job: Job; result: JobResult }
  /** The rollback deadline of the pending change passed without confirmation. */
  | { type: 'flowExpired'; tx: string };

export interface FlowOutcome {
  /** null: the dialog closes. */
  flow: Flow | null;
  message?: { text: string; tone: 'info' | 'warn' | 'error' };
}

export const portLabel = (p: Pick<PublishedPort, 'hostIp' | 'hostPort' | 'proto' | 'container'>) => `${hostPort(p.hostIp, p.hostPort)}/${p.proto} (${p.container ?? '?'})`;

function flowPort(p: PublishedPort): FlowPort {
  return { key: p.key, label: portLabel(p), hostIp: p.hostIp, hostPort: p.hostPort, proto: p.proto, container: p.container, bridge: p.bridge };
}

/** The CLI's --port/--proto/--host-ip/--container for this port. */
export function selectorOf(p: FlowPort): PortSelector {
  return { port: p.hostPort, proto: p.proto, hostIp: p.hostIp, ...(p.container ? { container: p.container } : {}) };
}

/** Sections of what Portcullis owns now, over both families, from the rules read last. */
function ownedSections(model: HostModel) {
  const out = contextsOf({ model, rulesets: model.rulesets });
  return { contexts: out, has: (key: string) => out.some((c) => sectionsOf(c.state.chains).has(key)) };
}

const text = (field: 'allow' | 'word' | 'src', prompt: string, hint: string, value = ''): FlowStep => ({ step: 'text', field, prompt, hint, text: value, error: null });

type Start = { flow: Flow } | { message: string };

function base(kind: FlowKind, title: string, step: FlowStep, over: Partial<Flow> = {}): Flow {
  return { kind, title, port: null, bridge: null, info: [], current: [], ssh: null, plan: null, input: step.step === 'busy' ? null : step, step, ...over };
}

function needPort(ctx: FlowContext, what: string): { model: HostModel; p: PublishedPort } | string {
  if (!ctx.model) return `${what}: no data read yet`;
  const p = ctx.portKey ? ctx.model.published.find((x) => x.key === ctx.portKey) : undefined;
  if (!p) return `${what}: select a published port first (overview 1, or a finding about a port)`;
  return { model: ctx.model, p };
}

function bindingOf(model: HostModel, p: PublishedPort): Binding | string {
  try {
    return resolveBinding(model, selectorOf(flowPort(p)));
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Open the dialog of an action for what the view points at, or say why it cannot open. */
export function startFlow(kind: FlowKind, ctx: FlowContext): Start {
  switch (kind) {
    case 'whitelist': {
      const r = needPort(ctx, 'whitelist');
      if (typeof r === 'string') return { message: r };
      const b = bindingOf(r.model, r.p);
      if (typeof b === 'string') return { message: `whitelist: ${b}` };
      const own = ownedSections(r.model);
      const current = [...new Set(own.contexts.flatMap((c) => whitelistSources(c.state.chains, b.id)))];
      const info: Cell[] = [
        cell(`new connections forwarded to ${r.p.containerIp ? hostPort(r.p.containerIp, r.p.containerPort) : '?'} on ${r.p.bridge ?? '?'}: only from these sources; others dropped`, 'text'),
        cell(current.length ? `allowed now: ${current.join(', ')}` : 'allowed now: every source (no whitelist)', 'muted'),
        cell('established flows and containers on the same bridge are not affected', 'muted'),
      ];
      if (b.ports.some((x) => x.proxy)) info.push(cell('docker-proxy also listens on this port: traffic reaching it through INPUT bypasses a whitelist (see b)', 'status.warn'));
      const step = text('allow', 'Allowed sources (addresses or CIDRs):', 'space or comma separated; replaces the current list; empty removes the restriction', current.join(' '));
      return { flow: base('whitelist', `Whitelist ${b.label}`, step, { port: flowPort(r.p), bridge: r.p.bridge, info, current }) };
    }
    case 'block-proxy': {
      const r = needPort(ctx, 'block-proxy');
      if (typeof r === 'string') return { message: r };
      const b = bindingOf(r.model, r.p);
      if (typeof b === 'string') return { message: `block-proxy: ${b}` };
      const own = ownedSections(r.model);
      const proxies = b.ports.filter((x) => x.proxy);
      const info: Cell[] = [
        proxies.length
          ? cell(`docker-proxy listens for ${b.label}${proxies[0]?.proxyPid ? ` (pid ${proxies[0].proxyPid})` : ''}: new connections reaching it through INPUT get dropped`, 'text')
          : cell(`no docker-proxy listens for ${b.label}: there is no INPUT path to block (the plan will say so)`, 'status.warn'),
        cell('forwarded (DNAT) traffic and containers are not affected; whitelisted sources stay allowed', 'muted'),
      ];
      const options = [
        { id: 'ext', label: 'block external interfaces (loopback stays allowed)' },
        { id: 'lo', label: 'block loopback too (127.0.0.1 / ::1 on the host)' },
      ];
      if (own.has(`proxy:${b.id}`)) options.push({ id: 'off', label: 'remove the block' });
      const step: FlowStep = { step: 'choose', field: 'proxy', prompt: 'Block which connections to docker-proxy?', options, index: 0, error: null };
      return { flow: base('block-proxy', `Block docker-proxy input: ${b.label}`, step, { port: flowPort(r.p), bridge: r.p.bridge, info }) };
    }
    case 'icc': {
      if (!ctx.model) return { message: 'icc: no data read yet' };
      const model = ctx.model;
      const p = ctx.portKey ? model.published.find((x) => x.key === ctx.portKey) : undefined;
      const name = p?.bridge ?? ctx.bridge;
      if (!name) return { message: p ? `icc: the bridge of ${portLabel(p)} is unknown` : 'icc: select a published port (its bridge) or a finding about a bridge first' };
      const br = model.bridges.find((x) => x.name === name);
      if (!br) return { message: `icc: ${name} is not a Docker bridge the model knows` };
      const own = ownedSections(model);
      const override = own.contexts
        .flatMap((c) => [...(sectionsOf(c.state.chains).get(`icc:${name}`)?.values() ?? [])].flat())
        .find((t) => t.endsWith('-j DROP') || t.endsWith('-j ACCEPT'));
      const docker = br.icc;
      const effective = override ? override.endsWith('-j ACCEPT') : (docker ?? true);
      const impact = iccImpact(model, name);
      const brnf = bridgeNetfilter(model.sysctls, 4);
      const info: Cell[] = [
        cell(`ICC now: ${effective ? 'on' : 'off'}${override ? ' (Portcullis override)' : ''}; Docker's setting: ${docker === null ? 'unknown' : docker ? 'on' : 'off'}`, 'text'),
        cell(`running containers on ${name}: ${impact.containers.length ? impact.containers.join(', ') : 'none'}`, 'muted'),
        cell(
          impact.flows.length ? `live flows between them that "off" cuts (${impact.flows.length}): ${impact.flows.slice(0, 6).join('; ')}${impact.flows.length > 6 ? '; ...' : ''}` : 'live flows between them: none seen in conntrack',
          impact.flows.length ? 'status.warn' : 'muted',
        ),
        brnf === true
          ? cell('br_netfilter: bridge-nf-call-iptables = 1, so a rule on the bridge sees container-to-container traffic', 'status.ok')
          : brnf === false
            ? cell('br_netfilter: not loaded or bridge-nf-call-iptables is not 1: an ICC rule would do nothing, so "off" is refused', 'status.error')
            : cell('br_netfilter: not read with the rules; checked in the namespace before "off" is applied', 'muted'),
      ];
      const off = { id: 'off', label: `off: containers on ${name} cannot reach each other` };
      const on = { id: 'on', label: `on: containers on ${name} may reach each other` };
      const step: FlowStep = { step: 'choose', field: 'icc', prompt: `ICC on ${name}${br.network ? ` (network ${br.network})` : ''}:`, options: effective ? [off, on] : [on, off], index: 0, error: null };
      return { flow: base('icc', `ICC on ${name}${br.network ? ` (${br.network})` : ''}`, step, { port: p ? flowPort(p) : null, bridge: name, info }) };
    }
    case 'lockdown': {
      if (!ctx.model) return { message: 'lockdown: no data read yet' };
      const own = ownedSections(ctx.model);
      const n = ctx.model.published.length;
      const info: Cell[] = [
        cell(`drops new inbound connections to every published port (${n} now) on the forwarded and docker-proxy paths`, 'status.warn'),
        cell('established flows, loopback, container-to-container traffic and container egress are not affected', 'muted'),
        ctx.ssh ? cell(`your SSH client ${ctx.ssh} (SSH_CONNECTION) stays allowed`, 'muted') : cell('SSH_CONNECTION is not set: no session address is exempted (established sessions are kept)', 'status.warn'),
      ];
      const allow = text('allow', 'Sources still allowed (optional):', `addresses or CIDRs, space or comma separated; then you type ${LOCKDOWN_WORD} to apply`);
      if (own.has('lockdown')) {
        const step: FlowStep = {
          step: 'choose',
          field: 'lockdown',
          prompt: 'A lockdown is in force:',
          options: [
            { id: 'off', label: 'lift it (the other Portcullis rules stay)' },
            { id: 'again', label: 'lock down again with a new allowlist' },
          ],
          index: 0,
          error: null,
        };
        return { flow: base('lockdown', 'Lockdown', step, { info, ssh: ctx.ssh }) };
      }
      return { flow: base('lockdown', 'Lockdown', allow, { info, ssh: ctx.ssh }) };
    }
    case 'undo': {
      const job: Job = { kind: 'journal' };
      return { flow: base('undo', 'Undo a confirmed change', { step: 'busy', job, what: 'reading the journal' }) };
    }
    case 'explain': {
      const r = needPort(ctx, 'explain');
      if (typeof r === 'string') return { message: r };
      const info: Cell[] = [cell('walks the first packet of a new connection through the rules read last, in kernel order, with the verdict', 'muted')];
      const step = text('src', 'Client address [interface]:', 'e.g. 198.51.100.10, or 198.51.100.10 ext0; esc cancels');
      return { flow: base('explain', `Explain a client of ${portLabel(r.p)}`, step, { port: flowPort(r.p), bridge: r.p.bridge, info }) };
    }
  }
}

// ---------------------------------------------------------------- input

/** Split a list of sources and check each with the planner's own parser; errors name the source. */
export function parseSources(textIn: string): { sources: string[]; errors: string[] } {
  const sources = textIn.split(/[\s,]+/).filter(Boolean);
  const errors: string[] = [];
  for (const s of sources) {
    try {
      parseAddr(s, 'source');
    } catch (e) {
      errors.push(e instanceof PlanError ? e.message : String(e));
    }
  }
  return { sources, errors };
}

const IFACE_RE = /^[A-Za-z0-9_.:@+-]{1,15}$/;

function busy(f: Flow, job: Job, what: string): Flow {
  return { ...f, step: { step: 'busy', job, what } };
}

function withError(f: Flow, step: FlowStep, error: string): Flow {
  if (step.step === 'text') return { ...f, step: { ...step, error } };
  if (step.step === 'choose') return { ...f, step: { ...step, error } };
  return f;
}

function planJob(f: Flow, intent: Intent): Flow {
  return busy({ ...f, input: f.step }, { kind: 'plan', intent }, 'reading the host and planning');
}

function acceptText(f: Flow, step: Extract<FlowStep, { step: 'text' }>): FlowOutcome {
  const t = step.text.trim();
  switch (step.field) {
    case 'allow': {
      const { sources, errors } = parseSources(t);
      if (errors.length) return { flow: withError(f, step, `${errors.join('; ')}; nothing applied`) };
      if (f.kind === 'whitelist') {
        if (!f.port) return { flow: null };
        if (sources.length === 0 && f.current.length === 0) return { flow: withError(f, step, 'type at least one address or CIDR (esc cancels)') };
        return { flow: planJob(f, { kind: 'whitelist', port: selectorOf(f.port), allow: sources }) };
      }
      return { flow: planJob(f, { kind: 'lockdown', allow: sources, off: false, ssh: f.ssh }) };
    }
    case 'word': {
      if (step.text !== LOCKDOWN_WORD) {
        const said = step.text === '' ? 'nothing typed' : `"${step.text}" is not ${LOCKDOWN_WORD}`;
        return { flow: { ...f, step: { ...step, text: '', error: `${said}: not applied. Type ${LOCKDOWN_WORD} (capitals) to apply, esc cancels` } } };
      }
      if (!f.plan) return { flow: null };
      return { flow: busy(f, { kind: 'apply', plan: f.plan }, 'applying') };
    }
    case 'src': {
      const [src, iface, extra] = t.split(/\s+/).filter(Boolean);
      if (!src) return { flow: withError(f, step, 'type the client address, e.g. 198.51.100.10') };
      if (extra !== undefined) return { flow: withError(f, step, `"${t}": an address and at most one interface name`) };
      if (iface !== undefined && !IFACE_RE.test(iface)) return { flow: withError(f, step, `"${iface}" is not an interface name`) };
      // The planner's strict parser: dotted quads only (no "10.1" shorthand), one address, not a network.
      try {
        parseAddr(src, 'client');
      } catch (e) {
        return { flow: withError(f, step, e instanceof Error ? e.message : String(e)) };
      }
      if (src.includes('/')) return { flow: withError(f, step, `client "${src}": one address, not a network`) };
      if (!f.port) return { flow: null };
      return { flow: busy({ ...f, input: step }, { kind: 'explain', portKey: f.port.key, src, iface: iface ?? null }, 'walking the rules') };
    }
  }
}

function acceptChoice(f: Flow, step: Extract<FlowStep, { step: 'choose' }>): FlowOutcome {
  const opt = step.options[step.index];
  if (!opt) return { flow: f };
  switch (step.field) {
    case 'proxy':
      if (!f.port) return { flow: null };
      return { flow: planJob(f, { kind: 'proxy', port: selectorOf(f.port), loopback: opt.id === 'lo', off: opt.id === 'off' }) };
    case 'icc':
      if (!f.bridge) return { flow: null };
      return { flow: planJob(f, { kind: 'icc', bridge: f.bridge, enabled: opt.id === 'on' }) };
    case 'tx':
      return { flow: planJob(f, { kind: 'undo', tx: opt.id }) };
    case 'lockdown':
      if (opt.id === 'off') return { flow: planJob(f, { kind: 'lockdown', allow: [], off: true, ssh: f.ssh }) };
      return { flow: { ...f, step: text('allow', 'Sources still allowed (optional):', `addresses or CIDRs, space or comma separated; then you type ${LOCKDOWN_WORD} to apply`) } };
  }
}

const clampScroll = (v: number, max: number) => Math.max(0, Math.min(v, Math.max(0, max)));

function result(f: Flow, tone: 'ok' | 'warn' | 'error', title: string, lines: string[]): Flow {
  return { ...f, step: { step: 'result', tone, title, lines, scroll: 0 } };
}

function onResult(f: Flow, r: JobResult): FlowOutcome {
  switch (r.kind) {
    case 'plan':
      return { flow: { ...f, plan: r.plan, step: { step: 'preview', scroll: 0 } } };
    case 'journal':
      if (r.options.length === 0) return { flow: result(f, 'warn', 'Nothing to undo', ['no confirmed transaction that is not undone already']) };
      return { flow: { ...f, input: null, step: { step: 'choose', field: 'tx', prompt: 'Undo which change? (newest first)', options: r.options, index: 0, error: null } } };
    case 'apply': {
      const summary = f.plan?.summary ?? '';
      if (r.deadline === null) return { flow: result(f, 'ok', `Applied and kept: ${r.id}`, [summary, 'no rollback window (confirm timeout 0)']), message: { text: `applied ${r.id}`, tone: 'info' } };
      return { flow: { ...f, step: { step: 'pending', tx: r.id, deadline: r.deadline } } };
    }
    case 'confirm': {
      const tx = f.step.step === 'busy' && f.step.job.kind === 'confirm' ? f.step.job.tx : '';
      return { flow: result(f, 'ok', `Kept: ${tx}`, [f.plan?.summary ?? '', 'confirmed: the change stays (undo it later with u)']), message: { text: `confirmed ${tx}: the change stays`, tone: 'info' } };
    }
    case 'rollback': {
      const tx = f.step.step === 'busy' && f.step.job.kind === 'rollback' ? f.step.job.tx : '';
      const line = r.outcome === 'nothing-to-do' ? 'nothing needed restoring' : `the previous state is restored (${r.ms} ms)`;
      return { flow: result(f, 'ok', `Rolled back: ${tx}`, [line]), message: { text: `rolled back ${tx}`, tone: 'info' } };
    }
    case 'explain':
      return { flow: result(f, r.verdict, r.title, r.lines) };
    case 'error': {
      if (r.usage && f.input) return { flow: withError({ ...f, step: f.input }, f.input, `${r.message}; ${r.note.toLowerCase()}`) };
      return { flow: result(f, 'error', `${f.title}: failed`, [r.message, r.note]) };
    }
  }
}

/** The dialog after a key or a job's result; `flow: null` closes it. */
export function flowReducer(f: Flow, a: FlowAction): FlowOutcome {
  const s = f.step;
  switch (a.type) {
    case 'flowInput': {
      if (s.step !== 'text') return { flow: f };
      const t = a.text.replace(/[\u0000-\u001f\u007f]/g, '');
      if (!t) return { flow: f };
      return { flow: { ...f, step: { ...s, text: (s.text + t).slice(0, 400) } } };
    }
    case 'flowDelete':
      if (s.step !== 'text') return { flow: f };
      return { flow: { ...f, step: { ...s, text: s.text.slice(0, -1) } } };
    case 'flowAccept':
      switch (s.step) {
        case 'text': return acceptText(f, s);
        case 'choose': return acceptChoice(f, s);
        case 'preview': {
          if (!f.plan || !f.plan.changed) return { flow: null, message: { text: 'nothing to change: the rules already say this', tone: 'info' } };
          if (f.kind === 'lockdown' && f.plan.intent.kind === 'lockdown' && !f.plan.intent.off) {
            return { flow: { ...f, step: text('word', `Type ${LOCKDOWN_WORD} to apply:`, 'anything else refuses; esc cancels') } };
          }
          return { flow: busy(f, { kind: 'apply', plan: f.plan }, 'applying') };
        }
        case 'pending': return flowReducer(f, { type: 'flowKeep' });
        case 'result': return { flow: null };
        case 'busy': return { flow: f };
      }
      return { flow: f };
    case 'flowCancel':
      switch (s.step) {
        case 'text':
        case 'choose':
        case 'preview':
          return { flow: null, message: { text: f.kind === 'explain' ? 'explain closed' : `${f.title}: cancelled, nothing changed`, tone: 'info' } };
        case 'result': return { flow: null };
        // A change awaits y or n; a job cannot be called back.
        case 'pending':
        case 'busy':
          return { flow: f };
      }
      return { flow: f };
    case 'flowMove':
      if (s.step === 'choose') return { flow: { ...f, step: { ...s, index: Math.max(0, Math.min(s.options.length - 1, s.index + a.delta)) } } };
      if (s.step === 'preview' || s.step === 'result') return { flow: { ...f, step: { ...s, scroll: clampScroll(s.scroll + a.delta, a.max) } } };
      return { flow: f };
    case 'flowKeep':
      if (s.step !== 'pending') return { flow: f };
      return { flow: busy(f, { kind: 'confirm', tx: s.tx }, 'confirming') };
    case 'flowRollback':
      if (s.step !== 'pending') return { flow: f };
      return { flow: busy(f, { kind: 'rollback', tx: s.tx }, 'rolling back') };
    case 'flowResult':
      if (s.step !== 'busy' || s.job !== a.job) return { flow: f };
      return onResult(f, a.result);
    case 'flowExpired':
      if (s.step !== 'pending' || s.tx !== a.tx) return { flow: f };
      return {
        flow: result(f, 'warn', `Not kept: ${a.tx}`, ['the rollback deadline passed without confirmation: the watchdog restores the previous state', 'see `portcullis journal` for the outcome']),
        message: { text: `${a.tx} not confirmed in time: rolled back by the watchdog`, tone: 'warn' },
      };
  }
}
