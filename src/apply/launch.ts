// Starts the rollback watchdog (watchdog.ts) as a detached process: the one
// process we must NOT wait for or take down with us (runner.spawnDetached).
import { nodeArgs, ownScript } from '../host/own-script.js';
import { spawnDetached } from '../host/runner.js';

// The watchdog is always its own file and its own process.
const WATCHDOG = ownScript(import.meta.url, 'watchdog', './apply/watchdog.js');

/** Start the watchdog for pending transaction `id`; returns its pid. */
export function launchWatchdog(stateDir: string, id: string): number {
  // It logs to STATE/watchdog.log itself; detached means no SIGHUP when the SSH session drops.
  return spawnDetached([process.execPath, ...nodeArgs(WATCHDOG), '--state-dir', stateDir, '--id', id], {
    env: { ...process.env, PORTCULLIS_WATCHDOG: '1' },
  });
}

