// The screen: tab bar, status line, the current view (or help), the info
// line and the footer, sized to the terminal. Height is rows - 1 on
// purpose: Ink redraws the whole screen (clear + full repaint) whenever its
// output is as tall as the terminal, which flickers and costs bandwidth on
// a slow SSH link; one spare line keeps it on incremental updates.
import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { Footer } from '../components/Footer.js';
import { HelpScreen } from '../components/HelpScreen.js';
import { InfoLine } from '../components/InfoLine.js';
import { StatusBar } from '../components/StatusBar.js';
import { TabBar } from '../components/TabBar.js';
import { useHost } from '../data/context.js';
import { useKeys } from '../hooks/useKeys.js';
import { useTerminalSize } from '../hooks/useTerminalSize.js';
import { listRows, withSelection } from '../present/select.js';
import { viewData } from '../present/view-data.js';
import { modeOf } from '../state/reducer.js';
import { useUiState } from '../state/context.js';
import { styleProps, useThemeState } from '../theme/context.js';
import { Flows } from './Flows.js';
import { Interfaces } from './Interfaces.js';
import { Overview } from './Overview.js';
import { PortDetail } from './PortDetail.js';
import { Rules } from './Rules.js';

export const MIN_ROWS = 8;

export function Screen(props: { intervalMs: number }) {
  const size = useTerminalSize();
  const state = useUiState();
  const { theme } = useThemeState();
  const { data, refreshNow, live } = useHost();
  const vd = useMemo(() => viewData(data, live), [data, live]);
  const { view, filters, sorts, detailPort } = state;
  const list = useMemo(() => listRows(view, vd, { filters, sorts, detailPort }), [view, vd, filters, sorts, detailPort]);
  const vr = useMemo(() => withSelection(list, state.cursors[view]), [list, state.cursors, view]);

  const width = Math.max(20, size.columns);
  const height = Math.max(MIN_ROWS, size.rows - 1);
  const helpOpen = state.dialog === 'help';
  const bodyHeight = height - (helpOpen ? 2 : 4);
  const listHeight = view === 'detail' ? bodyHeight - 2 : bodyHeight - 1;
  useKeys({ keys: vr.keys, selectedOpen: vr.selectedOpen, pageSize: Math.max(1, listHeight) }, refreshNow);

  let body;
  if (helpOpen) body = <HelpScreen readOnly={state.readOnly} width={width} height={bodyHeight} />;
  else if (!vd) {
    body = (
      <Box height={bodyHeight} width={width}>
        <Text wrap="truncate-end" {...styleProps(data.error ? theme.tokens['status.error'] : theme.tokens.muted)}>
          {data.error ? `  cannot read the host: ${data.error}` : '  reading the host…'}
        </Text>
      </Box>
    );
  } else if (view === 'overview') body = <Overview vr={vr} width={width} height={bodyHeight} />;
  else if (view === 'detail') body = <PortDetail vr={vr} vd={vd} portKey={state.detailPort} width={width} height={bodyHeight} />;
  else if (view === 'rules') body = <Rules vr={vr} width={width} height={bodyHeight} />;
  else if (view === 'flows') body = <Flows vr={vr} width={width} height={bodyHeight} />;
  else body = <Interfaces vr={vr} width={width} height={bodyHeight} />;

  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {helpOpen ? null : <TabBar view={view} width={width} />}
      {helpOpen ? null : (
        <StatusBar width={width} paused={state.paused} dialogOpen={state.dialog !== null} readOnly={state.readOnly} intervalMs={props.intervalMs} />
      )}
      <Box height={bodyHeight} width={width} overflow="hidden" flexDirection="column">
        {body}
      </Box>
      <InfoLine state={state} width={width} shown={vr.rows.length} total={vr.total} warnings={vd?.sample.model.warnings ?? []} />
      <Footer mode={modeOf(state)} readOnly={state.readOnly} width={width} />
    </Box>
  );
}
