// View 5: bridges and veths with rx/tx rates, mapped to containers.
import { Table } from '../components/Table.js';
import type { ViewRows } from '../present/select.js';

export function Interfaces(props: { vr: ViewRows; width: number; height: number }) {
  return (
    <Table
      sets={props.vr.sets}
      rows={props.vr.rows}
      selectedKey={props.vr.selectedKey}
      width={props.width}
      height={props.height}
      showTitles
      empty="no interfaces could be read"
    />
  );
}
