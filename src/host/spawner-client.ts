// The TUI's side of the spawner (spawner.ts says why it exists). One
// long-lived child; requests go out as JSON lines, outcomes come back as
// frames (spawner-protocol.ts). If the spawner dies, pending and later
// requests answer null and runner.run() starts the command itself.

import { spawn, type ChildProcess } from 'node:child_process';
import { nodeArgs, ownScript } from './own-script.js';
import { OutcomeDecoder, type DecodedOutcome, type SpawnerRequest } from './spawner-protocol.js';

// Like the watchdog, the spawner is always its own file so its process stays small.
const SCRIPT = ownScript(import.meta.url, 'spawner', './host/spawner.js');

export interface SpawnerRun {
  timeoutMs: number;
  maxBuffer: number;
  digest?: { previous: string | null };
  signal?: AbortSignal;
}

export class SpawnerClient {
  private child: ChildProcess | null;
  private nextId = 1;
  private readonly pending = new Map<number, (o: DecodedOutcome | null) => void>();
  private readonly decoder = new OutcomeDecoder();

  constructor() {
    const child = spawn(process.execPath, nodeArgs(SCRIPT), {
      stdio: ['pipe', 'pipe', 'inherit'],
      // Its own group, like every child: a terminal's signals go to the TUI,
      // which ends the spawner by closing its stdin.
      detached: true,
      env: process.env,
    });
    this.child = child;
    child.stdout!.on('data', (b: Buffer) => this.decoder.push(b, (o) => this.settle(o.header.id, o)));
    child.on('error', () => this.gone());
    child.on('exit', () => this.gone());
    child.stdin!.on('error', () => this.gone());
    this.idle();
  }

  /** pid of the spawner process (null once it is gone). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get alive(): boolean {
    return this.child !== null;
  }

  /** Run `file args`; null when the spawner is not (or no longer) there. */
  run(file: string, args: string[], opts: SpawnerRun): Promise<DecodedOutcome | null> {
    const child = this.child;
    if (child === null) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onAbort = () => this.write({ op: 'kill', id });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, (o) => {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      });
      this.busy();
      this.write({ op: 'run', id, file, args, timeoutMs: opts.timeoutMs, maxBuffer: opts.maxBuffer, ...(opts.digest ? { digest: opts.digest } : {}) });
    });
  }

  /** End the spawner (it kills what it still runs). */
  close(): void {
    const child = this.child;
    if (child === null) return;
    child.stdin?.end();
    this.gone();
  }

  private write(req: SpawnerRequest): void {
    this.child?.stdin?.write(`${JSON.stringify(req)}\n`);
  }

  private settle(id: number, o: DecodedOutcome | null): void {
    const done = this.pending.get(id);
    if (!done) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.idle();
    done(o);
  }

  private gone(): void {
    if (this.child === null) return;
    this.child = null;
    for (const id of [...this.pending.keys()]) this.settle(id, null);
  }

  // The spawner must not keep a finished program alive: its pipes hold the
  // event loop only while a request is out.
  private idle(): void {
    this.child?.unref();
    (this.child?.stdout as { unref?: () => void } | undefined)?.unref?.();
    (this.child?.stdin as { unref?: () => void } | undefined)?.unref?.();
  }

  private busy(): void {
    this.child?.ref();
    (this.child?.stdout as { ref?: () => void } | undefined)?.ref?.();
    (this.child?.stdin as { ref?: () => void } | undefined)?.ref?.();
  }
}
