// The view tabs with their number keys; the current one highlighted. The
// app's name goes first when there is room for it and all six tabs.
import { Box, Text } from 'ink';
import { styleProps, useThemeState } from '../theme/context.js';
import { VIEW_IDS, VIEW_TITLES, type ViewId } from '../state/views.js';

export function TabBar(props: { view: ViewId; width: number }) {
  const { theme } = useThemeState();
  const t = theme.tokens;
  return (
    <Box width={props.width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        {props.width >= 90 ? <Text {...styleProps(t.title)}>Portcullis </Text> : null}
        {VIEW_IDS.map((v, i) => (
          <Text key={v}>
            <Text {...styleProps(t.border)}>│</Text>
            <Text {...styleProps(v === props.view ? t.selection : t.muted)}>
              {` ${i + 1} ${VIEW_TITLES[v]} `}
            </Text>
          </Text>
        ))}
        <Text {...styleProps(t.border)}>│</Text>
      </Text>
    </Box>
  );
}
