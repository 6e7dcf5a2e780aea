// The one keymap table. Input handling (useKeys), the `?` help screen and
// the footer hints are all generated from KEYMAP, so a key cannot be bound
// without being documented, and `--read-only` removes the commands that
// change the firewall from all three at once (commandsFor).
//
// Scopes say when a command is live:
//   app     everywhere except while typing (there only ctrl keys pass)
//   global  normal mode (no dialog, not typing): views, filter, sort, pause...
//   list    normal mode, moving in the current list
//   help    while the help dialog is open
//   filter  while typing a filter; printable keys go into the filter text
//   prompt  while typing into a dialog field (allowlist, LOCKDOWN, a client
//           address); printable keys go into the field
//   dialog  an action or explain dialog that is not a text field: choices,
//           the plan preview, results
//   pending a change applied and awaiting confirmation (with dialog keys)
//
// Sorting: `s` moves to the view's next sort column (the first is the
// model's own order; names sort A-Z, numbers highest first), `S` reverses
// the current one. Rows sort inside their group (network, chain, port).
//
// Firewall actions (w b i L u) open a dialog: input, then a preview of the
// plan (diff + summary), then apply; a change is rolled back at its deadline
// unless kept with `y`. Their footer hints show only where they apply
// (w b i e need a port: the overview cursor, the port detail, a finding).

export type Scope = 'app' | 'global' | 'list' | 'help' | 'filter' | 'prompt' | 'dialog' | 'pending';
export type Category = 'Navigation' | 'Views' | 'Lists' | 'Data' | 'Firewall' | 'Dialogs' | 'App';

export type CommandId =
  | 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'open' | 'back'
  | 'nextView' | 'prevView' | 'view1' | 'view2' | 'view3' | 'view4' | 'view5' | 'view6'
  | 'filter' | 'sort' | 'sortReverse'
  | 'pause' | 'refresh' | 'explain' | 'help' | 'quit'
  | 'helpClose'
  | 'filterAccept' | 'filterCancel' | 'filterDelete'
  | 'whitelist' | 'blockProxy' | 'iccToggle' | 'lockdown' | 'undo'
  | 'promptAccept' | 'promptCancel' | 'promptDelete'
  | 'dialogUp' | 'dialogDown' | 'dialogPageUp' | 'dialogPageDown' | 'dialogAccept' | 'dialogCancel'
  | 'confirmKeep' | 'confirmRollback';

export interface Command {
  id: CommandId;
  /** Key names (see matchKey): up down pageup pagedown home end enter escape backspace tab shift+tab ctrl+X, or one character. */
  keys: string[];
  scope: Scope;
  description: string;
  category: Category;
  changesFirewall: boolean;
  /** Footer hint label; commands without one are only in help. */
  hint?: string;
  /** Keys as the footer shows them when not simply the first key. */
  hintKeys?: string;
  /** Declared but not wired yet. */
  pending?: boolean;
  /** Acts on a published port: its footer hint shows only when the view points at one. */
  needsPort?: boolean;
}

export const KEYMAP: readonly Command[] = [
  { id: 'up', keys: ['up', 'k'], scope: 'list', description: 'Move up', category: 'Navigation', changesFirewall: false, hint: 'move', hintKeys: '↑↓' },
  { id: 'down', keys: ['down', 'j'], scope: 'list', description: 'Move down', category: 'Navigation', changesFirewall: false },
  { id: 'pageUp', keys: ['pageup', 'ctrl+b'], scope: 'list', description: 'Page up', category: 'Navigation', changesFirewall: false },
  { id: 'pageDown', keys: ['pagedown', 'ctrl+f'], scope: 'list', description: 'Page down', category: 'Navigation', changesFirewall: false },
  { id: 'home', keys: ['home', 'g'], scope: 'list', description: 'First row', category: 'Navigation', changesFirewall: false },
  { id: 'end', keys: ['end', 'G'], scope: 'list', description: 'Last row', category: 'Navigation', changesFirewall: false },
  { id: 'open', keys: ['enter'], scope: 'list', description: 'Open: port detail; on a rule that jumps, go to its chain', category: 'Navigation', changesFirewall: false, hint: 'open' },
  { id: 'back', keys: ['escape', 'backspace'], scope: 'list', description: 'Back (from a port or a jump); else clear the filter', category: 'Navigation', changesFirewall: false, hint: 'back' },

  { id: 'nextView', keys: ['tab'], scope: 'global', description: 'Next view', category: 'Views', changesFirewall: false, hint: 'view' },
  { id: 'prevView', keys: ['shift+tab'], scope: 'global', description: 'Previous view', category: 'Views', changesFirewall: false },
  { id: 'view1', keys: ['1'], scope: 'global', description: 'Overview: networks, containers, ports', category: 'Views', changesFirewall: false },
  { id: 'view2', keys: ['2'], scope: 'global', description: 'Port detail (the selected port)', category: 'Views', changesFirewall: false },
  { id: 'view3', keys: ['3'], scope: 'global', description: 'Rules: every chain, table, family', category: 'Views', changesFirewall: false },
  { id: 'view4', keys: ['4'], scope: 'global', description: 'Flows: conntrack by container/port', category: 'Views', changesFirewall: false },
  { id: 'view5', keys: ['5'], scope: 'global', description: 'Interfaces: bridges and veths', category: 'Views', changesFirewall: false },
  { id: 'view6', keys: ['6', 'f'], scope: 'global', description: 'Findings: rules that do not do what they seem', category: 'Views', changesFirewall: false },

  { id: 'filter', keys: ['/'], scope: 'global', description: 'Filter rows (words must all match; addr: port: state: proto:)', category: 'Lists', changesFirewall: false, hint: 'filter' },
  { id: 'sort', keys: ['s'], scope: 'global', description: 'Sort: next column (numbers highest first)', category: 'Lists', changesFirewall: false, hint: 'sort' },
  { id: 'sortReverse', keys: ['S'], scope: 'global', description: 'Sort: reverse the order', category: 'Lists', changesFirewall: false },

  { id: 'pause', keys: ['p'], scope: 'global', description: 'Pause / resume refreshing', category: 'Data', changesFirewall: false, hint: 'pause' },
  { id: 'refresh', keys: ['r'], scope: 'global', description: 'Refresh now (also when paused)', category: 'Data', changesFirewall: false, hint: 'refresh' },
  { id: 'explain', keys: ['e'], scope: 'global', description: 'Explain a client: walk its connection to this port', category: 'Data', changesFirewall: false, hint: 'explain', needsPort: true },

  { id: 'whitelist', keys: ['w'], scope: 'global', description: 'Whitelist a client for this port', category: 'Firewall', changesFirewall: true, hint: 'allow', needsPort: true },
  { id: 'blockProxy', keys: ['b'], scope: 'global', description: 'Block docker-proxy input on this port', category: 'Firewall', changesFirewall: true, hint: 'proxy', needsPort: true },
  { id: 'iccToggle', keys: ['i'], scope: 'global', description: "Toggle ICC on this port's bridge", category: 'Firewall', changesFirewall: true, hint: 'icc', needsPort: true },
  { id: 'lockdown', keys: ['L'], scope: 'global', description: 'Lockdown: drop new inbound to every port', category: 'Firewall', changesFirewall: true, hint: 'lockdown' },
  { id: 'undo', keys: ['u'], scope: 'global', description: 'Undo a confirmed change (journal)', category: 'Firewall', changesFirewall: true, hint: 'undo' },

  { id: 'help', keys: ['?'], scope: 'global', description: 'Help (this screen)', category: 'App', changesFirewall: false, hint: 'help' },
  { id: 'helpClose', keys: ['escape', '?'], scope: 'help', description: 'Close help', category: 'App', changesFirewall: false, hint: 'close' },
  { id: 'quit', keys: ['q', 'ctrl+c'], scope: 'app', description: 'Quit (ctrl+c works while typing too)', category: 'App', changesFirewall: false, hint: 'quit' },

  { id: 'filterAccept', keys: ['enter'], scope: 'filter', description: 'Filter: keep it and return to the list', category: 'Lists', changesFirewall: false, hint: 'apply' },
  { id: 'filterCancel', keys: ['escape'], scope: 'filter', description: 'Filter: clear it', category: 'Lists', changesFirewall: false, hint: 'clear' },
  { id: 'filterDelete', keys: ['backspace'], scope: 'filter', description: 'Filter: delete a character', category: 'Lists', changesFirewall: false, hint: 'delete' },

  { id: 'promptAccept', keys: ['enter'], scope: 'prompt', description: 'Field: accept what is typed', category: 'Dialogs', changesFirewall: false, hint: 'accept' },
  { id: 'promptCancel', keys: ['escape'], scope: 'prompt', description: 'Field: cancel (nothing applied)', category: 'Dialogs', changesFirewall: false, hint: 'cancel' },
  { id: 'promptDelete', keys: ['backspace'], scope: 'prompt', description: 'Field: delete a character', category: 'Dialogs', changesFirewall: false, hint: 'delete' },
  { id: 'dialogUp', keys: ['up', 'k'], scope: 'dialog', description: 'Dialog: previous choice, scroll up', category: 'Dialogs', changesFirewall: false, hint: 'move', hintKeys: '↑↓' },
  { id: 'dialogDown', keys: ['down', 'j'], scope: 'dialog', description: 'Dialog: next choice, scroll down', category: 'Dialogs', changesFirewall: false },
  { id: 'dialogPageUp', keys: ['pageup'], scope: 'dialog', description: 'Dialog: scroll a page up', category: 'Dialogs', changesFirewall: false },
  { id: 'dialogPageDown', keys: ['pagedown'], scope: 'dialog', description: 'Dialog: scroll a page down', category: 'Dialogs', changesFirewall: false },
  { id: 'dialogAccept', keys: ['enter'], scope: 'dialog', description: 'Dialog: choose, apply the preview, close', category: 'Dialogs', changesFirewall: false, hint: 'ok' },
  { id: 'dialogCancel', keys: ['escape'], scope: 'dialog', description: 'Dialog: cancel or close (nothing applied)', category: 'Dialogs', changesFirewall: false, hint: 'cancel' },
  { id: 'confirmKeep', keys: ['y'], scope: 'pending', description: 'Keep the applied change (enter too)', category: 'Dialogs', changesFirewall: false, hint: 'keep' },
  { id: 'confirmRollback', keys: ['n', 'x'], scope: 'pending', description: 'Roll the applied change back now', category: 'Dialogs', changesFirewall: false, hint: 'roll back', hintKeys: 'n/x' },
];

export const CATEGORY_ORDER: readonly Category[] = ['Navigation', 'Views', 'Lists', 'Data', 'Firewall', 'Dialogs', 'App'];

/** The commands that exist in this session: --read-only drops every command that changes the firewall. */
export function commandsFor(readOnly: boolean, table: readonly Command[] = KEYMAP): Command[] {
  return table.filter((c) => !(readOnly && c.changesFirewall));
}

/** The subset of Ink's Key we look at (kept structural so tests can build one). */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

export function matchKey(name: string, input: string, key: KeyPress): boolean {
  switch (name) {
    case 'up': return !!key.upArrow;
    case 'down': return !!key.downArrow;
    case 'pageup': return !!key.pageUp;
    case 'pagedown': return !!key.pageDown;
    case 'home': return !!key.home;
    case 'end': return !!key.end;
    case 'enter': return !!key.return;
    case 'escape': return !!key.escape;
    // Most terminals send DEL (0x7f) for backspace; Ink calls that "delete".
    case 'backspace': return !!key.backspace || !!key.delete;
    case 'tab': return !!key.tab && !key.shift;
    case 'shift+tab': return !!key.tab && !!key.shift;
  }
  if (name.startsWith('ctrl+')) return !!key.ctrl && input === name.slice(5);
  return name.length === 1 && input === name && !key.ctrl;
}

/**
 * normal, help, filter; prompt: typing into a dialog field; dialog: a dialog
 * without a field; pending: a change awaits confirmation; busy: planning,
 * applying, confirming or rolling back (only quit is live).
 */
export type Mode = 'normal' | 'help' | 'filter' | 'prompt' | 'dialog' | 'pending' | 'busy';

export const MODES: readonly Mode[] = ['normal', 'help', 'filter', 'prompt', 'dialog', 'pending', 'busy'];

/** Modes where printable keys are text (only ctrl keys of app commands pass). */
export const TYPING_MODES: readonly Mode[] = ['filter', 'prompt'];

export function scopesFor(mode: Mode): Scope[] {
  switch (mode) {
    case 'filter': return ['filter'];
    case 'prompt': return ['prompt'];
    case 'help': return ['help', 'app'];
    case 'dialog': return ['dialog', 'app'];
    case 'pending': return ['pending', 'dialog', 'app'];
    case 'busy': return ['app'];
    case 'normal': return ['list', 'global', 'app'];
  }
}

/**
 * The command a key press means in this mode, or null. While typing (a
 * filter or a dialog field) only that mode's commands and ctrl keys of app
 * commands are live, so `q` types a q.
 */
export function resolveCommand(commands: readonly Command[], mode: Mode, input: string, key: KeyPress): Command | null {
  const scopes = scopesFor(mode);
  for (const c of commands) {
    if (!scopes.includes(c.scope)) continue;
    if (c.keys.some((k) => matchKey(k, input, key))) return c;
  }
  if (TYPING_MODES.includes(mode)) {
    for (const c of commands) {
      if (c.scope === 'app' && c.keys.some((k) => k.startsWith('ctrl+') && matchKey(k, input, key))) return c;
    }
  }
  return null;
}

const KEY_LABELS: Record<string, string> = {
  up: '↑', down: '↓', pageup: 'PgUp', pagedown: 'PgDn', home: 'Home', end: 'End',
  enter: 'enter', escape: 'esc', backspace: 'bksp', tab: 'tab', 'shift+tab': 'S-tab',
};

export function keyLabel(name: string): string {
  if (KEY_LABELS[name]) return KEY_LABELS[name];
  if (name.startsWith('ctrl+')) return `^${name.slice(5).toUpperCase()}`;
  return name;
}

export interface HelpEntry {
  keys: string;
  description: string;
  pending: boolean;
}

/** Help content: categories in order, each command with all its keys. */
export function helpSections(readOnly: boolean): Array<{ category: Category; entries: HelpEntry[] }> {
  const cmds = commandsFor(readOnly);
  return CATEGORY_ORDER.map((category) => ({
    category,
    entries: cmds
      .filter((c) => c.category === category)
      .map((c) => ({ keys: c.keys.map(keyLabel).join(' '), description: c.description, pending: !!c.pending })),
  })).filter((s) => s.entries.length > 0);
}

/** Footer order: an 80-column footer is cut at the end, so help and quit go first. */
const HINT_ORDER: readonly CommandId[] = [
  'confirmKeep', 'confirmRollback', 'dialogAccept', 'dialogCancel', 'promptAccept', 'promptCancel',
  'help', 'quit', 'up', 'open', 'whitelist', 'blockProxy', 'iccToggle', 'explain', 'lockdown', 'undo',
  'filter', 'back', 'nextView', 'sort', 'pause', 'refresh',
];
const hintRank = (c: Command) => {
  const i = HINT_ORDER.indexOf(c.id);
  return i < 0 ? HINT_ORDER.length : i;
};

export interface HintContext {
  /** The view points at a published port (else w b i e are left out). Default true. */
  port?: boolean;
  /** Labels that depend on the dialog's step (dialogAccept: "apply", "choose"...). */
  labels?: Partial<Record<CommandId, string>>;
}

/** Footer hints for a mode: commands with a hint in its scopes, pending ones left out. */
export function hintsFor(readOnly: boolean, mode: Mode, ctx: HintContext = {}): Array<{ keys: string; label: string }> {
  const scopes = scopesFor(mode);
  const port = ctx.port ?? true;
  // While a dialog is open, quit stays live but is no hint worth the room.
  const dialog = mode === 'dialog' || mode === 'pending' || mode === 'busy';
  const out = commandsFor(readOnly)
    .filter((c) => c.hint && !c.pending && scopes.includes(c.scope) && (port || !c.needsPort) && !(dialog && c.scope === 'app'))
    // Awaiting confirmation, only keep and roll back mean anything.
    .filter((c) => mode !== 'pending' || c.scope === 'pending')
    .sort((a, b) => hintRank(a) - hintRank(b))
    .map((c) => ({ keys: c.hintKeys ?? keyLabel(c.keys[0] ?? ''), label: ctx.labels?.[c.id] ?? c.hint ?? '' }));
  if (mode === 'filter') out.unshift({ keys: 'type', label: 'to filter' });
  if (mode === 'prompt') out.unshift({ keys: 'type', label: 'into the field' });
  return out;
}
