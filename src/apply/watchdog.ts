// The rollback watchdog: a detached process (its own session: setsid via
// spawn's `detached`, stdio ignored, unref'd) that outlives the CLI, a
// killed terminal or a dropped SSH session. At the deadline it restores the
// owned chains of the pending transaction unless the transaction was
// confirmed (or rolled back) first: claiming is a rename of pending.json
// (see state.ts), so confirm and expiry cannot both win.
//
//   node dist/apply/watchdog.js --state-dir DIR --id TXID   (started by launch.ts)
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { acquireLock, appendJournal, claimPending, logWatchdog, readPending } from './state.js';
import { restoreOwned } from './transaction.js';

const SELF = fileURLToPath(import.meta.url);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function watchdogMain(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const stateDir = arg('--state-dir');
  const id = arg('--id');
  if (!stateDir || !id) {
    process.stderr.write('usage: watchdog --state-dir DIR --id TXID\n');
    return 2;
  }
  // Nothing a terminal or session does may stop the rollback.
  for (const sig of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGPIPE'] as const) process.on(sig, () => {});
  logWatchdog(stateDir, `${id}: watchdog ${process.pid} armed`);
  for (;;) {
    const p = readPending(stateDir);
    if (!p || p.id !== id) {
      logWatchdog(stateDir, `${id}: no longer pending (confirmed, rolled back or failed); watchdog exits`);
      return 0;
    }
    const left = p.deadline - Date.now();
    if (left > 0) {
      await sleep(Math.min(left, 200));
      continue;
    }
    const release = await acquireLock(stateDir, 60_000);
    try {
      const taken = claimPending(stateDir, id, 'expired');
      if (!taken) {
        logWatchdog(stateDir, `${id}: confirmed at the last moment; nothing to do`);
        return 0;
      }
      logWatchdog(stateDir, `${id}: deadline passed without confirmation; restoring the previous owned chains`);
      let result = await restoreOwned(taken.families, taken.id, taken.netns ?? undefined);
      if (result.outcome === 'failed') {
        // One retry: a transient lock or a racing Docker write.
        await sleep(1000);
        result = await restoreOwned(taken.families, taken.id, taken.netns ?? undefined);
      }
      appendJournal(stateDir, {
        id: taken.id,
        netns: taken.netns,
        event: 'rollback',
        reason: 'deadline',
        outcome: result.outcome,
        families: result.families,
        ...(result.error ? { error: result.error } : {}),
        timings: { restoreMs: result.ms },
      });
      logWatchdog(stateDir, `${id}: ${result.outcome}${result.error ? `: ${result.error}` : ''} (${result.ms} ms)`);
      return result.outcome === 'failed' ? 1 : 0;
    } finally {
      release();
    }
  }
}

const invoked = process.argv[1] ? pathToFileURL(process.argv[1]).href === import.meta.url : false;
if (invoked && existsSync(SELF)) {
  watchdogMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const dir = process.argv[process.argv.indexOf('--state-dir') + 1];
      if (dir) logWatchdog(dir, `watchdog ${process.pid} crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
