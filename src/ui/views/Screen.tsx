// The screen: tab bar, status line, the current view (or help), the info
// line and the footer, sized to the terminal. Height is rows - 1 on
// purpose: Ink redraws the whole screen (clear + full repaint) whenever its
// output is as tall as the terminal, which flickers and costs bandwidth on
// a slow SSH link; one spare line keeps it on incremental updates.
//
// An action dialog (state.flow) takes the body's place; the explain dialog
// takes the place of the port detail's list. Its jobs run in
// useActionRunner, which reads the host again after every change.
import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { useActions } from '../actions/context.js';
import type { FlowContext } from '../actions/flow.js';
import type { Flow } from '../actions/types.js';
import { useActionRunner } from '../actions/useActionRunner.js';
import { FlowPanel } from '../components/FlowPanel.js';
import { Footer } from '../components/Footer.js';
import { HelpScreen } from '../components/HelpScreen.js';
import { InfoLine } from '../components/InfoLine.js';
import { StatusBar } from '../components/StatusBar.js';
import { TabBar } from '../components/TabBar.js';
import { useHost } from '../data/context.js';
import { useKeys } from '../hooks/useKeys.js';
import { useTerminalSize } from '../hooks/useTerminalSize.js';
import { useFindings } from '../findings/context.js';
import { findingRowKey, type FindingsIndex } from '../present/findings-rows.js';
import { flowLayout, flowScroll } from '../present/flow-lines.js';
import { listRows, withSelection, type ViewRows } from '../present/select.js';
import { viewData } from '../present/view-data.js';
import { modeOf } from '../state/reducer.js';
import { useUiState } from '../state/context.js';
import { styleProps, useThemeState } from '../theme/context.js';
import type { CommandId } from '../keymap.js';
import type { UiState } from '../state/types.js';
import { Findings } from './Findings.js';
import { ListView } from './ListView.js';
import { PortDetail } from './PortDetail.js';

export const MIN_ROWS = 8;

/** The port (or bridge) an action key acts on in this view. */
function pointedAt(state: UiState, vr: ViewRows, fx: FindingsIndex | null): { portKey: string | null; bridge: string | null } {
  if (state.view === 'detail') return { portKey: state.detailPort, bridge: null };
  if (state.view === 'overview') return { portKey: vr.selectedOpen?.kind === 'port' ? vr.selectedOpen.portKey : null, bridge: null };
  if (state.view === 'findings' && fx && vr.selectedKey) {
    const f = fx.all.find((x) => findingRowKey(x) === vr.selectedKey);
    if (f?.subject.kind === 'port') return { portKey: f.subject.key, bridge: null };
    if (f?.subject.kind === 'bridge') return { portKey: null, bridge: f.subject.name };
  }
  return { portKey: null, bridge: null };
}

/** What enter does at the dialog's step, for the footer. */
function acceptLabel(flow: Flow | null): Partial<Record<CommandId, string>> {
  const s = flow?.step;
  if (!s) return {};
  const label = s.step === 'choose' ? 'choose' : s.step === 'preview' ? (flow?.plan?.changed ? 'apply' : 'close') : s.step === 'pending' ? 'keep' : s.step === 'result' ? 'close' : 'ok';
  return { dialogAccept: label, dialogCancel: s.step === 'result' ? 'close' : 'cancel', dialogUp: s.step === 'choose' ? 'move' : 'scroll' };
}

export function Screen(props: { intervalMs: number }) {
  const size = useTerminalSize();
  const state = useUiState();
  const { theme } = useThemeState();
  const { data, refreshNow, live } = useHost();
  const actions = useActions();
  const findings = useFindings();
  const vd = useMemo(() => viewData(data, live), [data, live]);
  const { view, filters, sorts, detailPort, detailFinding, flow } = state;
  const width = Math.max(20, size.columns);
  const height = Math.max(MIN_ROWS, size.rows - 1);
  // Only the detail (wrapped finding text) and the findings view depend on these.
  const rowsWidth = view === 'detail' ? width : 0;
  const rowsFindings = view === 'overview' || view === 'detail' || view === 'findings' ? findings : null;
  const list = useMemo(
    () => listRows(view, vd, { filters, sorts, detailPort, detailFinding }, { findings: rowsFindings, width: rowsWidth }),
    [view, vd, filters, sorts, detailPort, detailFinding, rowsFindings, rowsWidth],
  );
  const vr = useMemo(() => withSelection(list, state.cursors[view]), [list, state.cursors, view]);

  const helpOpen = state.dialog === 'help';
  const bodyHeight = height - (helpOpen ? 2 : 4);
  const listHeight = view === 'detail' ? bodyHeight - 2 : bodyHeight - 1;
  const pointed = pointedAt(state, vr, findings);
  const flowCtx: FlowContext = { model: vd?.sample.model ?? null, portKey: pointed.portKey, bridge: pointed.bridge, ssh: actions.ssh };
  // The explain dialog sits under the detail's two summary lines.
  const panelHeight = flow?.kind === 'explain' && view === 'detail' ? bodyHeight - 2 : bodyHeight;
  const scroll = useMemo(() => {
    if (!flow) return { max: 0, room: 1 };
    const l = flowLayout(flow, { width, now: 0, confirmTimeoutSec: actions.confirmTimeoutSec, where: actions.where, previewOnly: actions.previewOnly });
    return flowScroll(l, panelHeight);
  }, [flow, width, panelHeight, actions]);
  useKeys(
    { keys: vr.keys, selectedOpen: vr.selectedOpen, pageSize: Math.max(1, listHeight), flow: flowCtx, scrollMax: scroll.max, dialogPage: scroll.room },
    refreshNow,
  );
  useActionRunner(flow, { config: actions, sample: data.sample }, refreshNow);

  const panel = flow ? <FlowPanel flow={flow} width={width} height={panelHeight} /> : null;
  let body;
  if (helpOpen) body = <HelpScreen readOnly={state.readOnly} width={width} height={bodyHeight} />;
  else if (panel && !(flow?.kind === 'explain' && view === 'detail' && vd)) body = panel;
  else if (!vd) {
    body = (
      <Box height={bodyHeight} width={width}>
        <Text wrap="truncate-end" {...styleProps(data.error ? theme.tokens['status.error'] : theme.tokens.muted)}>
          {data.error ? `  cannot read the host: ${data.error}` : '  reading the host…'}
        </Text>
      </Box>
    );
  } else if (view === 'detail') body = <PortDetail vr={vr} vd={vd} portKey={state.detailPort} width={width} height={bodyHeight} {...(panel ? { panel } : {})} />;
  else if (view === 'findings') body = <Findings vr={vr} findings={findings} width={width} height={bodyHeight} />;
  else body = <ListView view={view} vr={vr} width={width} height={bodyHeight} />;

  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      {helpOpen ? null : <TabBar view={view} width={width} />}
      {helpOpen ? null : (
        <StatusBar width={width} paused={state.paused} dialogOpen={state.dialog !== null} readOnly={state.readOnly} intervalMs={props.intervalMs} />
      )}
      <Box height={bodyHeight} width={width} overflowY="hidden" flexDirection="column">
        {body}
      </Box>
      <InfoLine state={state} width={width} shown={vr.rows.length} total={vr.total} warnings={vd?.sample.model.warnings ?? []} />
      <Footer mode={modeOf(state)} readOnly={state.readOnly} width={width} port={pointed.portKey !== null} labels={acceptLabel(flow)} />
    </Box>
  );
}
