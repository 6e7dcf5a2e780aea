// The UI reducer and the key -> action path as plain functions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandsFor } from '../../src/ui/keymap.js';
import { inputToResult, splitInput, type KeyContext } from '../../src/ui/state/commands.js';
import { cursorIndex, initialState, modeOf, reducer, refreshPaused } from '../../src/ui/state/reducer.js';
import type { Action, UiState } from '../../src/ui/state/types.js';

const run = (s: UiState, ...actions: Action[]) => actions.reduce(reducer, s);
const keys = ['a', 'b', 'c', 'd'];

describe('ui reducer: cursor', () => {
  it('moves and clamps at both ends', () => {
    let s = initialState();
    s = run(s, { type: 'move', delta: 1, keys });
    assert.deepEqual(s.cursors.overview, { index: 1, key: 'b' });
    s = run(s, { type: 'move', delta: 10, keys });
    assert.deepEqual(s.cursors.overview, { index: 3, key: 'd' });
    s = run(s, { type: 'move', delta: -Infinity, keys });
    assert.deepEqual(s.cursors.overview, { index: 0, key: 'a' });
    s = run(s, { type: 'move', delta: Infinity, keys });
    assert.equal(s.cursors.overview.key, 'd');
  });
  it('follows its row by key when the list reorders, and falls back to the index when the row goes', () => {
    let s = run(initialState(), { type: 'move', delta: 2, keys }); // on c
    assert.equal(cursorIndex(['c', 'a', 'b'], s.cursors.overview), 0);
    assert.equal(cursorIndex(['a', 'b'], s.cursors.overview), 1); // c gone: index 2 clamped
    assert.equal(cursorIndex([], s.cursors.overview), -1);
    s = run(s, { type: 'move', delta: 1, keys: ['c', 'x', 'y'] });
    assert.equal(s.cursors.overview.key, 'x');
  });
  it('ignores moves in an empty list', () => {
    const s = initialState();
    assert.equal(reducer(s, { type: 'move', delta: 1, keys: [] }), s);
  });
});

describe('ui reducer: views and navigation', () => {
  it('cycles views both ways and wraps', () => {
    let s = run(initialState(), { type: 'cycleView', dir: -1 });
    assert.equal(s.view, 'findings');
    s = run(s, { type: 'cycleView', dir: 1 }, { type: 'cycleView', dir: 1 });
    assert.equal(s.view, 'detail');
  });
  it('opens a port into the detail view and comes back to the same row', () => {
    let s = run(initialState(), { type: 'move', delta: 1, keys: ['port:x', 'port:y'] });
    s = run(s, { type: 'open', target: { kind: 'port', portKey: 'y' } });
    assert.equal(s.view, 'detail');
    assert.equal(s.detailPort, 'y');
    assert.equal(s.back.length, 1);
    s = run(s, { type: 'back' });
    assert.equal(s.view, 'overview');
    assert.equal(s.cursors.overview.key, 'port:y');
    assert.equal(s.back.length, 0);
  });
  it('follows jumps in the rules view with the filter cleared, and walks them back in order', () => {
    let s = run(initialState(), { type: 'setView', view: 'rules' }, { type: 'filterStart' }, { type: 'filterInput', text: 'USER' }, { type: 'filterAccept' });
    s = run(s, { type: 'move', delta: 1, keys: ['chain:A', 'rule:1'] });
    s = run(s, { type: 'open', target: { kind: 'chain', rowKey: 'chain:B' } });
    assert.equal(s.filters.rules, '');
    assert.equal(s.cursors.rules.key, 'chain:B');
    s = run(s, { type: 'open', target: { kind: 'chain', rowKey: 'chain:C' } });
    s = run(s, { type: 'back' });
    assert.equal(s.cursors.rules.key, 'chain:B');
    s = run(s, { type: 'back' });
    assert.equal(s.cursors.rules.key, 'rule:1');
    assert.equal(s.back.length, 0);
  });
  it('back with nowhere to go clears the filter, then does nothing', () => {
    let s = run(initialState(), { type: 'filterStart' }, { type: 'filterInput', text: 'web' }, { type: 'filterAccept' });
    s = run(s, { type: 'back' });
    assert.equal(s.filters.overview, '');
    assert.equal(reducer(s, { type: 'back' }), s);
  });
  it('view 2 shows the port the overview cursor is on', () => {
    let s = run(initialState(), { type: 'move', delta: 1, keys: ['port:4/tcp/0.0.0.0/80', 'port:4/tcp/0.0.0.0/81'] });
    s = run(s, { type: 'setView', view: 'detail' });
    assert.equal(s.detailPort, '4/tcp/0.0.0.0/81');
    assert.equal(s.back.length, 0);
  });
});

describe('ui reducer: filter, sort, pause, dialogs', () => {
  it('edits the filter of the current view only and drops control characters', () => {
    let s = run(initialState(), { type: 'filterStart' }, { type: 'filterInput', text: 'we\u0007b' }, { type: 'filterInput', text: 'x' }, { type: 'filterDelete' });
    assert.equal(s.filters.overview, 'web');
    assert.equal(s.filters.flows, '');
    assert.equal(modeOf(s), 'filter');
    s = run(s, { type: 'filterAccept' });
    assert.equal(modeOf(s), 'normal');
    assert.equal(s.filters.overview, 'web');
    s = run(s, { type: 'filterStart' }, { type: 'filterCancel' });
    assert.equal(s.filters.overview, '');
    assert.equal(s.filterEditing, false);
  });
  it('s cycles sort columns (resetting the direction), S reverses', () => {
    let s = run(initialState(), { type: 'sortReverse' });
    assert.deepEqual(s.sorts.overview, { index: 0, reverse: true });
    s = run(s, { type: 'sortNext' });
    assert.deepEqual(s.sorts.overview, { index: 1, reverse: false });
    s = run(s, { type: 'sortNext' }, { type: 'sortNext' }, { type: 'sortNext' });
    assert.deepEqual(s.sorts.overview, { index: 0, reverse: false });
  });
  it('refreshing pauses while paused or while help is open', () => {
    let s = initialState();
    assert.equal(refreshPaused(s), false);
    s = run(s, { type: 'openHelp' });
    assert.equal(refreshPaused(s), true);
    assert.equal(modeOf(s), 'help');
    s = run(s, { type: 'closeDialog' }, { type: 'togglePause' });
    assert.equal(refreshPaused(s), true);
    s = run(s, { type: 'togglePause' });
    assert.equal(refreshPaused(s), false);
  });
  it('messages are set and cleared', () => {
    const s = run(initialState(), { type: 'message', text: 'hi', tone: 'info' });
    assert.deepEqual(s.message, { text: 'hi', tone: 'info' });
    assert.equal(run(s, { type: 'clearMessage' }).message, null);
  });
});

describe('ui keys -> actions', () => {
  const ctx: KeyContext = { keys: ['port:a', 'port:b'], selectedOpen: { kind: 'port', portKey: 'a' }, pageSize: 10 };
  const press = (s: UiState, input: string, key = {}, readOnly = false) => inputToResult(s, commandsFor(readOnly), input, key, ctx);

  it('j/k and arrows move; enter opens the selected row', () => {
    assert.deepEqual(press(initialState(), 'j').actions, [{ type: 'move', delta: 1, keys: ctx.keys }]);
    assert.deepEqual(press(initialState(), '', { upArrow: true }).actions, [{ type: 'move', delta: -1, keys: ctx.keys }]);
    assert.equal(press(initialState(), '', { return: true }).state.view, 'detail');
  });
  it('q quits, r refreshes, p pauses', () => {
    assert.deepEqual(press(initialState(), 'q').effects, ['quit']);
    assert.deepEqual(press(initialState(), 'r').effects, ['refresh']);
    assert.equal(press(initialState(), 'p').state.paused, true);
  });
  it('a burst "/web⏎" opens the filter, types into it and applies it', () => {
    const r = press(initialState(), '/web\r');
    assert.equal(r.state.filters.overview, 'web');
    assert.equal(r.state.filterEditing, false);
    assert.deepEqual(r.effects, []);
  });
  it('while typing a filter, q is text and ctrl+c still quits', () => {
    const typing = run(initialState(), { type: 'filterStart' });
    const r = press(typing, 'q');
    assert.equal(r.state.filters.overview, 'q');
    assert.deepEqual(r.effects, []);
    assert.deepEqual(press(typing, 'c', { ctrl: true }).effects, ['quit']);
    assert.equal(press(typing, '', { escape: true }).state.filterEditing, false);
    assert.equal(press(run(typing, { type: 'filterInput', text: 'ab' }), '', { delete: true }).state.filters.overview, 'a');
  });
  it('firewall keys open their dialog only where they apply, and do nothing at all when read-only', () => {
    // No port or model to act on (this key context has none): says so, opens nothing.
    const r = press(initialState(), 'w');
    assert.match(r.state.message?.text ?? '', /not available here/);
    assert.equal(r.state.flow, null);
    const ro = press(initialState({ readOnly: true }), 'w', {}, true);
    assert.equal(ro.state.message, null);
    assert.deepEqual(ro.actions, []);
  });
  it('any key clears the last message', () => {
    const s = run(initialState(), { type: 'message', text: 'x', tone: 'info' });
    assert.equal(press(s, 'j').state.message, null);
  });
  it('help mode: only closing keys and quit work', () => {
    const s = run(initialState(), { type: 'openHelp' });
    assert.equal(press(s, 'j').actions.length, 0);
    assert.equal(press(s, '?').state.dialog, null);
    assert.equal(press(s, '', { escape: true }).state.dialog, null);
    assert.deepEqual(press(s, 'q').effects, ['quit']);
  });
  it('splitInput leaves single keys and special keys alone', () => {
    assert.equal(splitInput('j', {}).length, 1);
    assert.equal(splitInput('', { upArrow: true }).length, 1);
    assert.deepEqual(splitInput('a\r', {}).map((k) => k.input), ['a', '']);
  });
});
