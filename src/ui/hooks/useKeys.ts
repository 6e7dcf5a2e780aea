// The one input subscription: every key goes through the keymap
// (resolveCommand) to reducer actions and effects (state/commands.ts).
// The latest state is kept in a ref and advanced locally for multi-key
// input, so a burst like "/web⏎" is read in order even before React has
// re-rendered.
import { useApp, useInput } from 'ink';
import { useMemo, useRef } from 'react';
import { commandsFor } from '../keymap.js';
import { inputToResult, type KeyContext } from '../state/commands.js';
import { useUiDispatch, useUiState } from '../state/context.js';
import type { UiState } from '../state/types.js';

export function useKeys(ctx: KeyContext, refreshNow: () => void, active = true): void {
  const state = useUiState();
  const dispatch = useUiDispatch();
  const { exit } = useApp();
  const commands = useMemo(() => commandsFor(state.readOnly), [state.readOnly]);
  const latest = useRef<UiState>(state);
  latest.current = state;
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;
  useInput(
    (input, key) => {
      const r = inputToResult(latest.current, commands, input, key, ctxRef.current);
      latest.current = r.state;
      for (const a of r.actions) dispatch(a);
      for (const e of r.effects) {
        if (e === 'refresh') refreshNow();
        if (e === 'quit') exit();
      }
    },
    { isActive: active },
  );
}
