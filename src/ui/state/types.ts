// UI state and every action that changes it. One reducer (reducer.ts) owns
// it; nothing else mutates UI state. Data from the host is not UI state: it
// lives in the data context (hooks/useHostModel.ts).
import type { FlowAction } from '../actions/flow.js';
import type { Flow } from '../actions/types.js';
import type { ViewId } from './views.js';

/** Where the cursor is: by row key (stable across refreshes), index as the fallback. */
export interface Cursor {
  index: number;
  key: string | null;
}

/** What enter on a row leads to. */
export type OpenTarget =
  | { kind: 'port'; portKey: string }
  /** A chain header row in the rules view (row key). */
  | { kind: 'chain'; rowKey: string }
  /** A rule row in the rules view (row key). */
  | { kind: 'rule'; rowKey: string }
  /** A finding in the port detail: enter shows or hides its explanation in place. */
  | { kind: 'finding'; id: string };

export interface BackEntry {
  view: ViewId;
  cursor: Cursor;
  detailPort: string | null;
}

export type Tone = 'info' | 'warn' | 'error';

export interface UiState {
  view: ViewId;
  cursors: Record<ViewId, Cursor>;
  filters: Record<ViewId, string>;
  /** true while the user types a filter for the current view. */
  filterEditing: boolean;
  sorts: Record<ViewId, { index: number; reverse: boolean }>;
  paused: boolean;
  /** An open dialog: help, or an action / explain dialog (`flow`). Refreshing pauses while one is open. */
  dialog: 'help' | 'action' | null;
  /** The action or explain dialog (actions/types.ts); set exactly when dialog is 'action'. */
  flow: Flow | null;
  /** Key of the published port the detail view shows. */
  detailPort: string | null;
  /** The finding whose explanation the port detail shows under its title (enter toggles). */
  detailFinding: string | null;
  /** Where esc/backspace returns to: entered ports and followed jumps. */
  back: BackEntry[];
  message: { text: string; tone: Tone } | null;
  readOnly: boolean;
}

export type Action =
  /** Move among `keys` (the selectable rows in display order); ±Infinity for first/last. */
  | { type: 'move'; delta: number; keys: readonly string[] }
  | { type: 'setView'; view: ViewId }
  | { type: 'cycleView'; dir: 1 | -1 }
  | { type: 'open'; target: OpenTarget }
  | { type: 'back' }
  | { type: 'filterStart' }
  | { type: 'filterInput'; text: string }
  | { type: 'filterDelete' }
  | { type: 'filterAccept' }
  | { type: 'filterCancel' }
  | { type: 'sortNext' }
  | { type: 'sortReverse' }
  | { type: 'togglePause' }
  | { type: 'openHelp' }
  | { type: 'closeDialog' }
  | { type: 'message'; text: string; tone: Tone }
  | { type: 'clearMessage' }
  /** Open an action or explain dialog (actions/flow.ts startFlow). */
  | { type: 'flowStart'; flow: Flow }
  | FlowAction;
