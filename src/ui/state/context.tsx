// State and dispatch in separate contexts: components that only dispatch
// (key handling) do not re-render when state changes.
import { createContext, useContext, useReducer, type Dispatch, type ReactNode } from 'react';
import { initialState, reducer } from './reducer.js';
import type { Action, UiState } from './types.js';

const StateContext = createContext<UiState | null>(null);
const DispatchContext = createContext<Dispatch<Action> | null>(null);

export function UiStateProvider(props: { readOnly: boolean; initial?: UiState; children: ReactNode }) {
  const [state, dispatch] = useReducer(reducer, props.initial ?? initialState({ readOnly: props.readOnly }));
  return (
    <DispatchContext.Provider value={dispatch}>
      <StateContext.Provider value={state}>{props.children}</StateContext.Provider>
    </DispatchContext.Provider>
  );
}

export function useUiState(): UiState {
  const s = useContext(StateContext);
  if (!s) throw new Error('useUiState outside UiStateProvider');
  return s;
}

export function useUiDispatch(): Dispatch<Action> {
  const d = useContext(DispatchContext);
  if (!d) throw new Error('useUiDispatch outside UiStateProvider');
  return d;
}
