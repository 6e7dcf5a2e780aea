// View 3: every chain with its rules; enter follows a jump, esc returns.
import { Table } from '../components/Table.js';
import type { ViewRows } from '../present/select.js';

export function Rules(props: { vr: ViewRows; width: number; height: number }) {
  return (
    <Table
      sets={props.vr.sets}
      rows={props.vr.rows}
      selectedKey={props.vr.selectedKey}
      width={props.width}
      height={props.height}
      showTitles
      empty="no rules could be read"
    />
  );
}
