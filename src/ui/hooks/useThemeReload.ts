// One subscription: the chokidar watch on the active theme file. A reload
// that fails validation keeps the previous theme and records a warning.
import { useEffect, useState } from 'react';
import { withoutColor } from '../theme/load.js';
import type { Theme } from '../theme/schema.js';
import { watchThemeFile } from '../theme/watch.js';

export function useThemeReload(
  initial: Theme,
  file: string | null,
  noColor: boolean,
  initialWarning: string | null = null,
): { theme: Theme; warning: string | null } {
  const [state, setState] = useState<{ theme: Theme; warning: string | null }>(() => ({
    theme: noColor ? withoutColor(initial) : initial,
    warning: initialWarning,
  }));
  useEffect(() => {
    if (!file) return;
    const w = watchThemeFile(
      file,
      (t) => setState({ theme: noColor ? withoutColor(t) : t, warning: null }),
      (msg) => setState((s) => ({ theme: s.theme, warning: `theme not reloaded: ${msg}` })),
    );
    return () => {
      void w.close();
    };
  }, [file, noColor]);
  return state;
}
