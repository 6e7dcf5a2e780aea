// The `?` help dialog, generated from the keymap: every command with all
// its keys, by category, in as many columns as it takes to fit the height
// (at 80x24: three narrow ones, descriptions cut; wider terminals: fewer).
import { Box, Text } from 'ink';
import { helpSections } from '../keymap.js';
import { styleProps, useThemeState } from '../theme/context.js';

/** Narrowest column worth drawing. */
const COL_MIN = 24;

export function HelpScreen(props: { readOnly: boolean; width: number; height: number }) {
  const { theme } = useThemeState();
  const t = theme.tokens;
  const sections = helpSections(props.readOnly);
  const lines: Array<{ kind: 'head'; text: string } | { kind: 'entry'; keys: string; text: string; pending: boolean }> = [];
  for (const s of sections) {
    lines.push({ kind: 'head', text: s.category });
    for (const e of s.entries) lines.push({ kind: 'entry', keys: e.keys, text: e.description, pending: e.pending });
  }
  const bodyHeight = Math.max(1, props.height - 1);
  const maxCols = Math.max(1, Math.floor(props.width / COL_MIN));
  const cols = Math.min(maxCols, Math.max(1, Math.ceil(lines.length / bodyHeight)));
  // A category header at the foot of a column moves to the next one; allow for that.
  const tight = cols < maxCols && Math.ceil(lines.length / cols) > bodyHeight - 1 ? cols + 1 : cols;
  // Fill columns top to bottom, never leaving a category header at the foot of a column.
  const perCol = Math.max(Math.ceil(lines.length / tight), Math.min(bodyHeight, lines.length));
  const columns: (typeof lines)[] = [];
  let cur: typeof lines = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const full = cur.length >= perCol || (l.kind === 'head' && cur.length >= perCol - 1 && cur.length > 0);
    if (full && columns.length < tight - 1) {
      columns.push(cur);
      cur = [];
    }
    cur.push(l);
  }
  columns.push(cur);
  const colWidth = Math.floor(props.width / columns.length);
  const keyWidthOf = (col: typeof lines) => Math.min(11, 2 + Math.max(0, ...col.map((l) => (l.kind === 'entry' ? [...l.keys].length : 0))));
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      <Box height={1} width={props.width} overflow="hidden">
        <Text wrap="truncate-end" {...styleProps(t.title)}>
          Keys{props.readOnly ? ' (read-only: firewall commands removed)' : ''} · esc or ? closes
        </Text>
      </Box>
      <Box flexDirection="row" width={props.width} height={bodyHeight} overflow="hidden">
        {columns.map((col, ci) => {
          const keyWidth = keyWidthOf(col);
          return (
          <Box key={ci} flexDirection="column" width={colWidth} overflow="hidden">
            {col.slice(0, bodyHeight).map((l, li) =>
              l.kind === 'head' ? (
                <Box key={li} height={1} width={colWidth} overflow="hidden">
                  <Text wrap="truncate-end" {...styleProps(t.header)}>
                    {l.text}
                  </Text>
                </Box>
              ) : (
                <Box key={li} height={1} width={colWidth} overflow="hidden">
                  <Box width={keyWidth} flexShrink={0} overflow="hidden">
                    <Text wrap="truncate-end" {...styleProps(l.pending ? t.muted : t.accent)}>
                      {' '}
                      {l.keys}
                    </Text>
                  </Box>
                  <Box flexGrow={1} flexShrink={1} overflow="hidden" marginRight={1}>
                    <Text wrap="truncate-end" {...styleProps(l.pending ? t.muted : t.text)}>
                      {l.text}
                    </Text>
                  </Box>
                </Box>
              ),
            )}
          </Box>
          );
        })}
      </Box>
    </Box>
  );
}
