// What a key means, as data: a key press resolves (keymap.ts) to a command,
// and a command becomes reducer actions plus at most one effect the caller
// performs (refresh, quit). Pure, so the whole key path is testable without
// rendering.
import { startFlow, type FlowContext } from '../actions/flow.js';
import type { FlowKind } from '../actions/types.js';
import { resolveCommand, type Command, type KeyPress } from '../keymap.js';
import { modeOf, reducer } from './reducer.js';
import type { Action, OpenTarget, UiState } from './types.js';
import type { ViewId } from './views.js';

export type Effect = 'refresh' | 'quit';

export interface KeyContext {
  /** Selectable row keys of the current view, in display order. */
  keys: readonly string[];
  /** What enter does on the selected row, if anything. */
  selectedOpen: OpenTarget | null;
  /** Rows the list shows at once (page up/down). */
  pageSize: number;
  /** What an action key acts on (the port or bridge the view points at); absent: actions cannot open. */
  flow?: FlowContext;
  /** The last useful scroll of the open dialog's text (preview, result); 0 when it fits. */
  scrollMax?: number;
  /** Lines the open dialog's scrolling text shows at once. */
  dialogPage?: number;
}

export interface KeyResult {
  actions: Action[];
  effects: Effect[];
}

const VIEW_OF_COMMAND: Partial<Record<Command['id'], ViewId>> = {
  view1: 'overview',
  view2: 'detail',
  view3: 'rules',
  view4: 'flows',
  view5: 'interfaces',
  view6: 'findings',
};

const FLOW_OF_COMMAND: Partial<Record<Command['id'], FlowKind>> = {
  whitelist: 'whitelist',
  blockProxy: 'block-proxy',
  iccToggle: 'icc',
  lockdown: 'lockdown',
  undo: 'undo',
  explain: 'explain',
};

export function commandActions(cmd: Command, ctx: KeyContext & { view?: ViewId }): KeyResult {
  const a = (...actions: Action[]): KeyResult => ({ actions, effects: [] });
  const page = Math.max(1, ctx.pageSize - 1);
  if (cmd.pending) return a({ type: 'message', text: `not available yet: ${cmd.description}`, tone: 'info' });
  const view = VIEW_OF_COMMAND[cmd.id];
  if (view) return a({ type: 'setView', view });
  const kind = FLOW_OF_COMMAND[cmd.id];
  if (kind) {
    if (!ctx.flow) return a({ type: 'message', text: `${cmd.description}: not available here`, tone: 'info' });
    const started = startFlow(kind, ctx.flow);
    if ('message' in started) return a({ type: 'message', text: started.message, tone: 'warn' });
    // Explain shows its walk inside the port's detail view.
    const open: Action[] = kind === 'explain' && started.flow.port && ctx.view !== 'detail' ? [{ type: 'open', target: { kind: 'port', portKey: started.flow.port.key } }] : [];
    return a(...open, { type: 'flowStart', flow: started.flow });
  }
  const dpage = Math.max(1, (ctx.dialogPage ?? ctx.pageSize) - 1);
  const max = ctx.scrollMax ?? 0;
  switch (cmd.id) {
    case 'up': return a({ type: 'move', delta: -1, keys: ctx.keys });
    case 'down': return a({ type: 'move', delta: 1, keys: ctx.keys });
    case 'pageUp': return a({ type: 'move', delta: -page, keys: ctx.keys });
    case 'pageDown': return a({ type: 'move', delta: page, keys: ctx.keys });
    case 'home': return a({ type: 'move', delta: -Infinity, keys: ctx.keys });
    case 'end': return a({ type: 'move', delta: Infinity, keys: ctx.keys });
    case 'open': return ctx.selectedOpen ? a({ type: 'open', target: ctx.selectedOpen }) : a();
    case 'back': return a({ type: 'back' });
    case 'nextView': return a({ type: 'cycleView', dir: 1 });
    case 'prevView': return a({ type: 'cycleView', dir: -1 });
    case 'filter': return a({ type: 'filterStart' });
    case 'sort': return a({ type: 'sortNext' });
    case 'sortReverse': return a({ type: 'sortReverse' });
    case 'pause': return a({ type: 'togglePause' });
    case 'refresh': return { actions: [], effects: ['refresh'] };
    case 'help': return a({ type: 'openHelp' });
    case 'helpClose': return a({ type: 'closeDialog' });
    case 'quit': return { actions: [], effects: ['quit'] };
    case 'filterAccept': return a({ type: 'filterAccept' });
    case 'filterCancel': return a({ type: 'filterCancel' });
    case 'filterDelete': return a({ type: 'filterDelete' });
    case 'promptAccept':
    case 'dialogAccept': return a({ type: 'flowAccept' });
    case 'promptCancel':
    case 'dialogCancel': return a({ type: 'flowCancel' });
    case 'promptDelete': return a({ type: 'flowDelete' });
    case 'dialogUp': return a({ type: 'flowMove', delta: -1, max });
    case 'dialogDown': return a({ type: 'flowMove', delta: 1, max });
    case 'dialogPageUp': return a({ type: 'flowMove', delta: -dpage, max });
    case 'dialogPageDown': return a({ type: 'flowMove', delta: dpage, max });
    case 'confirmKeep': return a({ type: 'flowKeep' });
    case 'confirmRollback': return a({ type: 'flowRollback' });
    default: return a();
  }
}

/**
 * Ink hands over a paste or a fast burst (tmux send-keys "/web" Enter) as
 * one input string; split it into single key presses so "/" opens the
 * filter and the rest is typed into it.
 */
export function splitInput(input: string, key: KeyPress): Array<{ input: string; key: KeyPress }> {
  const special = key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.home || key.end || key.escape || key.ctrl || key.tab || key.return || key.backspace || key.delete;
  if (special || [...input].length <= 1) return [{ input, key }];
  return [...input].map((ch) => {
    if (ch === '\r' || ch === '\n') return { input: '', key: { return: true } };
    if (ch === '\t') return { input: '', key: { tab: true } };
    if (ch === '\x7f' || ch === '\b') return { input: '', key: { backspace: true } };
    return { input: ch, key: {} };
  });
}

/**
 * One key press -> actions and effects, given the state it arrives in.
 * Typing in filter mode that is not a command becomes filter text.
 */
export function keyToResult(state: UiState, commands: readonly Command[], input: string, key: KeyPress, ctx: KeyContext): KeyResult {
  const mode = modeOf(state);
  const cmd = resolveCommand(commands, mode, input, key);
  const pre: Action[] = state.message ? [{ type: 'clearMessage' }] : [];
  if (cmd) {
    const r = commandActions(cmd, { ...ctx, view: state.view });
    return { actions: [...pre, ...r.actions], effects: r.effects };
  }
  if (mode === 'filter' && input && !key.ctrl && !key.meta) return { actions: [...pre, { type: 'filterInput', text: input }], effects: [] };
  if (mode === 'prompt' && input && !key.ctrl && !key.meta) return { actions: [...pre, { type: 'flowInput', text: input }], effects: [] };
  return { actions: pre, effects: [] };
}

/** A whole (possibly multi-key) input applied in order; returns the state after it too. */
export function inputToResult(
  state: UiState,
  commands: readonly Command[],
  input: string,
  key: KeyPress,
  ctx: KeyContext,
): KeyResult & { state: UiState } {
  let s = state;
  const actions: Action[] = [];
  const effects: Effect[] = [];
  for (const k of splitInput(input, key)) {
    const r = keyToResult(s, commands, k.input, k.key, ctx);
    for (const act of r.actions) s = reducer(s, act);
    actions.push(...r.actions);
    effects.push(...r.effects);
    if (r.effects.includes('quit')) break;
  }
  return { actions, effects, state: s };
}
