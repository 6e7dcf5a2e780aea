// The status line; owns the refresh-age clock, which re-renders only when
// the age label changes (see refreshAgeLabel).
import { useHost } from '../data/context.js';
import { useRefreshAge } from '../hooks/useRefreshAge.js';
import { statusSegments } from '../present/status.js';
import { Line } from './Line.js';

export function StatusBar(props: { width: number; paused: boolean; dialogOpen: boolean; readOnly: boolean; intervalMs: number }) {
  const { data, feedErrors, lastOk } = useHost();
  const age = useRefreshAge(lastOk, data.lastOk, props.intervalMs);
  const segs = statusSegments({ data, age, paused: props.paused, dialogOpen: props.dialogOpen, readOnly: props.readOnly, intervalMs: props.intervalMs, feedErrors });
  return <Line segments={segs} width={props.width} separator=" │ " />;
}
