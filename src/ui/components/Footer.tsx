// Footer hints, generated from the keymap for the current mode.
import { Box, Text } from 'ink';
import { hintsFor, type CommandId, type Mode } from '../keymap.js';
import { styleProps, useThemeState } from '../theme/context.js';

export function Footer(props: { mode: Mode; readOnly: boolean; width: number; port?: boolean; labels?: Partial<Record<CommandId, string>> }) {
  const { theme } = useThemeState();
  const hints = hintsFor(props.readOnly, props.mode, { port: props.port ?? true, ...(props.labels ? { labels: props.labels } : {}) });
  return (
    <Box width={props.width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        {hints.map((h, i) => (
          <Text key={h.keys + h.label}>
            {i > 0 ? '  ' : ''}
            <Text {...styleProps(theme.tokens.accent)}>{h.keys}</Text>
            <Text {...styleProps(theme.tokens.muted)}> {h.label}</Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}
