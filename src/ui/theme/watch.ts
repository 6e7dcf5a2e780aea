// Hot reload of the active theme file. The directory is watched rather than
// the file: editors save by writing a temp file and renaming it over the
// original, which a watch on the old inode would miss.
import path from 'node:path';
import { watch } from 'chokidar';
import { loadThemeFile } from './load.js';
import type { Theme } from './schema.js';

export interface ThemeWatch {
  close(): Promise<void>;
  /** Resolves once the watcher is ready (tests wait for it before writing). */
  ready: Promise<void>;
}

export function watchThemeFile(
  file: string,
  onTheme: (theme: Theme) => void,
  onError: (message: string) => void,
): ThemeWatch {
  const abs = path.resolve(file);
  const watcher = watch(path.dirname(abs), {
    ignoreInitial: true,
    depth: 0,
    ignored: (p: string) => p !== path.dirname(abs) && p !== abs,
    // Wait for the write to settle so a half-written file is not reported as broken.
    awaitWriteFinish: { stabilityThreshold: 80, pollInterval: 20 },
  });
  let seq = 0;
  const reload = () => {
    const mine = ++seq;
    void loadThemeFile(abs).then((r) => {
      if (mine !== seq) return; // a newer change is being read
      if (r.ok) onTheme(r.value);
      else onError(r.error);
    });
  };
  watcher.on('add', reload);
  watcher.on('change', reload);
  watcher.on('unlink', () => onError(`${abs}: theme file removed; keeping the current theme`));
  watcher.on('error', (e) => onError(`watching ${abs}: ${e instanceof Error ? e.message : String(e)}`));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { close: () => watcher.close(), ready };
}
