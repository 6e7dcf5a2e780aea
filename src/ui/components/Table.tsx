// A flex-based table that truncates, never wraps: every row is one line of
// the terminal's width, columns get their width from Ink's layout (fixed
// columns plus a share of the spare width for the growing ones), and text
// that does not fit ends in "…". Only the rows in view are rendered, so a
// ruleset of thousands of rules costs one screen of elements.
import { Box, Text } from 'ink';
import { memo, useRef } from 'react';
import { styleProps, useThemeState } from '../theme/context.js';
import type { Style, Token } from '../theme/schema.js';
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

function CellView(props: { col: Column; cell: Cell | undefined; last: boolean; rowStyle: Style | null; tone: (t: Token | undefined) => Style }) {
  const { col, cell, last, rowStyle } = props;
  const style = rowStyle ?? props.tone(cell?.tone);
  const text = cell?.text ?? '';
  const box = {
    width: col.width,
    flexGrow: col.grow ?? 0,
    flexShrink: col.grow ? 1 : 0,
    flexBasis: col.width,
    marginRight: last ? 0 : 1,
    justifyContent: col.align === 'right' ? ('flex-end' as const) : ('flex-start' as const),
    overflow: 'hidden' as const,
  };
  if (!col.delta) {
    return (
      <Box {...box}>
        <Text wrap="truncate-end" {...styleProps(style)}>
          {text}
        </Text>
      </Box>
    );
  }
  const d = cell?.delta ?? null;
  const markStyle = rowStyle ?? (d ? props.tone(d === 'up' ? 'delta.up' : 'delta.down') : {});
  return (
    <Box {...box}>
      <Text wrap="truncate-end" {...styleProps(style)}>
        {text}
      </Text>
      <Text {...styleProps(markStyle)}>{d ? DELTA_MARK[d] : ' '}</Text>
    </Box>
  );
}

const RowView = memo(function RowView(props: { row: Row; cols: Column[]; selected: boolean; width: number; tokens: Record<Token, Style> }) {
  const { row, cols, selected, width, tokens } = props;
  const sel = selected ? tokens.selection : null;
  const tone = (t: Token | undefined): Style => (t ? tokens[t] : tokens.text);
  const mark = row.cells?.['mark'];
  const gutter = (
    <Box width={2} flexShrink={0}>
      <Text {...styleProps(sel ?? tokens.accent)}>{selected ? '>' : ' '}</Text>
      <Text {...styleProps(sel ?? tone(mark?.tone))}>{mark?.text || ' '}</Text>
    </Box>
  );
  const bg = sel?.bg;
  if (row.titles) return <TitleRow cols={cols} width={width} />;
  if (row.segments) {
    return (
      <Box width={width} height={1} overflow="hidden" {...(bg ? { backgroundColor: bg } : {})}>
        {gutter}
        <Box flexGrow={1} flexShrink={1} overflow="hidden">
          <Text wrap="truncate-end">
            {row.segments.map((s, i) => (
              <Text key={i} {...styleProps(sel ?? tone(s.tone))}>
                {i > 0 ? '  ' : ''}
                {s.text}
              </Text>
            ))}
          </Text>
        </Box>
      </Box>
    );
  }
  return (
    <Box width={width} height={1} overflow="hidden" {...(bg ? { backgroundColor: bg } : {})}>
      {gutter}
      {cols.map((c, i) => (
        <CellView key={c.id} col={c} cell={row.cells?.[c.id]} last={i === cols.length - 1} rowStyle={sel} tone={tone} />
      ))}
    </Box>
  );
});

export function TitleRow(props: { cols: Column[]; width: number }) {
  const { theme } = useThemeState();
  const h = styleProps(theme.tokens.header);
  return (
    <Box width={props.width} height={1} overflow="hidden">
      <Box width={2} flexShrink={0} />
      {props.cols.map((c, i) => (
        <Box
          key={c.id}
          width={c.width}
          flexGrow={c.grow ?? 0}
          flexShrink={c.grow ? 1 : 0}
          flexBasis={c.width}
          marginRight={i === props.cols.length - 1 ? 0 : 1}
          justifyContent={c.align === 'right' ? 'flex-end' : 'flex-start'}
          overflow="hidden"
        >
          <Text wrap="truncate-end" {...h}>
            {c.title}
            {c.delta && c.align === 'right' ? ' ' : ''}
          </Text>
        </Box>
      ))}
    </Box>
  );
}

export function Table(props: TableProps) {
  const { theme } = useThemeState();
  const top = useRef(0);
  const setsVisible: Record<string, Column[]> = {};
  for (const [k, v] of Object.entries(props.sets)) setsVisible[k] = visibleColumns(v, props.width);
  const main = setsVisible['main'] ?? [];
  const bodyHeight = Math.max(0, props.height - (props.showTitles ? 1 : 0));
  const selected = props.selectedKey === null ? -1 : props.rows.findIndex((r) => r.key === props.selectedKey);
  const selectable = props.rows.filter((r) => r.selectable);
  const edges = { first: selectable[0]?.key === props.selectedKey, last: selectable[selectable.length - 1]?.key === props.selectedKey };
  top.current = scrollTop(top.current, selected, props.rows.length, bodyHeight, edges);
  const shown = props.rows.slice(top.current, top.current + bodyHeight);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
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
          selected={r.key === props.selectedKey}
          width={props.width}
          tokens={theme.tokens}
        />
      ))}
    </Box>
  );
}
