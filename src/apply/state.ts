// The state directory: journal (JSON lines), the one pending (unconfirmed)
// transaction, a lock serialising transactions, the watchdog log.
//
//   STATE/                       --state-dir, $PORTCULLIS_STATE_DIR, default /var/lib/portcullis
//   STATE/netns-NAME/            the same layout per --netns (lab namespaces)
//     journal.jsonl              one JSON object per line, appended, never rewritten
//     pending.json               the transaction awaiting confirmation (at most one)
//     done/ID.<how>.json         pending.json once claimed: confirmed | expired | rolledback | failed
//     lock                       pid of the process running a transaction
//     watchdog.log               what the watchdogs did
//
// Claiming is a rename of pending.json: whoever renames it first (confirm,
// rollback, the watchdog at its deadline) owns the outcome, so confirm and
// expiry can never both happen.
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, Family } from '../core/types.js';
import type { Intent, OwnedChains } from '../core/plan/types.js';

export const DEFAULT_STATE_DIR = '/var/lib/portcullis';

export function stateDirFor(o: { stateDir?: string; netns?: string }): string {
  const base = o.stateDir ?? process.env.PORTCULLIS_STATE_DIR ?? DEFAULT_STATE_DIR;
  return o.netns ? join(base, `netns-${o.netns}`) : base;
}

export function ensureStateDir(dir: string): void {
  mkdirSync(join(dir, 'done'), { recursive: true, mode: 0o700 });
}

export function newTxId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const d = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const t = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${d}-${t}-${randomBytes(2).toString('hex')}`;
}

// ---------------------------------------------------------------- who

export interface Who {
  uid: number | null;
  sudoUser: string | null;
  sshConnection: string | null;
  pid: number;
}

export function whoAmI(): Who {
  return {
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    sudoUser: process.env.SUDO_USER ?? null,
    sshConnection: process.env.SSH_CONNECTION ?? null,
    pid: process.pid,
  };
}

/** Client address of SSH_CONNECTION ("client_ip client_port server_ip server_port"). */
export function sshClientOf(conn: string | null | undefined): string | null {
  if (!conn) return null;
  const first = conn.trim().split(/\s+/)[0];
  return first && first.length > 0 ? first : null;
}

// ---------------------------------------------------------------- journal

export interface JournalFamily {
  family: Family;
  backend: Backend;
  payload: string;
  beforeHash: string;
  afterHash: string | null;
  before: OwnedChains;
  after: OwnedChains;
}

export type JournalEvent = 'apply' | 'confirm' | 'rollback';

export interface JournalEntry {
  v: 1;
  id: string;
  event: JournalEvent;
  time: string;
  uid: number | null;
  sudoUser: string | null;
  sshConnection: string | null;
  pid: number;
  netns: string | null;
  intent?: Intent;
  summary?: string;
  families?: JournalFamily[];
  /**
   * apply: applied | failed | verify-failed | stale | refused
   * confirm: confirmed; rollback: rolled-back | nothing-to-do | failed
   */
  outcome: string;
  /** rollback: deadline | manual | interactive | restore-failed | verify-failed */
  reason?: string;
  deadline?: string | null;
  error?: string;
  timings?: Record<string, number>;
}

export function journalPath(dir: string): string {
  return join(dir, 'journal.jsonl');
}

export function appendJournal(dir: string, e: Omit<JournalEntry, 'v' | 'time' | 'uid' | 'sudoUser' | 'sshConnection' | 'pid'> & Partial<Who>): JournalEntry {
  ensureStateDir(dir);
  const who = whoAmI();
  const entry: JournalEntry = {
    v: 1,
    time: new Date().toISOString(),
    uid: e.uid ?? who.uid,
    sudoUser: e.sudoUser ?? who.sudoUser,
    sshConnection: e.sshConnection ?? who.sshConnection,
    pid: e.pid ?? who.pid,
    ...e,
  } as JournalEntry;
  const fd = openSync(journalPath(dir), 'a', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return entry;
}

export function readJournal(dir: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(journalPath(dir), 'utf8');
  } catch {
    return [];
  }
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (e && typeof e.id === 'string' && typeof e.event === 'string') out.push(e);
    } catch {
      /* a torn last line (crash mid-write) is skipped */
    }
  }
  return out;
}

// ---------------------------------------------------------------- pending

export interface PendingFamily {
  family: Family;
  backend: Backend;
  before: OwnedChains;
  after: OwnedChains;
}

export interface Pending {
  v: 1;
  id: string;
  created: number;
  /** Epoch ms when the watchdog restores `before`. */
  deadline: number;
  netns: string | null;
  summary: string;
  families: PendingFamily[];
  watchdogPid: number | null;
}

export function pendingPath(dir: string): string {
  return join(dir, 'pending.json');
}

export function readPending(dir: string): Pending | null {
  try {
    return JSON.parse(readFileSync(pendingPath(dir), 'utf8')) as Pending;
  } catch {
    return null;
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function writePending(dir: string, p: Pending): void {
  ensureStateDir(dir);
  writeAtomic(pendingPath(dir), `${JSON.stringify(p)}\n`);
}

export type ClaimHow = 'confirmed' | 'expired' | 'rolledback' | 'failed';

/**
 * Claim the pending transaction `id` (rename it out of the way). Returns the
 * claimed record, or null when it is not pending any more (someone else won).
 */
export function claimPending(dir: string, id: string, how: ClaimHow): Pending | null {
  const cur = readPending(dir);
  if (!cur || cur.id !== id) return null;
  const dest = join(dir, 'done', `${id}.${how}.json`);
  try {
    mkdirSync(join(dir, 'done'), { recursive: true, mode: 0o700 });
    renameSync(pendingPath(dir), dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  // Another transaction could have replaced pending.json between read and rename: check what we took.
  const taken = JSON.parse(readFileSync(dest, 'utf8')) as Pending;
  if (taken.id !== id) {
    renameSync(dest, pendingPath(dir));
    return null;
  }
  return taken;
}

export function claimedAs(dir: string, id: string): ClaimHow | null {
  for (const how of ['confirmed', 'expired', 'rolledback', 'failed'] as const) {
    if (existsSync(join(dir, 'done', `${id}.${how}.json`))) return how;
  }
  return null;
}

// ---------------------------------------------------------------- lock

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Take the state dir's lock (waiting up to waitMs); a lock left by a dead process is taken over. */
export async function acquireLock(dir: string, waitMs = 15_000): Promise<() => void> {
  ensureStateDir(dir);
  const file = join(dir, 'lock');
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          /* gone already */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      try {
        unlinkSync(file);
      } catch {
        /* raced with another taker */
      }
      continue;
    }
    if (Date.now() > until) throw new Error(`another Portcullis transaction (pid ${holder}) holds ${file}`);
    await sleep(100);
  }
}

export function logWatchdog(dir: string, line: string): void {
  try {
    appendFileSync(join(dir, 'watchdog.log'), `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
  } catch {
    /* logging must never stop a rollback */
  }
}
