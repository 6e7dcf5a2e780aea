// Rows and columns: what every list view hands to the Table component.
// Views compute rows with pure functions (present/*-rows.ts), so filtering,
// sorting and cursor handling are the same for all of them and testable
// without rendering.
import type { Token } from '../theme/schema.js';
import type { OpenTarget } from '../state/types.js';

export interface Cell {
  text: string;
  tone?: Token;
  /** Change since the previous refresh: drawn as ▲/▼ after the value. */
  delta?: 'up' | 'down' | null;
}

export interface Column {
  id: string;
  title: string;
  /** Width in cells (the flex basis when grow is set). */
  width: number;
  /** Share of the spare width this column takes (0: fixed). */
  grow?: number;
  align?: 'left' | 'right';
  /** Shown only when the terminal is at least this wide. */
  minTerm?: number;
  /** Reserve one cell for a ▲/▼ marker. */
  delta?: boolean;
}

/** Structured values for `addr:`, `port:`, `state:` and `proto:` filter words. */
export interface FilterFields {
  addr?: string[];
  port?: number[];
  state?: string | null;
  proto?: string;
}

export interface Row {
  key: string;
  selectable: boolean;
  /** A group header: kept by the filter when one of its items matches. */
  group?: boolean;
  /** Column cells (tables) ... */
  cells?: Record<string, Cell>;
  /** ... or one free line of segments (group headers, notes). */
  segments?: Cell[];
  open?: OpenTarget;
  /** Lower-case text the filter's plain words are searched in. */
  search: string;
  fields?: FilterFields;
  /** Column set the row uses (Table `sets`); default "main". */
  set?: string;
  /** Draw the titles of the row's column set instead of cells. */
  titles?: boolean;
  /** Sort values by SORT_OPTIONS name (missing: keeps model order). */
  sort?: Record<string, number | string>;
}

export const cell = (text: string, tone?: Token, delta?: 'up' | 'down' | null): Cell => ({ text, ...(tone ? { tone } : {}), ...(delta ? { delta } : {}) });

export function searchText(...parts: Array<string | number | null | undefined>): string {
  return parts.filter((p) => p !== null && p !== undefined && p !== '').join(' ').toLowerCase();
}

/** Visible columns for a terminal width. */
export function visibleColumns(cols: readonly Column[], termWidth: number): Column[] {
  return cols.filter((c) => c.minTerm === undefined || termWidth >= c.minTerm);
}
