// View 4: conntrack flows by container and published port.
import { Table } from '../components/Table.js';
import type { ViewRows } from '../present/select.js';

export function Flows(props: { vr: ViewRows; width: number; height: number }) {
  return (
    <Table
      sets={props.vr.sets}
      rows={props.vr.rows}
      selectedKey={props.vr.selectedKey}
      width={props.width}
      height={props.height}
      showTitles
      empty="no conntrack flows"
    />
  );
}
