// The built-in default theme (dark backgrounds). Kept in code so the UI
// works even when the themes/ directory is missing from a package; the test
// suite checks themes/dark.json says the same thing.
import type { ThemeFile } from './schema.js';

export const DEFAULT_THEME_FILE: ThemeFile = {
  name: 'dark',
  status: { ok: 'green', warn: 'yellow', error: { fg: 'redBright', bold: true } },
  traffic: { accept: 'green', drop: 'red' },
  diff: { added: 'green', removed: 'red' },
  delta: { up: 'greenBright', down: 'yellowBright' },
  text: {},
  muted: 'gray',
  accent: 'cyan',
  border: 'gray',
  title: { fg: 'cyanBright', bold: true },
  header: { bold: true, underline: false },
  selection: { fg: 'black', bg: 'cyan' },
};
