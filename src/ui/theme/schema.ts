// Theme files are data: semantic tokens only (what a colour MEANS, never
// where it is used), so a theme cannot drift into styling single widgets.
// A token is a colour string or a style object; files may set any subset
// of tokens and are merged over the default theme (see load.ts).
import { z } from 'zod';

/** Colour names Ink (through chalk) understands. */
export const NAMED_COLORS = [
  'black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'gray', 'grey',
  'blackBright', 'redBright', 'greenBright', 'yellowBright', 'blueBright', 'magentaBright', 'cyanBright', 'whiteBright',
] as const;

const COLOR_RE = new RegExp(
  `^(${NAMED_COLORS.join('|')}|#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|ansi256\\(\\s?\\d{1,3}\\s?\\)|rgb\\(\\s?\\d{1,3},\\s?\\d{1,3},\\s?\\d{1,3}\\s?\\))$`,
);

const colorString = z
  .string()
  .regex(COLOR_RE, { message: 'not a colour: use a name (red, cyanBright...), #rrggbb, ansi256(N) or rgb(r,g,b)' })
  .describe('A colour: a name (red, cyanBright...), #rgb, #rrggbb, ansi256(N) or rgb(r,g,b)');

const styleObject = z
  .object({
    fg: colorString.optional(),
    bg: colorString.optional(),
    bold: z.boolean().optional(),
    dim: z.boolean().optional(),
    inverse: z.boolean().optional(),
    underline: z.boolean().optional(),
  })
  .strict();

/** A token: "red" is shorthand for { "fg": "red" }. */
export const tokenSchema = z.union([colorString, styleObject]).describe('A colour string (foreground) or a style object');

const group = <K extends string>(keys: readonly K[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, tokenSchema.optional()])) as Record<K, z.ZodOptional<typeof tokenSchema>>).strict();

/** Every token a theme may set, grouped. Unknown keys are an error (typos should not pass silently). */
export const themeFileSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).max(40).optional(),
    description: z.string().optional(),
    status: group(['ok', 'warn', 'error'] as const).optional().describe('Health: a path that looks fine, doubtful, broken'),
    traffic: group(['accept', 'drop'] as const).optional().describe('Rule targets and live traffic: accepted, dropped/rejected'),
    diff: group(['added', 'removed'] as const).optional().describe('Plan previews: lines added, removed'),
    delta: group(['up', 'down'] as const).optional().describe('The ▲/▼ change markers between refreshes'),
    text: tokenSchema.optional().describe('Ordinary text'),
    muted: tokenSchema.optional().describe('Secondary text: counters, labels, unknowns'),
    accent: tokenSchema.optional().describe('Names worth spotting: bridges, jump targets, key labels'),
    border: tokenSchema.optional().describe('Separators'),
    title: tokenSchema.optional().describe('Group headers and the app title'),
    header: tokenSchema.optional().describe('Column titles'),
    selection: tokenSchema.optional().describe('The selected row and the current tab'),
  })
  .strict();

export type ThemeFile = z.infer<typeof themeFileSchema>;
export type TokenValue = z.infer<typeof tokenSchema>;

/** A resolved style: what a component hands to <Text>. */
export interface Style {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

/** Token names as components use them ("status.ok", "muted"...). */
export const TOKENS = [
  'status.ok', 'status.warn', 'status.error',
  'traffic.accept', 'traffic.drop',
  'diff.added', 'diff.removed',
  'delta.up', 'delta.down',
  'text', 'muted', 'accent', 'border', 'title', 'header', 'selection',
] as const;
export type Token = (typeof TOKENS)[number];

export interface Theme {
  name: string;
  tokens: Record<Token, Style>;
}
