// A table that truncates, never wraps: every row is one line of the
// terminal's width, laid out in code (present/columns.ts: fixed columns plus
// a share of the spare width for the growing ones) and drawn as one Text of
// styled parts, and text that does not fit ends in "…". Only the rows in
// view are rendered, so a ruleset of thousands of rules costs one screen of
// lines.
import { Box, Text } from 'ink';
import { memo, useMemo, useRef } from 'react';
import { styleProps, useThemeState } from '../theme/context.js';
import type { Style, Token } from '../theme/schema.js';
import { columnWidths, fit, GUTTER } from '../present/columns.js';
import { visibleColumns, type Cell, type Column, type Row } from '../present/rows.js';

export interface TableProps {
  /** Column sets by name; rows pick one with `set` (default "main"). */
  sets: Record<string, Column[]>;
  rows: readonly Row[];
  selectedKey: string | null;
  width: number;
  /** Lines available, the title line included when showTitles. */
  height: number;
  showTitles?: boolean;
  /** Shown when there are no rows. */
  empty?: string;
}

const DELTA_MARK = { up: '▲', down: '▼' } as const;

/**
 * First row to show so the selected one is in view, moving the window as
 * little as possible from where it was (no re-centering on every key).
 */
export function scrollTop(prevTop: number, selected: number, count: number, height: number, edges: { first: boolean; last: boolean } = { first: false, last: false }): number {
  if (height <= 0 || count <= height) return 0;
  let top = Math.min(Math.max(prevTop, 0), count - height);
  if (selected >= 0) {
    if (selected < top) top = selected;
    else if (selected >= top + height) top = selected - height + 1;
    // Rows that cannot be selected (headers, notes) before the first or after
    // the last selectable row would otherwise never scroll into view.
    if (edges.first && selected < height) top = 0;
    if (edges.last && selected >= count - height) top = count - height;
  }
  return top;
}

/**
 * One cell as styled text of exactly its column's width. A ▲/▼ column keeps
 * its last cell for the marker.
 */
function cellParts(col: Column, w: number, cell: Cell | undefined, rowStyle: Style | null, tone: (t: Token | undefined) => Style): Array<{ text: string; style: Style }> {
  const style = rowStyle ?? tone(cell?.tone);
  const text = cell?.text ?? '';
  if (!col.delta) return [{ text: fit(text, w, col.align), style }];
  const d = cell?.delta ?? null;
  const markStyle = rowStyle ?? (d ? tone(d === 'up' ? 'delta.up' : 'delta.down') : {});
  return [
    { text: fit(text, Math.max(0, w - 1), col.align), style },
    { text: w > 0 ? (d ? DELTA_MARK[d] : ' ') : '', style: markStyle },
  ];
}

/** A line of styled parts as one Text: one layout node per row. */
function PartsLine(props: { parts: ReadonlyArray<{ text: string; style: Style }>; width: number; bg?: string | undefined }) {
  return (
    <Box width={props.width} height={1} {...(props.bg ? { backgroundColor: props.bg } : {})}>
      <Text wrap="truncate-end">
        {props.parts.map((p, i) => (
          <Text key={i} {...styleProps(p.style)}>
            {p.text}
          </Text>
        ))}
      </Text>
    </Box>
  );
}

const NO_STYLE: Style = {};

const RowView = memo(function RowView(props: { row: Row; cols: Column[]; widths: number[]; selected: boolean; width: number; tokens: Record<Token, Style> }) {
  const { row, cols, widths, selected, width, tokens } = props;
  const sel = selected ? tokens.selection : null;
  const tone = (t: Token | undefined): Style => (t ? tokens[t] : tokens.text);
  const mark = row.cells?.['mark'];
  const gutter = [
    { text: selected ? '>' : ' ', style: sel ?? tokens.accent },
    { text: mark?.text || ' ', style: sel ?? tone(mark?.tone) },
  ];
  const bg = sel?.bg;
  if (row.titles) return <TitleRow cols={cols} width={width} />;
  if (row.segments) {
    const parts = [...gutter];
    row.segments.forEach((s, i) => parts.push({ text: `${i > 0 ? '  ' : ''}${s.text}`, style: sel ?? tone(s.tone) }));
    return <PartsLine parts={parts} width={width} bg={bg} />;
  }
  const parts = [...gutter];
  const gap = { text: ' ', style: sel ?? NO_STYLE };
  cols.forEach((c, i) => {
    if (i > 0) parts.push(gap);
    parts.push(...cellParts(c, widths[i] ?? c.width, row.cells?.[c.id], sel, tone));
  });
  return <PartsLine parts={parts} width={width} bg={bg} />;
});

export function TitleRow(props: { cols: Column[]; width: number }) {
  const { theme } = useThemeState();
  const h = theme.tokens.header;
  const widths = columnWidths(props.cols, props.width);
  const parts: Array<{ text: string; style: Style }> = [{ text: ' '.repeat(GUTTER), style: NO_STYLE }];
  props.cols.forEach((c, i) => {
    if (i > 0) parts.push({ text: ' ', style: NO_STYLE });
    const w = widths[i] ?? c.width;
    // A ▲/▼ column's title sits left of the marker cell, like its values.
    parts.push({ text: c.delta && c.align === 'right' ? `${fit(c.title, Math.max(0, w - 1), 'right')} ` : fit(c.title, w, c.align), style: h });
  });
  return <PartsLine parts={parts} width={props.width} />;
}

export function Table(props: TableProps) {
  const { theme } = useThemeState();
  const top = useRef(0);
  // Stable between renders of the same view and width, so unchanged rows (memo) are not redrawn.
  const { setsVisible, setWidths } = useMemo(() => {
    const setsVisible: Record<string, Column[]> = {};
    const setWidths: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(props.sets)) {
      setsVisible[k] = visibleColumns(v, props.width);
      setWidths[k] = columnWidths(setsVisible[k], props.width);
    }
    return { setsVisible, setWidths };
  }, [props.sets, props.width]);
  const main = setsVisible['main'] ?? [];
  const bodyHeight = Math.max(0, props.height - (props.showTitles ? 1 : 0));
  const selected = props.selectedKey === null ? -1 : props.rows.findIndex((r) => r.key === props.selectedKey);
  const selectable = props.rows.filter((r) => r.selectable);
  const edges = { first: selectable[0]?.key === props.selectedKey, last: selectable[selectable.length - 1]?.key === props.selectedKey };
  top.current = scrollTop(top.current, selected, props.rows.length, bodyHeight, edges);
  const shown = props.rows.slice(top.current, top.current + bodyHeight);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflowY="hidden">
      {props.showTitles ? <TitleRow cols={main} width={props.width} /> : null}
      {props.rows.length === 0 && props.empty ? (
        <Box width={props.width} height={1} overflow="hidden">
          <Text wrap="truncate-end" {...styleProps(theme.tokens.muted)}>
            {'  '}
            {props.empty}
          </Text>
        </Box>
      ) : null}
      {shown.map((r) => (
        <RowView
          key={r.key}
          row={r}
          cols={setsVisible[r.set ?? 'main'] ?? main}
          widths={setWidths[r.set ?? 'main'] ?? setWidths['main'] ?? []}
          selected={r.key === props.selectedKey}
          width={props.width}
          tokens={theme.tokens}
        />
      ))}
    </Box>
  );
}
