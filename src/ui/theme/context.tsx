// The active theme and the last theme warning, for every component. Only
// the provider knows about files; components ask for a token's style.
import { createContext, useContext, type ReactNode } from 'react';
import { DEFAULT_THEME } from './load.js';
import type { Style, Theme, Token } from './schema.js';
import { useThemeReload } from '../hooks/useThemeReload.js';

export interface ThemeState {
  theme: Theme;
  /** Why the last reload was refused (the previous theme stays); null when fine. */
  warning: string | null;
}

const ThemeContext = createContext<ThemeState>({ theme: DEFAULT_THEME, warning: null });

export function ThemeProvider(props: { initial: Theme; file: string | null; noColor: boolean; warning?: string | null; children: ReactNode }) {
  const state = useThemeReload(props.initial, props.file, props.noColor, props.warning ?? null);
  return <ThemeContext.Provider value={state}>{props.children}</ThemeContext.Provider>;
}

export function useThemeState(): ThemeState {
  return useContext(ThemeContext);
}

/** Text props for a token, e.g. <Text {...useStyle('status.ok')}>. */
export function styleProps(s: Style): { color?: string; backgroundColor?: string; bold?: boolean; dimColor?: boolean; inverse?: boolean; underline?: boolean } {
  const out: ReturnType<typeof styleProps> = {};
  if (s.fg) out.color = s.fg;
  if (s.bg) out.backgroundColor = s.bg;
  if (s.bold) out.bold = true;
  if (s.dim) out.dimColor = true;
  if (s.inverse) out.inverse = true;
  if (s.underline) out.underline = true;
  return out;
}

export function useStyle(token: Token) {
  return styleProps(useContext(ThemeContext).theme.tokens[token]);
}
