// Finding, reading, validating and merging theme files. A theme file only
// overrides the tokens it names; the rest come from the default theme, so a
// user theme can be three lines long. Errors are returned, never thrown: the
// caller decides to keep the previous theme and show a warning.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_THEME_FILE } from './default.js';
import { TOKENS, themeFileSchema, type Style, type Theme, type ThemeFile, type Token, type TokenValue } from './schema.js';

/**
 * themes/ at the package root: three levels up from src/ui/theme or
 * dist/ui/theme, one up from the bundle dist/cli.js (scripts/bundle.mjs).
 */
export const BUILTIN_THEME_DIR = fileURLToPath(
  new URL(path.basename(fileURLToPath(import.meta.url)) === 'cli.js' ? '../themes/' : '../../../themes/', import.meta.url),
);

/** $XDG_CONFIG_HOME/portcullis/themes, else ~/.config/portcullis/themes. */
export function userThemeDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] && path.isAbsolute(env['XDG_CONFIG_HOME']) ? env['XDG_CONFIG_HOME'] : path.join(os.homedir(), '.config');
  return path.join(base, 'portcullis', 'themes');
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/**
 * `--theme NAME|FILE` to a file path. A value with a slash or ending in
 * .json is a file; a name is looked up in the user's theme dir first (so a
 * user can shadow a built-in), then in the built-in dir.
 */
export async function locateTheme(
  spec: string,
  dirs: { user: string; builtin: string } = { user: userThemeDir(), builtin: BUILTIN_THEME_DIR },
): Promise<Result<string>> {
  if (spec.includes('/') || spec.endsWith('.json')) return { ok: true, value: path.resolve(spec) };
  if (!NAME_RE.test(spec)) return { ok: false, error: `--theme: "${spec}" is neither a theme name nor a .json file` };
  for (const dir of [dirs.user, dirs.builtin]) {
    const p = path.join(dir, `${spec}.json`);
    try {
      await readFile(p);
      return { ok: true, value: p };
    } catch {
      // not in this dir; try the next
    }
  }
  return { ok: false, error: `--theme: no theme "${spec}" in ${dirs.user} or ${dirs.builtin}` };
}

/** Parse and validate the text of a theme file; the error names the first bad token. */
export function parseThemeText(text: string, source: string): Result<ThemeFile> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const r = themeFileSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first && first.path.length ? first.path.join('.') : 'file';
    return { ok: false, error: `${source}: ${where}: ${first?.message ?? 'invalid theme'}` };
  }
  return { ok: true, value: r.data };
}

function toStyle(v: TokenValue | undefined): Style | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? { fg: v } : { ...v };
}

function tokenValue(f: ThemeFile, t: Token): TokenValue | undefined {
  const [a, b] = t.split('.') as [string, string | undefined];
  const top = (f as Record<string, unknown>)[a];
  if (b === undefined) return top as TokenValue | undefined;
  return (top as Record<string, TokenValue | undefined> | undefined)?.[b];
}

/** Each token the file sets replaces the default's token whole (no per-field mixing: predictable). */
export function resolveTheme(file: ThemeFile, base: ThemeFile = DEFAULT_THEME_FILE): Theme {
  const tokens = {} as Record<Token, Style>;
  for (const t of TOKENS) tokens[t] = toStyle(tokenValue(file, t)) ?? toStyle(tokenValue(base, t)) ?? {};
  return { name: file.name ?? base.name ?? 'custom', tokens };
}

export const DEFAULT_THEME: Theme = resolveTheme(DEFAULT_THEME_FILE);

/**
 * NO_COLOR / --no-color: drop every colour, keep attributes. A selection
 * that was only a background colour becomes inverse so it stays visible.
 */
export function withoutColor(theme: Theme): Theme {
  const tokens = {} as Record<Token, Style>;
  for (const t of TOKENS) {
    const { fg: _fg, bg, ...rest } = theme.tokens[t];
    tokens[t] = t === 'selection' && bg !== undefined ? { ...rest, inverse: true } : rest;
  }
  return { name: theme.name, tokens };
}

/** Read + validate + merge one theme file. */
export async function loadThemeFile(file: string): Promise<Result<Theme>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { ok: false, error: `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const parsed = parseThemeText(text, file);
  if (!parsed.ok) return parsed;
  const name = parsed.value.name ?? path.basename(file, '.json');
  return { ok: true, value: resolveTheme({ ...parsed.value, name }) };
}

/** NO_COLOR is honoured when present and non-empty (no-color.org). */
export function noColorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env['NO_COLOR'] === 'string' && env['NO_COLOR'] !== '';
}
