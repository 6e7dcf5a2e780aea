// The action configuration (backend, confirm timeout, SSH client) for the
// dialogs and the runner; set once by the caller (commands/tui.tsx, tests).
import { createContext, useContext, type ReactNode } from 'react';
import { PREVIEW_ONLY, type ActionsConfig } from './backend.js';

const Ctx = createContext<ActionsConfig>(PREVIEW_ONLY);

export function ActionsProvider(props: { config: ActionsConfig | undefined; children: ReactNode }) {
  return <Ctx.Provider value={props.config ?? PREVIEW_ONLY}>{props.children}</Ctx.Provider>;
}

export function useActions(): ActionsConfig {
  return useContext(Ctx);
}
