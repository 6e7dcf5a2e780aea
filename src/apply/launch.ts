// Starts the rollback watchdog (watchdog.ts) as a detached process.
// node:child_process is used directly, not the runner: the runner (execa) is
// for commands whose output we wait for and whose process group we kill on
// exit; the watchdog is the one process we must NOT wait for or take down.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const EXT = HERE.endsWith('.ts') ? '.ts' : '.js';
const WATCHDOG = fileURLToPath(new URL(`./watchdog${EXT}`, import.meta.url));

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
  const child = spawn(process.execPath, [...watchdogArgv(), '--state-dir', stateDir, '--id', id], {
    detached: true, // setsid(): own session and process group, no controlling terminal, no SIGHUP
    stdio: 'ignore', // it logs to STATE/watchdog.log itself
    cwd: '/',
    env: { ...process.env, PORTCULLIS_WATCHDOG: '1' },
  });
  child.unref();
  if (!child.pid) throw new Error('spawn returned no pid');
  return child.pid;
}

