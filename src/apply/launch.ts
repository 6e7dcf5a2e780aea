// Starts the rollback watchdog (watchdog.ts) as a detached process: the one
// process we must NOT wait for or take down with us (runner.spawnDetached).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnDetached } from '../host/runner.js';

const HERE = fileURLToPath(import.meta.url);
const EXT = HERE.endsWith('.ts') ? '.ts' : '.js';
// Next to this file (src/apply, or dist/apply as tsc writes it); when this
// code runs from the bundle dist/cli.js (scripts/bundle.mjs), in dist/apply.
// The watchdog is always its own file and its own process.
const BUNDLED = path.basename(HERE) === 'cli.js';
const WATCHDOG = fileURLToPath(new URL(BUNDLED ? './apply/watchdog.js' : `./watchdog${EXT}`, import.meta.url));

/** argv that runs this file: from dist (`.js`) with plain node, from src (`.ts`, tests) through tsx. */
function watchdogArgv(): string[] {
  if (EXT === '.ts') {
    const tsx = import.meta.resolve('tsx');
    return ['--import', tsx, WATCHDOG];
  }
  return [WATCHDOG];
}

/** Start the watchdog for pending transaction `id`; returns its pid. */
export function launchWatchdog(stateDir: string, id: string): number {
  // It logs to STATE/watchdog.log itself; detached means no SIGHUP when the SSH session drops.
  return spawnDetached([process.execPath, ...watchdogArgv(), '--state-dir', stateDir, '--id', id], {
    env: { ...process.env, PORTCULLIS_WATCHDOG: '1' },
  });
}

