// Wire format between runner.ts and the spawner process (spawner.ts).
// Requests are JSON lines (small); a finished command comes back as one
// binary frame so megabytes of output are not escaped into JSON:
//   [uint32 BE header length][header JSON][stdout bytes][stderr bytes]
// This file imports only node:crypto so the spawner stays a small, fast-loading process.

import { createHash } from 'node:crypto';

export interface RunRequest {
  op: 'run';
  id: number;
  /** Absolute path (the runner resolved it) and arguments: never a shell. */
  file: string;
  args: string[];
  timeoutMs: number;
  maxBuffer: number;
  /** Digest the output (outputDigest); when it equals `previous`, send no output back. */
  digest?: { previous: string | null };
}

/** Stop a running request; it then ends with stopReason 'aborted'. */
export interface KillRequest {
  op: 'kill';
  id: number;
}

export type SpawnerRequest = RunRequest | KillRequest;

/** How a command ended, in the terms runner.run() classifies. */
export interface RunOutcomeHeader {
  id: number;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  /** errno code when the command could not be started (ENOENT, EACCES...). */
  code: string | null;
  stopReason: 'timeout' | 'aborted' | null;
  maxBuffer: boolean;
  stdoutBytes: number;
  stderrBytes: number;
  /** outputDigest of stdout when the request asked for it. */
  digest?: string;
  /** It equalled the request's `previous`: stdout was not sent. */
  unchanged?: boolean;
}

/**
 * SHA-1 of the output without its lines that start with `#`: iptables-save
 * writes its date there, so two dumps of an unchanged ruleset (counters
 * included) have the same digest. Spans between comment lines are hashed
 * whole, not line by line (20,000 rules).
 */
export function outputDigest(b: Buffer): string {
  const h = createHash('sha1');
  const len = b.length;
  let from = 0; // always the start of a line
  while (from < len) {
    let c = b[from] === 35 /* # */ ? from : b.indexOf('\n#', from);
    if (c < 0) {
      h.update(b.subarray(from));
      break;
    }
    if (c !== from) {
      c += 1; // the comment line starts after the newline
      h.update(b.subarray(from, c));
    }
    const e = b.indexOf(10, c);
    from = e < 0 ? len : e + 1;
  }
  return h.digest('hex');
}

export function encodeOutcome(h: RunOutcomeHeader, stdout: Buffer[], stderr: Buffer[]): Buffer[] {
  const head = Buffer.from(JSON.stringify(h), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length, 0);
  return [len, head, ...stdout, ...stderr];
}

export interface DecodedOutcome {
  header: RunOutcomeHeader;
  stdout: string;
  stderr: string;
}

/**
 * Reassembles frames from stdout chunks. Chunks are kept in a list and joined
 * once a frame is complete (a 16 MB conntrack dump arrives in 64 kB pieces;
 * concatenating on every chunk would copy it hundreds of times).
 */
export class OutcomeDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  private header: RunOutcomeHeader | null = null;
  private headerEnd = 0;

  push(chunk: Buffer, emit: (o: DecodedOutcome) => void): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.header === null) {
        if (this.size < 4) return;
        const buf = this.flat();
        const n = buf.readUInt32BE(0);
        if (this.size < 4 + n) return;
        this.header = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as RunOutcomeHeader;
        this.headerEnd = 4 + n;
      }
      const h = this.header;
      const total = this.headerEnd + h.stdoutBytes + h.stderrBytes;
      if (this.size < total) return;
      const buf = this.flat();
      const a = this.headerEnd;
      const b = a + h.stdoutBytes;
      const out: DecodedOutcome = {
        header: h,
        stdout: buf.toString('utf8', a, b),
        stderr: buf.toString('utf8', b, total),
      };
      const rest = buf.subarray(total);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.header = null;
      emit(out);
    }
  }

  private flat(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!;
  }
}
