// Signalling a child's process group, shared by runner.ts and the spawner
// process (spawner.ts). No imports: the spawner stays a small process.

/** Time between SIGTERM and SIGKILL, and after SIGKILL before the pipes are cut. */
export const KILL_GRACE_MS = 1_000;

/** Send a signal to the child's whole process group (children are spawned detached). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    // Only the group: a lone pid may already belong to someone else.
    process.kill(-pid, signal);
  } catch {
    /* the whole group is gone */
  }
}

/**
 * Stop a child: SIGTERM to its group now, SIGKILL after the grace time, and
 * after another grace time cut its pipes (a process that escaped the group
 * may still hold them open). The timers go into `timers` for the caller to
 * clear when the child ends; `unref` keeps them from holding the event loop.
 */
export function stopGroup(
  pid: number | undefined,
  pipes: ReadonlyArray<{ destroy(): void } | null | undefined>,
  timers: NodeJS.Timeout[],
  unref: boolean,
): void {
  const later = (f: () => void) => {
    const t = setTimeout(f, KILL_GRACE_MS);
    if (unref) t.unref();
    timers.push(t);
  };
  killGroup(pid, 'SIGTERM');
  later(() => {
    killGroup(pid, 'SIGKILL');
    later(() => {
      for (const p of pipes) p?.destroy();
    });
  });
}
