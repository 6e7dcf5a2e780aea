// View 6: findings, most severe first, with the selected one's explanation,
// rules and fix in a pane below the list. Enter on a finding about a port
// opens the port; w b i act on it like on the port.
import { Box } from 'ink';
import { Line } from '../components/Line.js';
import { Table } from '../components/Table.js';
import { findingLines, findingRowKey, type FindingsIndex } from '../present/findings-rows.js';
import { cell } from '../present/rows.js';
import type { ViewRows } from '../present/select.js';

export function Findings(props: { vr: ViewRows; findings: FindingsIndex | null; width: number; height: number }) {
  const { vr, findings, width, height } = props;
  if (!findings) {
    return (
      <Box width={width} height={height}>
        <Line segments={[cell('  computing findings…', 'muted')]} width={width} />
      </Box>
    );
  }
  const sel = vr.selectedKey === null ? undefined : findings.all.find((f) => findingRowKey(f) === vr.selectedKey);
  const pane = sel ? findingLines(sel, width - 2) : [];
  // The list gets what it needs up to 55%; the pane (separator + lines) the rest.
  const listNeeds = Math.min(vr.rows.length + 1, Math.ceil(height * 0.55));
  const paneHeight = sel ? Math.max(0, Math.min(pane.length + 1, height - Math.max(2, listNeeds))) : 0;
  const tableHeight = Math.max(2, height - paneHeight);
  return (
    <Box flexDirection="column" width={width} height={height} overflowY="hidden">
      <Table sets={vr.sets} rows={vr.rows} selectedKey={vr.selectedKey} width={width} height={tableHeight} showTitles empty="no findings: nothing looks off" />
      {paneHeight > 0 ? <Line segments={[cell('─'.repeat(Math.max(0, width - 1)), 'border')]} width={width} /> : null}
      {pane.slice(0, Math.max(0, paneHeight - 1)).map((c, i) => (
        <Line key={i} segments={[cell(` ${c.text}`, c.tone)]} width={width} />
      ))}
    </Box>
  );
}
