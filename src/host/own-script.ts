// Where a script of ours that runs as its own process or thread lives (the
// rollback watchdog, the spawner, status's conntrack worker): next to the
// module that starts it (src/ under tsx in tests, dist/ as tsc writes it), or,
// when that module runs from the bundle dist/cli.js (scripts/bundle.mjs), at
// its own path under dist/: the bundle is one file, these scripts are not.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OwnScript {
  url: URL;
  file: string;
  /** TypeScript run through tsx (the caller runs from src/). */
  ts: boolean;
}

/**
 * `callerUrl` is the starting module's import.meta.url, `name` the script's
 * file name next to it without extension, `inDist` its path relative to
 * dist/ (used from the bundle).
 */
export function ownScript(callerUrl: string, name: string, inDist: string): OwnScript {
  const here = fileURLToPath(callerUrl);
  const ts = here.endsWith('.ts');
  const url = new URL(path.basename(here) === 'cli.js' ? inDist : `./${name}${ts ? '.ts' : '.js'}`, callerUrl);
  return { url, file: fileURLToPath(url), ts };
}

/** Node's arguments that run the script as a process (through tsx from src/). */
export function nodeArgs(s: OwnScript): string[] {
  return s.ts ? ['--import', import.meta.resolve('tsx'), s.file] : [s.file];
}
