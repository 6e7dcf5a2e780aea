// The line above the footer: the filter being typed (or the one in force),
// else the last message, else a theme warning, else the model's warnings.
import { Box, Text } from 'ink';
import { styleProps, useThemeState } from '../theme/context.js';
import type { Token } from '../theme/schema.js';
import type { UiState } from '../state/types.js';
import { SORT_OPTIONS } from '../state/views.js';

/** "sort: pkt/s" when the view is not in its default order. */
export function sortLabel(s: UiState): string {
  const o = s.sorts[s.view];
  if (o.index === 0 && !o.reverse) return '';
  return `sort: ${SORT_OPTIONS[s.view][o.index] ?? '?'}${o.reverse ? ' (reversed)' : ''}`;
}

export function InfoLine(props: { state: UiState; width: number; shown: number; total: number; warnings: readonly string[] }) {
  const { theme, warning } = useThemeState();
  const t = theme.tokens;
  const s = props.state;
  const filter = s.filters[s.view];
  let body: { text: string; tone: Token; prefix?: string };
  if (s.filterEditing) body = { prefix: '/', text: `${filter}▏  ${props.shown} of ${props.total} rows`, tone: 'text' };
  else if (s.message) body = { text: s.message.text, tone: s.message.tone === 'error' ? 'status.error' : s.message.tone === 'warn' ? 'status.warn' : 'accent' };
  else if (filter) body = { prefix: 'filter: ', text: `${filter}  (${props.shown} of ${props.total} rows; esc clears)`, tone: 'text' };
  else if (warning) body = { text: warning, tone: 'status.warn' };
  else if (props.warnings.length) body = { text: `${props.warnings.length} warning${props.warnings.length === 1 ? '' : 's'}: ${props.warnings.join(' · ')}`, tone: 'status.warn' };
  else body = { text: '', tone: 'muted' };
  const sort = s.filterEditing ? '' : sortLabel(s);
  return (
    <Box width={props.width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        {sort ? <Text {...styleProps(t.accent)}>{sort + (body.text ? '  ' : '')}</Text> : null}
        {body.prefix ? <Text {...styleProps(t.accent)}>{body.prefix}</Text> : null}
        <Text {...styleProps(t[body.tone])}>{body.text}</Text>
      </Text>
    </Box>
  );
}
