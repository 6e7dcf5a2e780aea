// The UI reducer: pure, (state, action) -> state. Tested as plain functions
// (test/unit/ui-reducer.test.tsx).
import { flowReducer } from '../actions/flow.js';
import type { Mode } from '../keymap.js';
import type { Action, Cursor, UiState } from './types.js';
import { SORT_OPTIONS, VIEW_IDS, type ViewId } from './views.js';

const per = <T>(f: () => T): Record<ViewId, T> =>
  Object.fromEntries(VIEW_IDS.map((v) => [v, f()])) as Record<ViewId, T>;

export function initialState(opts: { readOnly?: boolean; view?: ViewId } = {}): UiState {
  return {
    view: opts.view ?? 'overview',
    cursors: per(() => ({ index: 0, key: null })),
    filters: per(() => ''),
    filterEditing: false,
    sorts: per(() => ({ index: 0, reverse: false })),
    paused: false,
    dialog: null,
    flow: null,
    detailPort: null,
    detailFinding: null,
    back: [],
    message: null,
    readOnly: !!opts.readOnly,
  };
}

/** Index of the cursor among `keys`: its key when still there, else its index clamped. -1 for no rows. */
export function cursorIndex(keys: readonly string[], c: Cursor): number {
  if (keys.length === 0) return -1;
  if (c.key !== null) {
    const i = keys.indexOf(c.key);
    if (i >= 0) return i;
  }
  return Math.min(Math.max(c.index, 0), keys.length - 1);
}

const PORT_ROW = 'port:';

function withCursor(s: UiState, view: ViewId, c: Cursor): UiState {
  return { ...s, cursors: { ...s.cursors, [view]: c } };
}

/** The port the overview cursor is on, if any (view 2 shows it). */
function overviewPort(s: UiState): string | null {
  const k = s.cursors.overview.key;
  return k && k.startsWith(PORT_ROW) ? k.slice(PORT_ROW.length) : null;
}

function setView(s: UiState, view: ViewId): UiState {
  const next: UiState = { ...s, view, back: [], filterEditing: false };
  if (view === 'detail') {
    const p = overviewPort(s) ?? s.detailPort;
    if (p !== s.detailPort) return { ...withCursor(next, 'detail', { index: 0, key: null }), detailPort: p };
  }
  return next;
}

export function reducer(s: UiState, a: Action): UiState {
  switch (a.type) {
    case 'move': {
      if (a.keys.length === 0) return s;
      const i = cursorIndex(a.keys, s.cursors[s.view]);
      const raw = i + a.delta;
      const ni = Number.isFinite(raw) ? Math.min(Math.max(raw, 0), a.keys.length - 1) : raw > 0 ? a.keys.length - 1 : 0;
      return withCursor(s, s.view, { index: ni, key: a.keys[ni] ?? null });
    }
    case 'setView':
      return setView(s, a.view);
    case 'cycleView': {
      const i = VIEW_IDS.indexOf(s.view);
      const n = VIEW_IDS.length;
      return setView(s, VIEW_IDS[(i + a.dir + n) % n] as ViewId);
    }
    case 'open': {
      if (a.target.kind === 'finding') return { ...s, detailFinding: s.detailFinding === a.target.id ? null : a.target.id };
      const entry = { view: s.view, cursor: s.cursors[s.view], detailPort: s.detailPort };
      if (a.target.kind === 'port') {
        const next = withCursor({ ...s, view: 'detail', detailPort: a.target.portKey }, 'detail', { index: 0, key: null });
        return { ...next, back: [...s.back, entry] };
      }
      // A jump or a rule: the rules view, its filter cleared so the target is on screen.
      const next = withCursor({ ...s, view: 'rules', filters: { ...s.filters, rules: '' } }, 'rules', { index: 0, key: a.target.rowKey });
      return { ...next, back: [...s.back, entry] };
    }
    case 'back': {
      const last = s.back[s.back.length - 1];
      if (last) {
        const restored = withCursor({ ...s, view: last.view, detailPort: last.detailPort }, last.view, last.cursor);
        return { ...restored, back: s.back.slice(0, -1) };
      }
      if (s.filters[s.view] !== '') return { ...s, filters: { ...s.filters, [s.view]: '' } };
      return s;
    }
    case 'filterStart':
      return { ...s, filterEditing: true };
    case 'filterInput': {
      // Only printable text: control characters never reach a filter.
      const text = a.text.replace(/[\u0000-\u001f\u007f]/g, '');
      if (!text) return s;
      return { ...s, filters: { ...s.filters, [s.view]: (s.filters[s.view] + text).slice(0, 200) } };
    }
    case 'filterDelete':
      return { ...s, filters: { ...s.filters, [s.view]: s.filters[s.view].slice(0, -1) } };
    case 'filterAccept':
      return { ...s, filterEditing: false };
    case 'filterCancel':
      return { ...s, filterEditing: false, filters: { ...s.filters, [s.view]: '' } };
    case 'sortNext': {
      const n = SORT_OPTIONS[s.view].length;
      const cur = s.sorts[s.view];
      return { ...s, sorts: { ...s.sorts, [s.view]: { index: (cur.index + 1) % n, reverse: false } } };
    }
    case 'sortReverse': {
      const cur = s.sorts[s.view];
      return { ...s, sorts: { ...s.sorts, [s.view]: { index: cur.index, reverse: !cur.reverse } } };
    }
    case 'togglePause':
      return { ...s, paused: !s.paused };
    case 'openHelp':
      return { ...s, dialog: 'help', filterEditing: false };
    case 'closeDialog':
      return { ...s, dialog: null };
    case 'message':
      return { ...s, message: { text: a.text, tone: a.tone } };
    case 'clearMessage':
      return s.message ? { ...s, message: null } : s;
    case 'flowStart':
      return { ...s, flow: a.flow, dialog: 'action', filterEditing: false };
    case 'flowInput':
    case 'flowDelete':
    case 'flowAccept':
    case 'flowCancel':
    case 'flowMove':
    case 'flowKeep':
    case 'flowRollback':
    case 'flowResult':
    case 'flowExpired': {
      if (!s.flow) return s;
      const out = flowReducer(s.flow, a);
      const message = out.message ? { text: out.message.text, tone: out.message.tone } : s.message;
      if (out.flow === null) return { ...s, flow: null, dialog: s.dialog === 'action' ? null : s.dialog, message };
      if (out.flow === s.flow && message === s.message) return s;
      return { ...s, flow: out.flow, message };
    }
  }
}

/** Refreshing stops while paused or while a dialog is open (architecture.md "Hooks"). */
export function refreshPaused(s: UiState): boolean {
  return s.paused || s.dialog !== null;
}

export function modeOf(s: UiState): Mode {
  if (s.filterEditing) return 'filter';
  if (s.dialog === 'help') return 'help';
  if (s.flow) {
    switch (s.flow.step.step) {
      case 'text': return 'prompt';
      case 'busy': return 'busy';
      case 'pending': return 'pending';
      default: return 'dialog';
    }
  }
  return 'normal';
}
