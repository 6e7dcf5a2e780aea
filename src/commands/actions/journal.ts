// `portcullis journal`: every transaction, newest last, with its fate.
import { Option, type Command } from 'commander';
import { readJournal, type JournalEntry } from '../../apply/state.js';
import { UsageError } from '../errors.js';
import { addCommonOptions, handled, stateDirOf, type CommonFlags } from './common.js';

export interface TxView {
  id: string;
  time: string;
  who: string;
  summary: string;
  /** applied | failed | verify-failed | stale | refused */
  outcome: string;
  /** pending | confirmed | rolled-back (deadline|manual|...) | undone by ID | '' */
  fate: string;
  apply: JournalEntry | null;
  events: JournalEntry[];
}

function whoOf(e: JournalEntry): string {
  const parts = [`uid ${e.uid ?? '?'}`];
  if (e.sudoUser) parts.push(`sudo ${e.sudoUser}`);
  if (e.sshConnection) parts.push(`ssh ${e.sshConnection.split(' ')[0]}`);
  return parts.join(', ');
}

/** Fold the journal's events into one view per transaction, oldest first. */
export function transactions(entries: JournalEntry[]): TxView[] {
  const byId = new Map<string, TxView>();
  for (const e of entries) {
    let v = byId.get(e.id);
    if (!v) {
      v = { id: e.id, time: e.time, who: whoOf(e), summary: '', outcome: '', fate: '', apply: null, events: [] };
      byId.set(e.id, v);
    }
    v.events.push(e);
    if (e.event === 'apply') {
      v.apply = e;
      v.time = e.time;
      v.who = whoOf(e);
      v.summary = e.summary ?? '';
      v.outcome = e.outcome;
      if (e.outcome === 'applied') v.fate = 'pending';
    } else if (e.event === 'confirm' && v.fate === 'pending') v.fate = 'confirmed';
    else if (e.event === 'rollback' && e.reason !== 'verify-failed') v.fate = `rolled back (${e.reason ?? '?'})`;
  }
  const list = [...byId.values()];
  for (const v of list) {
    const intent = v.apply?.intent;
    if (intent?.kind === 'undo' && v.outcome === 'applied' && !v.fate.startsWith('rolled back')) {
      const target = byId.get(intent.tx);
      if (target) target.fate += `, undone by ${v.id}`;
    }
  }
  return list;
}

export function registerJournal(program: Command): void {
  const cmd = program
    .command('journal')
    .description('list every transaction (who, when, what, outcome), oldest first')
    .addOption(new Option('--limit <n>', 'only the last N transactions'));
  addCommonOptions(cmd, { docker: false });
  cmd.action(
    handled(async (f: CommonFlags & { limit?: string }) => {
      let list = transactions(readJournal(stateDirOf(f)));
      if (f.limit !== undefined) {
        if (!/^\d{1,6}$/.test(f.limit)) throw new UsageError(`--limit ${JSON.stringify(f.limit)}: a whole number`);
        list = list.slice(-Number(f.limit));
      }
      if (f.json) {
        process.stdout.write(`${JSON.stringify(list.map(({ events, apply, ...v }) => ({ ...v, intent: apply?.intent ?? null, events })), null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write(`no transactions in ${stateDirOf(f)}\n`);
        return;
      }
      for (const v of list) {
        process.stdout.write(`${v.id}  ${v.time}  ${v.outcome}${v.fate ? ` / ${v.fate}` : ''}  (${v.who})\n    ${v.summary}\n`);
        const err = v.events.find((e) => e.error)?.error;
        if (err) process.stdout.write(`    error: ${err}\n`);
      }
    }),
  );
}
