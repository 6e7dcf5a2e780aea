// Host data for the views: the polling hook and the live feeds, composed
// once, read anywhere with useHost(). Separate from UI state so a refresh
// does not touch the reducer and a key press does not touch the data.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useDockerEvents } from '../hooks/useDockerEvents.js';
import { useConntrackFlows, type LiveFlows } from '../hooks/useConntrackFlows.js';
import { EMPTY_DATA, useHostModel, type HostData } from '../hooks/useHostModel.js';
import { refreshPaused } from '../state/reducer.js';
import { useUiState } from '../state/context.js';
import type { Feeds, Loader } from './sample.js';

export interface HostContext {
  data: HostData;
  refreshNow: () => void;
  /** Flows kept live by conntrack events between reads (null: use the sample's). */
  live: LiveFlows | null;
  /** A live feed that is failing (the rest keeps working). */
  feedErrors: string[];
  /** Time of the last good read, including reads that changed nothing (and so no data). */
  lastOk: () => number | null;
}

const Ctx = createContext<HostContext>({ data: EMPTY_DATA, refreshNow: () => undefined, live: null, feedErrors: [], lastOk: () => null });

export function DataProvider(props: { load: Loader; intervalMs: number; feeds?: Feeds; children: ReactNode }) {
  const ui = useUiState();
  const paused = refreshPaused(ui);
  const { data, refreshNow, patchSample, lastOk } = useHostModel(props.load, { intervalMs: props.intervalMs, paused });
  const [dockerError, setDockerError] = useState<string | null>(null);
  const onDockerEvent = useCallback(() => {
    if (!paused) refreshNow();
  }, [paused, refreshNow]);
  useDockerEvents(props.feeds?.docker, onDockerEvent, setDockerError);
  const { live, error: ctError } = useConntrackFlows(props.feeds?.conntrack, data.sample, paused, props.feeds?.samples, patchSample);
  const value = useMemo<HostContext>(
    () => ({ data, refreshNow, live, feedErrors: [dockerError, ctError].filter((e): e is string => !!e), lastOk }),
    [data, refreshNow, live, dockerError, ctError, lastOk],
  );
  return <Ctx.Provider value={value}>{props.children}</Ctx.Provider>;
}

export function useHost(): HostContext {
  return useContext(Ctx);
}
