// The action / explain dialog: head, the scrolled window of its body, foot
// (present/flow-lines.ts builds the lines). Owns a clock only while a
// countdown or a spinner is on screen.
import { Box } from 'ink';
import { useActions } from '../actions/context.js';
import type { Flow } from '../actions/types.js';
import { useNow } from '../hooks/useNow.js';
import { flowLayout, flowScroll } from '../present/flow-lines.js';
import { Line } from './Line.js';

export function FlowPanel(props: { flow: Flow; width: number; height: number }) {
  const cfg = useActions();
  const step = props.flow.step.step;
  // The clock only re-renders; the time is read now, so a countdown that just appeared is right at once.
  useNow(step === 'pending' ? 250 : step === 'busy' ? 120 : 3_600_000);
  const now = Date.now();
  const l = flowLayout(props.flow, { width: props.width, now, confirmTimeoutSec: cfg.confirmTimeoutSec, where: cfg.where, previewOnly: cfg.previewOnly });
  const { max, room } = flowScroll(l, props.height);
  const s = props.flow.step;
  const scroll = s.step === 'preview' || s.step === 'result' ? Math.min(s.scroll, max) : 0;
  const body = l.body.slice(scroll, scroll + room);
  const more = l.body.length > room ? ` (${scroll + 1}-${scroll + body.length} of ${l.body.length}, ↑↓ scroll)` : '';
  const lines = [...l.head, ...body, ...l.foot].slice(0, props.height);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      {lines.map((segs, i) => (
        <Line key={i} segments={i === 0 && more ? [...segs, { text: more, tone: 'muted' }] : segs} width={props.width} separator="" />
      ))}
    </Box>
  );
}
