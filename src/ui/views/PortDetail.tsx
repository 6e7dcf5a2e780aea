// View 2: one published port: summary, both routes in packet order, its
// flows and its container's interface. `panel` (the explain dialog) takes
// the place of the list under the summary.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Line } from '../components/Line.js';
import { Table } from '../components/Table.js';
import { detailSummary } from '../present/detail-rows.js';
import type { ViewRows } from '../present/select.js';
import type { ViewData } from '../present/view-data.js';
import { cell } from '../present/rows.js';

export function PortDetail(props: { vr: ViewRows; vd: ViewData | null; portKey: string | null; width: number; height: number; panel?: ReactNode }) {
  const p = props.vd?.sample.model.published.find((x) => x.key === props.portKey);
  if (!props.vd || !p) {
    const why = props.portKey ? `port ${props.portKey} is not published any more` : 'no port chosen: select one in the overview (1) and press enter';
    return (
      <Box flexDirection="column" width={props.width} height={props.height}>
        <Line segments={[cell(why, 'muted')]} width={props.width} />
      </Box>
    );
  }
  const [first, second] = detailSummary(p, props.vd);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflowY="hidden">
      <Line segments={first ?? []} width={props.width} />
      <Line segments={second ?? []} width={props.width} />
      {props.panel ?? (
        <Table
          sets={props.vr.sets}
          rows={props.vr.rows}
          selectedKey={props.vr.selectedKey}
          width={props.width}
          height={Math.max(0, props.height - 2)}
        />
      )}
    </Box>
  );
}
