// The root: composes the providers (theme, UI state, host data, findings,
// action configuration) around the screen. No logic lives here.
import type { ActionsConfig } from './actions/backend.js';
import { ActionsProvider } from './actions/context.js';
import type { Feeds, Loader } from './data/sample.js';
import { DataProvider } from './data/context.js';
import { FindingsProvider } from './findings/context.js';
import { UiStateProvider } from './state/context.js';
import type { UiState } from './state/types.js';
import { ThemeProvider } from './theme/context.js';
import type { Theme } from './theme/schema.js';
import { Screen } from './views/Screen.js';

export interface AppProps {
  load: Loader;
  intervalMs: number;
  readOnly: boolean;
  theme: Theme;
  /** The theme file to hot-reload; null for the built-in default. */
  themeFile: string | null;
  noColor: boolean;
  /** Shown until the theme file reloads cleanly (e.g. the file was broken at start). */
  themeWarning?: string | null;
  feeds?: Feeds;
  /** Start from this UI state (tests). */
  initialState?: UiState;
  /** Where guided actions apply (backend, confirm timeout); default: previews only. Tests inject a fake backend. */
  actions?: ActionsConfig;
}

export function App(props: AppProps) {
  return (
    <ThemeProvider initial={props.theme} file={props.themeFile} noColor={props.noColor} warning={props.themeWarning ?? null}>
      <UiStateProvider readOnly={props.readOnly} {...(props.initialState ? { initial: props.initialState } : {})}>
        <DataProvider load={props.load} intervalMs={props.intervalMs} {...(props.feeds ? { feeds: props.feeds } : {})}>
          <FindingsProvider>
            <ActionsProvider config={props.actions}>
              <Screen intervalMs={props.intervalMs} />
            </ActionsProvider>
          </FindingsProvider>
        </DataProvider>
      </UiStateProvider>
    </ThemeProvider>
  );
}
