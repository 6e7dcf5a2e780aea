// The one wrapper over execa (architecture.md "One runner"): every external
// command of Portcullis goes through run() or spawnStream(). Argument arrays
// only (never a shell), absolute timeouts that kill the whole process group,
// abort signals, C locale, an optional `ip netns exec NAME` prefix, and
// structured errors with a plain message.

import { spawn as spawnChild } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import type { SpawnerClient } from './spawner-client.js';
import { KILL_GRACE_MS, killGroup, stopGroup } from './process-group.js';
import { outputDigest } from './spawner-protocol.js';

export type RunErrorKind = 'not-found' | 'permission' | 'timeout' | 'aborted' | 'exit';

export interface RunOptions {
  /** Run inside this network namespace (`ip netns exec NAME ...`). */
  netns?: string;
  /** Absolute time limit; the process group is killed when it passes. Default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Text written to stdin (stdin is closed otherwise). */
  input?: string;
  /** Exit codes other than 0 that count as success. */
  allowExitCodes?: number[];
  /**
   * Digest the output (spawner-protocol.ts outputDigest: `#` lines left out)
   * and, when it equals `previous`, answer `unchanged` without the output.
   */
  digest?: { previous: string | null };
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
  /** With RunOptions.digest: the output's digest. */
  digest?: string;
  /** With RunOptions.digest: it equalled `previous`, and stdout is '' (not sent). */
  unchanged?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** 20k-rule dumps and 100k conntrack lines (~15 MB) fit with room to spare. */
export const MAX_BUFFER = 256 * 1024 * 1024;

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const PACKAGE_HINT: Record<string, string> = {
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-restore': 'iptables',
  'iptables-nft-save': 'iptables',
  'iptables-legacy-save': 'iptables',
  ip6tables: 'iptables',
  'ip6tables-save': 'iptables',
  'ip6tables-restore': 'iptables',
  'ip6tables-nft-save': 'iptables',
  'ip6tables-legacy-save': 'iptables',
  conntrack: 'conntrack',
  ip: 'iproute2',
  nsenter: 'util-linux',
};

export class RunError extends Error {
  readonly kind: RunErrorKind;
  readonly argv: string[];
  readonly exitCode: number | null;
  /** Last lines of stderr (at most ~2 kB). */
  readonly stderrTail: string;
  readonly stdout: string;
  readonly durationMs: number;

  constructor(init: {
    kind: RunErrorKind;
    argv: string[];
    message: string;
    exitCode?: number | null;
    stderr?: string;
    stdout?: string;
    durationMs?: number;
  }) {
    super(init.message);
    this.name = 'RunError';
    this.kind = init.kind;
    this.argv = init.argv;
    this.exitCode = init.exitCode ?? null;
    this.stderrTail = tail(init.stderr ?? '');
    this.stdout = init.stdout ?? '';
    this.durationMs = init.durationMs ?? 0;
  }
}

export function isRunError(e: unknown): e is RunError {
  return e instanceof RunError;
}

const NETNS_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** True for a name `ip netns` accepts and that cannot escape /var/run/netns. */
export function isValidNetnsName(name: string): boolean {
  return NETNS_RE.test(name) && name !== '.' && name !== '..';
}

export function assertNetnsName(name: string): void {
  if (!isValidNetnsName(name)) {
    throw new RangeError(
      `invalid network namespace name ${JSON.stringify(name)} (letters, digits, "_", "." and "-", at most 64)`,
    );
  }
}

/** /var/run/netns/NAME exists (the namespace was made with `ip netns add`). */
export function netnsExists(name: string): boolean {
  assertNetnsName(name);
  try {
    statSync(path.join('/var/run/netns', name));
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute path of an executable: PATH first, then the usual sbin/bin
 * directories (a non-root PATH often lacks /usr/sbin). null when absent.
 */
const found = new Map<string, string>();

export function findExecutable(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  // Found paths are remembered (per PATH): the TUI starts a few processes
  // every second, and a PATH walk is two syscalls per directory each time.
  // Misses are not, so a tool installed while we run is still found.
  const key = `${process.env.PATH ?? ''}\0${name}`;
  const known = found.get(key);
  if (known !== undefined) return known;
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), ...SEARCH_DIRS];
  for (const dir of new Set(dirs)) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      found.set(key, candidate);
      return candidate;
    }
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function tail(text: string, max = 2048): string {
  const t = text.trimEnd();
  return t.length <= max ? t : t.slice(t.length - max);
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

function notFoundError(argv: string[], cmd: string): RunError {
  const base = path.basename(cmd);
  const pkg = PACKAGE_HINT[base];
  return new RunError({
    kind: 'not-found',
    argv,
    message: `${base}: command not found${pkg ? ` (install the ${pkg} package)` : ''}`,
  });
}

/** Turn `[cmd, ...args]` (+ netns) into the argv really spawned, checking names first. */
function prepare(argv: string[], netns: string | undefined): { full: string[]; base: string } {
  if (argv.length === 0 || !argv[0]) throw new RangeError('run: empty argv');
  const cmd = argv[0];
  const base = path.basename(cmd);
  const resolved = findExecutable(cmd);
  if (!resolved) throw notFoundError(argv, cmd);
  if (netns === undefined) return { full: [resolved, ...argv.slice(1)], base };
  assertNetnsName(netns);
  const ip = findExecutable('ip');
  if (!ip) throw notFoundError(argv, 'ip');
  return { full: [ip, 'netns', 'exec', netns, resolved, ...argv.slice(1)], base };
}

const PERMISSION_RE =
  /permission denied|operation not permitted|must be root|CAP_NET_ADMIN|you need to be root|are you root/i;

function classifyExit(
  argv: string[],
  base: string,
  netns: string | undefined,
  exitCode: number,
  stderr: string,
  stdout: string,
  durationMs: number,
): RunError {
  const common = { argv, exitCode, stderr, stdout, durationMs };
  if (netns !== undefined && /Cannot open network namespace/i.test(stderr)) {
    return new RunError({
      ...common,
      kind: 'not-found',
      message: `network namespace "${netns}" does not exist (see ip netns list)`,
    });
  }
  if (netns !== undefined && /setting the network namespace .* failed|mount --make-rslave/i.test(stderr)) {
    return new RunError({
      ...common,
      kind: 'permission',
      message: `${base}: permission denied entering network namespace "${netns}" (needs root)`,
    });
  }
  if (PERMISSION_RE.test(stderr)) {
    return new RunError({
      ...common,
      kind: 'permission',
      message: `${base}: permission denied (needs root or CAP_NET_ADMIN)`,
    });
  }
  const why = lastLine(stderr);
  return new RunError({
    ...common,
    kind: 'exit',
    message: `${base}: exited with code ${exitCode}${why ? `: ${why}` : ''}`,
  });
}

/**
 * Children run in their own process group (so a timeout can kill grandchildren),
 * which also means a terminal's Ctrl-C does not reach them: kill whatever is
 * still running when this process exits.
 */
const live = new Set<number>();
let exitHookInstalled = false;
function track(pid: number | undefined): void {
  if (!pid) return;
  live.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of live) killGroup(p, 'SIGKILL');
    });
  }
}
function untrack(pid: number | undefined): void {
  if (pid) live.delete(pid);
}


/**
 * Run a command to completion and return its output. Rejects with a RunError
 * on a missing binary, a permission problem, a timeout, an abort, or an exit
 * code outside 0 + allowExitCodes. Output is returned exactly as written
 * (the final newline is kept).
 */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const { full, base } = prepare(argv, opts.netns);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;

  if (opts.signal?.aborted) {
    throw new RunError({ kind: 'aborted', argv, message: `${base}: aborted` });
  }

  const [file, ...args] = full as [string, ...string[]];
  let result: Outcome;
  if (spawner !== null && spawner.alive && opts.input === undefined) {
    const o = await spawner.run(file, args, { timeoutMs, maxBuffer: MAX_BUFFER, signal: opts.signal, ...(opts.digest ? { digest: opts.digest } : {}) });
    // Gone mid-run: the command's fate is unknown, so it is not run again
    // here (it may have had effects); the caller sees a failed run, and the
    // next one is started directly.
    if (o === null) throw new RunError({ kind: 'exit', argv, message: `${base}: the spawner process ended while it ran`, durationMs: elapsed() });
    const h = o.header;
    result = { stdout: o.stdout, stderr: o.stderr, exitCode: h.exitCode ?? undefined, signal: h.signal, code: h.code ?? undefined, isMaxBuffer: h.maxBuffer, stopReason: h.stopReason };
    if (h.digest !== undefined) {
      result.digest = h.digest;
      result.unchanged = h.unchanged === true;
    }
  } else {
    result = await runDirect(file, args, opts, timeoutMs);
    if (opts.digest && result.code === undefined && !result.isMaxBuffer) {
      result.digest = outputDigest(Buffer.from(result.stdout, 'utf8'));
      result.unchanged = result.digest === opts.digest.previous;
      if (result.unchanged) result.stdout = '';
    }
  }
  const { stdout, stderr, stopReason } = result;
  const durationMs = elapsed();
  const common = { argv, stdout, stderr, durationMs, exitCode: result.exitCode ?? null };

  if (stopReason === 'timeout') {
    throw new RunError({ ...common, kind: 'timeout', message: `${base}: timed out after ${fmtSeconds(timeoutMs)}` });
  }
  if (stopReason === 'aborted') {
    throw new RunError({ ...common, kind: 'aborted', message: `${base}: aborted` });
  }
  const code = result.code;
  if (code === 'ENOENT') throw notFoundError(argv, argv[0] ?? base);
  if (code === 'EACCES') {
    throw new RunError({ ...common, kind: 'permission', message: `${base}: permission denied (cannot execute)` });
  }
  if (result.isMaxBuffer) {
    throw new RunError({ ...common, kind: 'exit', message: `${base}: output larger than ${MAX_BUFFER} bytes` });
  }
  if (result.exitCode === undefined) {
    const sig = result.signal ?? 'unknown signal';
    throw new RunError({ ...common, kind: 'exit', message: `${base}: killed by ${sig}` });
  }
  const exitCode = result.exitCode;
  if (exitCode !== 0 && !(opts.allowExitCodes ?? []).includes(exitCode)) {
    throw classifyExit(argv, base, opts.netns, exitCode, stderr, stdout, durationMs);
  }
  return { stdout, stderr, exitCode, durationMs, ...(result.digest !== undefined ? { digest: result.digest, unchanged: result.unchanged === true } : {}) };
}

/** How a command ended, whichever process started it. */
interface Outcome {
  stdout: string;
  stderr: string;
  /** undefined when it did not exit on its own (a signal, or it never started). */
  exitCode: number | undefined;
  signal: string | null;
  /** errno code when it could not be started (ENOENT, EACCES). */
  code: string | undefined;
  isMaxBuffer: boolean;
  stopReason: 'timeout' | 'aborted' | null;
  digest?: string;
  unchanged?: boolean;
}

/** Start the command from this process (execa), with the time limit and abort signal. */
async function runDirect(file: string, args: string[], opts: RunOptions, timeoutMs: number): Promise<Outcome> {
  const child = execa(file, args, {
    shell: false,
    reject: false,
    detached: true, // own process group: a timeout kills grandchildren too
    env: { LANG: 'C', LC_ALL: 'C' },
    extendEnv: true,
    stripFinalNewline: false,
    maxBuffer: MAX_BUFFER,
    encoding: 'utf8',
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
  });

  track(child.pid);
  let stopReason: 'timeout' | 'aborted' | null = null;
  const timers: NodeJS.Timeout[] = [];
  const stop = (reason: 'timeout' | 'aborted') => {
    if (stopReason) return;
    stopReason = reason;
    stopGroup(child.pid, [child.stdout, child.stderr], timers, true);
  };
  timers.push(setTimeout(() => stop('timeout'), timeoutMs));
  const onAbort = () => stop('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let result: Awaited<typeof child>;
  try {
    result = await child;
  } finally {
    for (const t of timers) clearTimeout(t);
    opts.signal?.removeEventListener('abort', onAbort);
    untrack(child.pid);
  }
  // Leftovers of the group (a background child that kept running) go too.
  if (stopReason) killGroup(child.pid, 'SIGKILL');
  return {
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    exitCode: result.exitCode,
    signal: result.signal ?? null,
    code: (result as { code?: string }).code,
    isMaxBuffer: result.isMaxBuffer,
    stopReason,
  };
}

/**
 * When set (the TUI sets it), commands without stdin input are started by the
 * spawner process (spawner.ts says why); unset, or once it is gone, here.
 */
let spawner: SpawnerClient | null = null;

export function setSpawner(s: SpawnerClient | null): void {
  spawner = s;
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------- streams

export interface StreamOptions {
  netns?: string;
  signal?: AbortSignal;
  /** Called for each stdout line, without its newline. */
  onLine: (line: string) => void;
  /** Called for each stderr line (optional). */
  onStderrLine?: (line: string) => void;
}

export interface StreamEnd {
  /** Exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  /** true when stop() or the abort signal ended the stream. */
  stopped: boolean;
  /** Why the stream ended on its own with a failure; null otherwise. */
  error: RunError | null;
}

export interface StreamHandle {
  pid: number | undefined;
  /** Ends the process (SIGTERM, then SIGKILL after 1 s) and waits for it. */
  stop(): Promise<StreamEnd>;
  /** Settles when the process ends; never rejects. */
  done: Promise<StreamEnd>;
}

/**
 * Start a long-running command (e.g. `conntrack -E`) and deliver its output
 * line by line. Throws synchronously (RunError not-found, RangeError) when the
 * command or namespace name is unusable; later failures arrive in `done`.
 */
export function spawnStream(argv: string[], opts: StreamOptions): StreamHandle {
  const { full, base } = prepare(argv, opts.netns);
  const started = performance.now();
  const [file, ...args] = full as [string, ...string[]];
  let stopped = false;
  let stderrBuf = '';

  const child: ResultPromise = execa(file, args, {
    shell: false,
    reject: false,
    detached: true,
    buffer: false,
    stdin: 'ignore',
    env: { LANG: 'C', LC_ALL: 'C' },
    extendEnv: true,
    encoding: 'utf8',
  });

  track(child.pid);
  if (child.stdout) {
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (l) => opts.onLine(l));
  }
  if (child.stderr) {
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (l) => {
      stderrBuf = tail(`${stderrBuf}\n${l}`);
      opts.onStderrLine?.(l);
    });
  }

  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (stopped) return;
    stopped = true;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => {
      killGroup(child.pid, 'SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, KILL_GRACE_MS);
    killTimer.unref();
  };
  const onAbort = () => kill();
  if (opts.signal?.aborted) kill();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  const done: Promise<StreamEnd> = child.then(
    (result) => {
      untrack(child.pid);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      const durationMs = Math.round(performance.now() - started);
      const exitCode = result.exitCode ?? null;
      if (stopped) return { exitCode, stopped: true, error: null };
      const code = (result as { code?: string }).code;
      let error: RunError | null = null;
      if (code === 'ENOENT') error = notFoundError(argv, argv[0] ?? base);
      else if (exitCode === null) {
        error = new RunError({ kind: 'exit', argv, message: `${base}: killed by ${result.signal ?? 'a signal'}`, stderr: stderrBuf, durationMs });
      } else if (exitCode !== 0) {
        error = classifyExit(argv, base, opts.netns, exitCode, stderrBuf, '', durationMs);
      }
      return { exitCode, stopped: false, error };
    },
    (e: unknown) => {
      untrack(child.pid);
      return {
      exitCode: null,
      stopped,
      error: new RunError({ kind: 'exit', argv, message: `${base}: ${e instanceof Error ? e.message : String(e)}` }),
      };
    },
  );

  return {
    pid: child.pid,
    done,
    stop: () => {
      kill();
      return done;
    },
  };
}

/**
 * Starts a process we must neither wait for nor take down with us (the
 * rollback watchdog): its own session and process group (setsid), no
 * controlling terminal, stdio detached, not referenced by our event loop.
 * Returns its pid. Argument arrays only, like everything here.
 */
export function spawnDetached(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): number {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('spawnDetached: empty argv');
  const child = spawnChild(cmd, args, { detached: true, stdio: 'ignore', cwd: opts.cwd ?? '/', env: opts.env ?? process.env, shell: false });
  child.unref();
  if (!child.pid) throw new Error(`${cmd}: spawn returned no pid`);
  return child.pid;
}
