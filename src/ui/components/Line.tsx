// One terminal line of styled segments, cut at the width with "…" (never
// wrapped): status line, tab bar, footer, summaries.
import { Box, Text } from 'ink';
import type { Cell } from '../present/rows.js';
import { styleProps, useThemeState } from '../theme/context.js';

export function Line(props: { segments: readonly Cell[]; width: number; separator?: string }) {
  const { theme } = useThemeState();
  const sep = props.separator ?? '  ';
  return (
    <Box width={props.width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        {props.segments.map((s, i) => (
          <Text key={i}>
            {i > 0 ? <Text {...styleProps(theme.tokens.border)}>{sep}</Text> : null}
            <Text {...styleProps(s.tone ? theme.tokens[s.tone] : theme.tokens.text)}>{s.text}</Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}
