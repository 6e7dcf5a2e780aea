// The rows a view shows for a given UI state: built, filtered, sorted, and
// the cursor resolved. Shared by the views (what to draw) and key handling
// (what up/down/enter act on), so both always agree.
import { cursorIndex } from '../state/reducer.js';
import type { OpenTarget, UiState } from '../state/types.js';
import { SORT_OPTIONS, type ViewId } from '../state/views.js';
import { DETAIL_SETS, detailRows } from './detail-rows.js';
import { filterRows } from './filter.js';
import { FINDING_COLUMNS, findingsRows, type FindingsIndex } from './findings-rows.js';
import { FLOW_COLUMNS, flowsRows } from './flows-rows.js';
import { IFACE_COLUMNS, interfacesRows } from './interfaces-rows.js';
import { OVERVIEW_COLUMNS, overviewRows } from './overview-rows.js';
import type { Column, Row } from './rows.js';
import { RULE_COLUMNS, rulesRows } from './rules-rows.js';
import { sortRows } from './sort.js';
import type { ViewData } from './view-data.js';

export interface ViewRows {
  rows: Row[];
  /** Selectable keys in display order. */
  keys: string[];
  selectedKey: string | null;
  selectedOpen: OpenTarget | null;
  sets: Record<string, Column[]>;
  /** Rows before filtering (for "12 of 40"). */
  total: number;
  showTitles: boolean;
}

export const VIEW_SETS: Record<ViewId, Record<string, Column[]>> = {
  overview: { main: OVERVIEW_COLUMNS },
  detail: DETAIL_SETS,
  rules: { main: RULE_COLUMNS },
  flows: { main: FLOW_COLUMNS },
  interfaces: { main: IFACE_COLUMNS },
  findings: { main: FINDING_COLUMNS },
};

/** Inputs of the rows besides the host data: the findings (computed apart) and the width text wraps to. */
export interface RowsExtra {
  findings: FindingsIndex | null;
  width: number;
}

const NO_EXTRA: RowsExtra = { findings: null, width: 80 };

function build(view: ViewId, v: ViewData, s: Pick<UiState, 'detailPort' | 'detailFinding'>, x: RowsExtra): Row[] {
  switch (view) {
    case 'overview': return overviewRows(v, x.findings);
    case 'findings': return x.findings ? findingsRows(x.findings) : [];
    case 'rules': return rulesRows(v);
    case 'flows': return flowsRows(v);
    case 'interfaces': return interfacesRows(v);
    case 'detail': {
      const p = v.sample.model.published.find((y) => y.key === s.detailPort);
      return p ? detailRows(p, v, x.findings, x.width, s.detailFinding) : [];
    }
  }
}

export interface ListRows {
  rows: Row[];
  keys: string[];
  total: number;
  sets: Record<string, Column[]>;
  showTitles: boolean;
}

/** Built, filtered and sorted rows: recomputed on refresh, filter or sort, not on cursor moves. */
export function listRows(
  view: ViewId,
  v: ViewData | null,
  s: Pick<UiState, 'filters' | 'sorts' | 'detailPort'> & { detailFinding?: string | null },
  x: RowsExtra = NO_EXTRA,
): ListRows {
  const sets = VIEW_SETS[view];
  const showTitles = view !== 'detail';
  if (!v) return { rows: [], keys: [], total: 0, sets, showTitles };
  const all = build(view, v, { detailPort: s.detailPort, detailFinding: s.detailFinding ?? null }, x);
  const sort = s.sorts[view];
  const by = sort.index === 0 ? null : (SORT_OPTIONS[view][sort.index] ?? null);
  const rows = sortRows(filterRows(all, s.filters[view]), by, sort.reverse);
  return { rows, keys: rows.filter((r) => r.selectable).map((r) => r.key), total: all.length, sets, showTitles };
}

/** The cursor resolved against the list. */
export function withSelection(l: ListRows, cursor: UiState['cursors'][ViewId]): ViewRows {
  const i = cursorIndex(l.keys, cursor);
  const selectedKey = i >= 0 ? (l.keys[i] ?? null) : null;
  const sel = selectedKey === null ? undefined : l.rows.find((r) => r.key === selectedKey);
  return { ...l, selectedKey, selectedOpen: sel?.open ?? null };
}

export function selectRows(view: ViewId, v: ViewData | null, s: UiState, x: RowsExtra = NO_EXTRA): ViewRows {
  return withSelection(listRows(view, v, s, x), s.cursors[view]);
}
