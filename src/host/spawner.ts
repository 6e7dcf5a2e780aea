// The spawner: a small process that starts commands for the TUI.
//
// Why it exists: Node starts a child with fork(), whose cost grows with the
// parent's memory (its page tables are copied). Measured here: ~1.8 ms CPU
// per spawn from a 50 MB process, ~6 ms from 170 MB, ~14 ms from 550 MB,
// and the fork blocks the parent's main thread. The TUI holds a large model
// on a big host and starts two or three commands every refresh, so it asks
// this process (started once, at ~40 MB) to do the forking. The runner falls
// back to spawning itself if this process is gone.
//
// It runs what it is told exactly as runner.run() would: argument arrays
// (never a shell), an own process group per command, LANG=C, the time limit
// killing the group (SIGTERM, then SIGKILL), an output cap. When its stdin
// closes (the TUI exited or died) it kills what is still running and exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killGroup, stopGroup } from './process-group.js';
import { encodeOutcome, outputDigest, type RunOutcomeHeader, type RunRequest, type SpawnerRequest } from './spawner-protocol.js';

interface Running {
  child: ChildProcess;
  stop(reason: 'timeout' | 'aborted'): void;
}

const running = new Map<number, Running>();

function send(h: RunOutcomeHeader, stdout: Buffer[], stderr: Buffer[]): void {
  for (const b of encodeOutcome(h, stdout, stderr)) process.stdout.write(b);
}

function start(req: RunRequest): void {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  let stopReason: 'timeout' | 'aborted' | null = null;
  let maxBuffer = false;
  let errorCode: string | null = null;
  const timers: NodeJS.Timeout[] = [];

  const child = spawn(req.file, req.args, {
    shell: false,
    detached: true, // own process group: a timeout kills grandchildren too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LANG: 'C', LC_ALL: 'C' },
  });

  const stop = (reason: 'timeout' | 'aborted') => {
    if (stopReason) return;
    stopReason = reason;
    stopGroup(child.pid, [child.stdout, child.stderr], timers, false);
  };
  running.set(req.id, { child, stop });
  timers.push(setTimeout(() => stop('timeout'), req.timeoutMs));

  child.stdout!.on('data', (b: Buffer) => {
    outBytes += b.length;
    if (outBytes > req.maxBuffer) {
      if (!maxBuffer) {
        maxBuffer = true;
        killGroup(child.pid, 'SIGKILL');
      }
      return;
    }
    out.push(b);
  });
  child.stderr!.on('data', (b: Buffer) => {
    errBytes += b.length;
    if (errBytes <= req.maxBuffer) err.push(b);
  });
  child.on('error', (e: NodeJS.ErrnoException) => {
    errorCode = e.code ?? 'ERROR';
  });
  child.on('close', (code, signal) => {
    for (const t of timers) clearTimeout(t);
    running.delete(req.id);
    if (stopReason) killGroup(child.pid, 'SIGKILL'); // leftovers of the group
    let stdout = maxBuffer ? [] : out;
    const stderr = err;
    // An unchanged dump (the usual idle tick) is not sent back at all: the
    // TUI then neither copies nor decodes 2 MB it would throw away.
    let digest: string | undefined;
    let unchanged = false;
    if (req.digest && !maxBuffer && errorCode === null) {
      const whole = Buffer.concat(stdout);
      digest = outputDigest(whole);
      unchanged = digest === req.digest.previous;
      stdout = unchanged ? [] : [whole];
    }
    send(
      {
        id: req.id,
        pid: child.pid ?? null,
        exitCode: code,
        signal: signal ?? null,
        code: errorCode,
        stopReason,
        maxBuffer,
        stdoutBytes: stdout.reduce((n, b) => n + b.length, 0),
        stderrBytes: stderr.reduce((n, b) => n + b.length, 0),
        ...(digest !== undefined ? { digest, unchanged } : {}),
      },
      stdout,
      stderr,
    );
  });
}

function handle(line: string): void {
  if (line.trim() === '') return;
  const req = JSON.parse(line) as SpawnerRequest;
  if (req.op === 'run') start(req);
  else if (req.op === 'kill') running.get(req.id)?.stop('aborted');
}

function shutdown(): never {
  for (const r of running.values()) killGroup(r.child.pid, 'SIGKILL');
  process.exit(0);
}

// The TUI's end (or death) closes our stdin: nothing of ours may outlive it.
createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', handle).on('close', shutdown);
process.on('SIGTERM', shutdown);
process.on('SIGHUP', shutdown);
// A broken pipe to the TUI means it is gone.
process.stdout.on('error', shutdown);
