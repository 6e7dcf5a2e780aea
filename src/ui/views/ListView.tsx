// The list views (1 Overview, 3 Rules, 4 Flows, 5 Interfaces) are the same
// table over rows the present/ builders made for each view; only the text
// shown when a view has no rows differs.
import { Table } from '../components/Table.js';
import type { ViewRows } from '../present/select.js';

export type ListViewId = 'overview' | 'rules' | 'flows' | 'interfaces';

const EMPTY: Record<ListViewId, string> = {
  overview: 'no networks, containers or published ports (yet)',
  rules: 'no rules could be read',
  flows: 'no conntrack flows',
  interfaces: 'no interfaces could be read',
};

export function ListView(props: { view: ListViewId; vr: ViewRows; width: number; height: number }) {
  return (
    <Table
      sets={props.vr.sets}
      rows={props.vr.rows}
      selectedKey={props.vr.selectedKey}
      width={props.width}
      height={props.height}
      showTitles
      empty={EMPTY[props.view]}
    />
  );
}
