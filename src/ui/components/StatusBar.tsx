// The status line; owns the one-second clock so only it re-renders for
// "refreshed Ns ago".
import { useNow } from '../hooks/useNow.js';
import { useHost } from '../data/context.js';
import { statusSegments } from '../present/status.js';
import { Line } from './Line.js';

export function StatusBar(props: { width: number; paused: boolean; dialogOpen: boolean; readOnly: boolean; intervalMs: number }) {
  const now = useNow(1000);
  const { data, feedErrors } = useHost();
  const segs = statusSegments({ data, now, paused: props.paused, dialogOpen: props.dialogOpen, readOnly: props.readOnly, intervalMs: props.intervalMs, feedErrors });
  return <Line segments={segs} width={props.width} separator=" │ " />;
}
