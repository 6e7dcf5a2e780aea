// The action / explain dialog as terminal lines, pure: a head (title, what
// the action touches, the field or the choices), a scrolling body (the
// plan's details and its unified diff coloured with the theme's diff
// tokens, a result, an explain walk) and a foot (what enter will do).
import type { Plan } from '../../core/plan/types.js';
import { LOCKDOWN_WORD, type Flow } from '../actions/types.js';
import type { Token } from '../theme/schema.js';
import { duration } from './format.js';
import { cell, type Cell } from './rows.js';
import { wrapText } from './wrap.js';

export type PanelLine = Cell[];

export interface FlowLayout {
  head: PanelLine[];
  body: PanelLine[];
  foot: PanelLine[];
}

export interface FlowLayoutOptions {
  width: number;
  /** Now (ms): the pending countdown and the busy spinner. */
  now: number;
  confirmTimeoutSec: number;
  where: string;
  previewOnly: string | null;
}

const one = (text: string, tone?: Token): PanelLine => [cell(text, tone)];
const wrapped = (text: string, width: number, tone?: Token, indent = '  '): PanelLine[] => wrapText(text, width, indent).map((l) => one(l, tone));

function diffTone(line: string): Token {
  if (line.startsWith('+++') || line.startsWith('---')) return 'muted';
  if (line.startsWith('+')) return 'diff.added';
  if (line.startsWith('-')) return 'diff.removed';
  if (line.startsWith('@@')) return 'accent';
  return 'muted';
}

/** The plan's unified diff, each line coloured and wrapped under its own +/- sign. */
export function diffLines(plan: Plan, width: number): PanelLine[] {
  const out: PanelLine[] = [];
  for (const f of plan.families) {
    for (const line of f.diff.split('\n')) {
      if (line === '' || /^=+$/.test(line)) continue;
      const tone = diffTone(line);
      const sign = tone === 'diff.added' || tone === 'diff.removed' ? line[0] : ' ';
      for (const l of wrapText(line, width, `${sign}    `)) out.push(one(l, tone));
    }
  }
  return out;
}

function explainTone(line: string, verdict: Token): Token {
  const t = line.trim();
  if (/^verdict:/i.test(t)) return verdict;
  if (t.startsWith('note:') || t.startsWith('deciding rule:') || t.startsWith('cannot evaluate:')) return 'muted';
  if (t.startsWith('[')) return 'title';
  if (/-> (DROP|REJECT)\b/.test(t)) return 'traffic.drop';
  if (/-> ACCEPT\b/.test(t) || t.startsWith('=> delivered')) return 'traffic.accept';
  if (t.startsWith('MATCH') || t.startsWith('MAYBE')) return 'accent';
  return 'text';
}

const RESULT_TONE: Record<'ok' | 'warn' | 'error', Token> = { ok: 'status.ok', warn: 'status.warn', error: 'status.error' };
const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Whole seconds left before the deadline, never below 0. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

export function flowLayout(flow: Flow, o: FlowLayoutOptions): FlowLayout {
  const w = Math.max(20, o.width - 1);
  const s = flow.step;
  const head: PanelLine[] = [];
  const body: PanelLine[] = [];
  const foot: PanelLine[] = [];
  const infoLines = () => flow.info.flatMap((c) => wrapped(c.text, w, c.tone));
  switch (s.step) {
    case 'text': {
      head.push(one(flow.title, 'title'), ...infoLines(), one(''), one(s.prompt, 'accent'));
      // The end of a long entry stays in view.
      const room = Math.max(4, w - 3);
      const shown = [...s.text].length > room ? `…${[...s.text].slice(-(room - 1)).join('')}` : s.text;
      head.push([cell('> ', 'accent'), cell(`${shown}▏`, 'text')]);
      if (s.error) head.push(...wrapped(s.error, w, 'status.error'));
      head.push(...wrapped(s.hint, w, 'muted'));
      break;
    }
    case 'choose': {
      head.push(one(flow.title, 'title'), ...infoLines(), one(''), one(s.prompt, 'accent'));
      s.options.forEach((opt, i) => {
        const sel = i === s.index;
        head.push([cell(sel ? '> ' : '  ', 'accent'), cell(`${sel ? '(•)' : '( )'} ${opt.label}`, sel ? 'selection' : 'text')]);
      });
      if (s.error) head.push(...wrapped(s.error, w, 'status.error'));
      break;
    }
    case 'busy':
      head.push(one(flow.title, 'title'), one(''), [cell(`${SPIN[Math.floor(o.now / 120) % SPIN.length]} `, 'accent'), cell(`${s.what}…`, 'accent')]);
      if (flow.plan && (s.job.kind === 'apply' || s.job.kind === 'confirm' || s.job.kind === 'rollback')) head.push(...wrapped(flow.plan.summary, w, 'muted'));
      break;
    case 'preview': {
      const plan = flow.plan;
      head.push(one(`Preview: ${flow.title}`, 'title'));
      if (!plan) break;
      head.push(...wrapped(plan.summary, w, 'text'));
      for (const d of plan.details) body.push(...wrapped(d, w, 'muted', '    '));
      for (const x of plan.warnings) body.push(...wrapped(`warning: ${x}`, w, 'status.warn'));
      if (plan.details.length || plan.warnings.length) body.push(one(''));
      if (plan.changed) body.push(...diffLines(plan, w));
      else body.push(one('nothing to change: the rules already say this', 'status.ok'));
      if (!plan.changed) foot.push(one('enter closes', 'muted'));
      else if (o.previewOnly) foot.push(...wrapped(o.previewOnly, w, 'status.warn'));
      else {
        const lock = flow.kind === 'lockdown' && plan.intent.kind === 'lockdown' && !plan.intent.off ? `you type ${LOCKDOWN_WORD} next; ` : '';
        const window = o.confirmTimeoutSec > 0 ? `rolled back after ${duration(o.confirmTimeoutSec)} unless you keep it` : 'kept at once (confirm timeout 0)';
        foot.push(...wrapped(`enter applies to ${o.where}: ${lock}${window}`, w, 'accent'));
      }
      break;
    }
    case 'pending': {
      const left = secondsLeft(s.deadline, o.now);
      head.push(one(`Applied ${s.tx}: keep it?`, 'title'));
      if (flow.plan) head.push(...wrapped(flow.plan.summary, w, 'text'));
      head.push(one(''));
      head.push(one(`rolled back in ${left} s (at ${clock(s.deadline)}) unless you keep it`, 'status.warn'));
      head.push(one('y or enter: keep it   n or x: roll it back now', 'accent'));
      head.push(...wrapped('check that you can still reach what you need (a new SSH session, the service) before keeping it; if this session is cut off, the change is rolled back anyway', w, 'muted'));
      break;
    }
    case 'result': {
      const tone = RESULT_TONE[s.tone];
      head.push(one(s.title, tone));
      const isExplain = flow.kind === 'explain';
      for (const l of s.lines) {
        const ind = `${/^\s*/.exec(l)?.[0] ?? ''}    `;
        body.push(...wrapped(l, w, isExplain ? explainTone(l, tone) : l === s.lines[0] && s.tone === 'error' ? 'status.error' : 'text', ind));
      }
      break;
    }
  }
  return { head, body, foot };
}

/** How far the dialog's body can scroll in `height` lines (0 when it fits). */
export function flowScroll(l: FlowLayout, height: number): { max: number; room: number } {
  const room = Math.max(1, height - l.head.length - l.foot.length);
  return { max: Math.max(0, l.body.length - room), room };
}
