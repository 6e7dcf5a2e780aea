// View 1: networks -> containers -> published ports, with live rates.
import { Table } from '../components/Table.js';
import type { ViewRows } from '../present/select.js';

export function Overview(props: { vr: ViewRows; width: number; height: number }) {
  return (
    <Table
      sets={props.vr.sets}
      rows={props.vr.rows}
      selectedKey={props.vr.selectedKey}
      width={props.width}
      height={props.height}
      showTitles
      empty="no networks, containers or published ports (yet)"
    />
  );
}
