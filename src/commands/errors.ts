// Exit codes, documented in the README. Kept in one place so scripts can rely on them.
export const EXIT = {
  ok: 0,
  /** Something failed at run time (a source, a write). */
  failure: 1,
  /** Bad arguments: an invalid address, port, name or flag. Nothing was changed. */
  usage: 2,
} as const;

/** An argument the user gave is wrong; the message names it. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError ? EXIT.usage : EXIT.failure;
}
