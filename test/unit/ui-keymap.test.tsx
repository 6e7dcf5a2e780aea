// The keymap table drives input, help and hints: every key is in help,
// no key means two things in one mode, and --read-only removes the
// commands that change the firewall from all three.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from 'ink-testing-library';
import { KEYMAP, MODES, commandsFor, hintsFor, keyLabel, matchKey, resolveCommand, scopesFor, type Mode } from '../../src/ui/keymap.js';
import { fixtureSample, lineWidths, renderApp, sequenceLoader, waitFor } from './ui-harness.js';

after(() => cleanup());

const entryLine = (frame: string, c: (typeof KEYMAP)[number]) => {
  const keys = c.keys.map(keyLabel).join(' ');
  const start = c.description.slice(0, 8);
  return frame.split('\n').find((l) => l.includes(` ${keys} `) && l.includes(start));
};

describe('keymap table', () => {
  it('has unique ids and every command has keys, a description and a category', () => {
    const ids = new Set(KEYMAP.map((c) => c.id));
    assert.equal(ids.size, KEYMAP.length);
    for (const c of KEYMAP) {
      assert.ok(c.keys.length > 0, c.id);
      assert.ok(c.description.length > 0, c.id);
    }
  });
  it('no key means two commands in the same mode', () => {
    for (const mode of MODES) {
      const seen = new Map<string, string>();
      for (const c of KEYMAP.filter((x) => scopesFor(mode).includes(x.scope))) {
        for (const k of c.keys) {
          assert.ok(!seen.has(k), `${mode}: ${k} is bound to ${seen.get(k)} and ${c.id}`);
          seen.set(k, c.id);
        }
      }
    }
  });
  it('the required keys are bound as specified', () => {
    const id = (input: string, key = {}, mode: Mode = 'normal') => resolveCommand(commandsFor(false), mode, input, key)?.id;
    assert.equal(id('j'), 'down');
    assert.equal(id('k'), 'up');
    assert.equal(id('', { downArrow: true }), 'down');
    assert.equal(id('', { return: true }), 'open');
    assert.equal(id('', { escape: true }), 'back');
    assert.equal(id('', { backspace: true }), 'back');
    assert.equal(id('', { tab: true }), 'nextView');
    assert.equal(id('', { tab: true, shift: true }), 'prevView');
    for (const n of [1, 2, 3, 4, 5]) assert.equal(id(String(n)), `view${n}`);
    assert.equal(id('/'), 'filter');
    assert.equal(id('s'), 'sort');
    assert.equal(id('S'), 'sortReverse');
    assert.equal(id('p'), 'pause');
    assert.equal(id('r'), 'refresh');
    assert.equal(id('?'), 'help');
    assert.equal(id('q'), 'quit');
    for (const [k, c] of [['w', 'whitelist'], ['b', 'blockProxy'], ['i', 'iccToggle'], ['L', 'lockdown'], ['u', 'undo']]) assert.equal(id(k as string), c);
  });
  it('the firewall actions are declared as changing the firewall, and only they', () => {
    const fw = KEYMAP.filter((c) => c.changesFirewall).map((c) => c.id).sort();
    assert.deepEqual(fw, ['blockProxy', 'iccToggle', 'lockdown', 'undo', 'whitelist']);
  });
  it('read-only removes them from input and hints', () => {
    for (const c of KEYMAP.filter((x) => x.changesFirewall)) {
      assert.equal(resolveCommand(commandsFor(true), 'normal', c.keys[0] ?? '', {}), null, c.id);
    }
    const hints = hintsFor(true, 'normal').map((h) => h.label).join(' ');
    assert.doesNotMatch(hints, /whitelist|block|lockdown|undo|ICC/i);
  });
  it('pending (not wired) commands are not in the footer hints', () => {
    const labels = hintsFor(false, 'normal').map((h) => h.keys);
    for (const c of KEYMAP.filter((x) => x.pending)) assert.ok(!labels.includes(keyLabel(c.keys[0] ?? '')), c.id);
  });
  it('dialog keys: typing into a field takes letters (q types q, ctrl+c still quits); y/n/x only while a change awaits confirmation', () => {
    const id = (mode: Mode, input: string, key = {}) => resolveCommand(commandsFor(false), mode, input, key)?.id ?? null;
    assert.equal(id('prompt', 'q'), null);
    assert.equal(id('prompt', 'y'), null);
    assert.equal(id('prompt', 'c', { ctrl: true }), 'quit');
    assert.equal(id('prompt', '', { return: true }), 'promptAccept');
    assert.equal(id('prompt', '', { escape: true }), 'promptCancel');
    assert.equal(id('dialog', '', { return: true }), 'dialogAccept');
    assert.equal(id('dialog', 'j'), 'dialogDown');
    assert.equal(id('dialog', 'y'), null);
    assert.equal(id('pending', 'y'), 'confirmKeep');
    assert.equal(id('pending', 'n'), 'confirmRollback');
    assert.equal(id('pending', 'x'), 'confirmRollback');
    assert.equal(id('pending', '', { return: true }), 'dialogAccept');
    assert.equal(id('busy', 'y'), null);
    assert.equal(id('busy', 'q'), 'quit');
    for (const k of ['w', 'b', 'i', 'L', 'u', 'e', '6', 'f']) assert.equal(id('dialog', k), null, `${k} does nothing inside a dialog`);
    assert.equal(id('normal', 'e'), 'explain');
    assert.equal(id('normal', 'f'), 'view6');
  });
  it('backspace matches both BS and DEL; a letter never matches with ctrl', () => {
    assert.equal(matchKey('backspace', '', { delete: true }), true);
    assert.equal(matchKey('backspace', '', { backspace: true }), true);
    assert.equal(matchKey('q', 'q', { ctrl: true }), false);
    assert.equal(matchKey('ctrl+c', 'c', { ctrl: true }), true);
  });
});

for (const [cols, rows] of [[80, 24], [160, 48]] as const) {
  describe(`help screen at ${cols}x${rows}`, () => {
    it('lists every command with all its keys; footer hints come from the table', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await waitFor(inst, (f) => f.includes('web'), 'overview with data');
      const footer = (inst.lastFrame() ?? '').split('\n').filter((l) => l.trim()).pop() ?? '';
      for (const h of hintsFor(false, 'normal').slice(0, 5)) assert.ok(footer.includes(`${h.keys} ${h.label}`), `hint ${h.label} in ${footer}`);
      inst.stdin.write('?');
      const f = await waitFor(inst, (x) => x.includes('esc or ? closes'), 'help');
      for (const c of KEYMAP) assert.ok(entryLine(f, c), `help lists ${c.id} (${c.keys.map(keyLabel).join(' ')})\n${f}`);
      assert.match(f, /Firewall/);
      assert.doesNotMatch(f, /not available yet/, 'every firewall key is wired');
      assert.ok(Math.max(...lineWidths(f)) <= cols, 'no line wider than the terminal');
      assert.ok(f.split('\n').length <= rows, 'fits the height');
      inst.stdin.write('\u001b');
      await waitFor(inst, (x) => !x.includes('esc or ? closes') && x.includes('Overview'), 'help closed');
      inst.unmount();
    });
    it('read-only: firewall commands are gone from help, hints and input', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows, { readOnly: true });
      await waitFor(inst, (f) => f.includes('READ-ONLY') && f.includes('web'), 'read-only overview');
      inst.stdin.write('w');
      inst.stdin.write('?');
      const f = await waitFor(inst, (x) => x.includes('esc or ? closes'), 'help');
      assert.match(f, /read-only: firewall commands removed/);
      for (const c of KEYMAP.filter((x) => x.changesFirewall)) assert.ok(!f.includes(c.description.slice(0, 12)), `${c.id} hidden`);
      assert.doesNotMatch(f, /Firewall/);
      for (const c of KEYMAP.filter((x) => !x.changesFirewall)) assert.ok(entryLine(f, c), `help still lists ${c.id}`);
      inst.stdin.write('?');
      const back = await waitFor(inst, (x) => x.includes('Overview'), 'help closed');
      assert.doesNotMatch(back, /not available yet/, 'w did nothing');
      inst.unmount();
    });
  });
}

describe('firewall keys when not read-only', () => {
  it('pressing one opens its dialog (lockdown: the allowlist field); esc cancels it', async () => {
    const inst = renderApp(sequenceLoader([await fixtureSample()]), 80, 24);
    await waitFor(inst, (f) => f.includes('web'), 'overview');
    inst.stdin.write('L');
    const f = await waitFor(inst, (x) => x.includes('Sources still allowed'), 'lockdown dialog');
    assert.match(f, /drops new inbound connections to every published port/);
    assert.match(f, /paused \(dialog\)/, 'refreshing pauses while the dialog is open');
    inst.stdin.write('\u001b');
    await waitFor(inst, (x) => x.includes('Lockdown: cancelled, nothing changed'), 'cancelled');
    inst.unmount();
  });
});
