// What every source adapter hands back to the live source: raw text per
// capture file, a plain reason for each file it could not produce, notes, and
// how long each command took (for the status line and scripts/bench).

import type { CaptureFile } from '../../core/types.js';
import { isRunError } from '../runner.js';

export interface SourceOptions {
  netns?: string;
  /** Per-command time limit (ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SourceResult {
  files: Partial<Record<CaptureFile, string>>;
  unavailable: Partial<Record<CaptureFile, string>>;
  notes: string[];
  /** label (e.g. "iptables-nft-save -c") -> milliseconds. */
  timings: Record<string, number>;
  /** true when some command failed for lack of privileges. */
  permissionDenied?: boolean;
}

export function emptyResult(): SourceResult {
  return { files: {}, unavailable: {}, notes: [], timings: {} };
}

/** A plain one-line reason from anything thrown by the runner or an adapter. */
export function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isPermissionError(e: unknown): boolean {
  return isRunError(e) && e.kind === 'permission';
}

export function mergeResults(results: SourceResult[]): SourceResult {
  const out = emptyResult();
  for (const r of results) {
    Object.assign(out.files, r.files);
    Object.assign(out.unavailable, r.unavailable);
    out.notes.push(...r.notes);
    Object.assign(out.timings, r.timings);
    if (r.permissionDenied) out.permissionDenied = true;
  }
  return out;
}

/** Run `fn` over `items` with at most `limit` in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
