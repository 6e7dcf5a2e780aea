// The guided actions in the TUI, from key press to confirmation, on the lab
// capture (test/fixtures/lab/main) through the real buildSnapshot /
// buildModel and the real planners. The host side is a fake backend that
// records the plans it is asked to apply and answers with a pending
// transaction and a deadline. Condition waits only (polling lastFrame).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from 'ink-testing-library';
import type { AppProps } from '../../src/ui/app.js';
import { ACTION_EXIT, ApplyError } from '../../src/apply/transaction.js';
import { planWhitelist } from '../../src/core/plan/actions.js';
import type { Plan } from '../../src/core/plan/types.js';
import type { ActionBackend, ActionsConfig } from '../../src/ui/actions/backend.js';
import { flowReducer, parseSources, startFlow } from '../../src/ui/actions/flow.js';
import type { Sample } from '../../src/ui/data/sample.js';
import { KEYMAP, commandsFor, hintsFor } from '../../src/ui/keymap.js';
import { KEYS, fits, fixtureSample, onWeb, renderApp, sequenceLoader, waitFor, type Instance } from './ui-harness.js';

after(() => cleanup());

interface Fake {
  backend: ActionBackend;
  loads: number;
  applied: Plan[];
  confirmed: string[];
  rolledBack: string[];
  /** What apply does instead of succeeding. */
  failWith: Error | null;
}

function fake(sample: Sample, o: { timeoutCheck?: (s: number) => void } = {}): Fake {
  const f: Fake = {
    loads: 0,
    applied: [],
    confirmed: [],
    rolledBack: [],
    failWith: null,
    backend: {
      load: async () => {
        f.loads++;
        return { model: sample.model, rulesets: sample.rulesets };
      },
      checkIcc: async () => undefined,
      undoable: async () => [{ id: 'TX0', time: '2025-05-01T10:00:00.000Z', summary: 'whitelist 8080/tcp (web): only 198.51.100.10' }],
      undoPlan: async (tx) => {
        // Stands for "the inverse of TX0": any real plan will do for the dialog.
        const p = planWhitelist({ model: sample.model, rulesets: sample.rulesets }, { kind: 'whitelist', port: { port: 8081, proto: 'tcp', hostIp: '0.0.0.0' }, allow: ['192.0.2.1'] });
        return { ...p, intent: { kind: 'undo', tx }, summary: `undo ${tx}: whitelist tcp/8081 back to before it` };
      },
      apply: async (plan, timeoutSec) => {
        o.timeoutCheck?.(timeoutSec);
        if (f.failWith) throw f.failWith;
        f.applied.push(plan);
        return { id: `TX${f.applied.length}`, deadline: Date.now() + timeoutSec * 1000 };
      },
      confirm: async (tx) => {
        f.confirmed.push(tx);
      },
      rollback: async (tx) => {
        f.rolledBack.push(tx);
        return { outcome: 'rolled-back', ms: 4 };
      },
    },
  };
  return f;
}

const config = (f: Fake | null, over: Partial<ActionsConfig> = {}): ActionsConfig => ({
  backend: f?.backend ?? null,
  previewOnly: f ? null : 'this view reads a capture, not a host: previews only, nothing can be applied',
  confirmTimeoutSec: 60,
  ssh: '192.0.2.50',
  where: 'netns pcl-test',
  ...over,
});


/** The app on the lab fixture with a fake action backend, web's 0.0.0.0:8080 selected. */
async function startOnWeb(cols: number, rows: number, over: Partial<AppProps> = {}) {
  const s = await fixtureSample();
  const f = fake(s);
  const inst = renderApp(sequenceLoader([s]), cols, rows, { actions: config(f), ...over });
  await onWeb(inst);
  return { f, inst };
}

/** Type into a field one chunk at a time (as a terminal sends a paste). */
function type(inst: Instance, text: string): void {
  inst.stdin.write(text);
}

/** Scroll the preview down until pred holds (bounded). */
async function scrollUntil(inst: Instance, pred: (f: string) => boolean, what: string): Promise<string> {
  for (let i = 0; i < 40; i++) {
    const f = inst.lastFrame() ?? '';
    if (pred(f)) return f;
    inst.stdin.write('j');
    await waitFor(inst, (x) => x !== f || pred(x), `scrolled (${what})`, 2000).catch(() => undefined);
  }
  return waitFor(inst, pred, what, 100);
}

/** The wrapped diff line that starts with `start`, joined with its continuation lines. */
function diffRule(frame: string, start: RegExp): string | null {
  const lines = frame.split('\n');
  const i = lines.findIndex((l) => start.test(l));
  if (i < 0) return null;
  let text = lines[i] ?? '';
  for (let j = i + 1; j < lines.length && /^\+ {4}/.test(lines[j] ?? ''); j++) text += ` ${(lines[j] ?? '').slice(5)}`;
  return text;
}

// waitFor on something other than a frame.
async function waitForCond(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const WL_RULE = /^\+-A PORTCULLIS-FWD -s 198\.51\.100\.10\/32 -d 172\.17\.0\.2\/32/;

for (const [cols, rows] of [[80, 24], [160, 48]] as const) {
  describe(`whitelist walk at ${cols}x${rows}`, () => {
    it('w on a port -> CIDR -> enter -> diff preview -> apply -> live countdown -> y keeps it', async () => {
      const s = await fixtureSample();
      const f = fake(s, { timeoutCheck: (t) => assert.equal(t, 60) });
      const loader = sequenceLoader([s]);
      const inst = renderApp(loader, cols, rows, { actions: config(f) });
      await onWeb(inst);

      inst.stdin.write('w');
      const dialog = await waitFor(inst, (x) => x.includes('Allowed sources'), 'whitelist dialog');
      fits(dialog, cols, rows);
      assert.match(dialog, /Whitelist 8080\/tcp \(web\)/);
      assert.match(dialog, /allowed now: every source/);
      assert.match(dialog, /paused \(dialog\)/, 'refreshing pauses while the dialog is open');

      type(inst, '198.51.100.10/32');
      await waitFor(inst, (x) => x.includes('> 198.51.100.10/32▏'), 'typed into the field');
      inst.stdin.write(KEYS.enter);
      const preview = await waitFor(inst, (x) => x.includes('Preview: Whitelist 8080/tcp (web)'), 'preview');
      fits(preview, cols, rows);
      assert.match(preview.replace(/\n\s+/g, ' '), /whitelist 8080\/tcp \(web\) -> 172\.17\.0\.2:80 on docker0: new forwarded connections \(IPv4\) only from 198\.51\.100\.10\/32; others dropped/, 'the one-line summary (wrapped)');
      assert.match(preview, /enter applies to netns pcl-test: rolled back after 1m00s unless you keep it/);
      assert.equal(f.loads, 1, 'planned from a fresh read of the host');
      assert.equal(f.applied.length, 0, 'nothing applied before enter');

      const full = await scrollUntil(inst, (x) => (diffRule(x, WL_RULE) ?? '').includes('-j RETURN'), 'the RETURN rule of 198.51.100.10 in full');
      const rule = diffRule(full, WL_RULE) ?? '';
      assert.match(rule, /^\+-A PORTCULLIS-FWD -s 198\.51\.100\.10\/32 -d 172\.17\.0\.2\/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 .*--ctorigdstport 8080 .*-j RETURN$/);
      assert.match(full, /^\+-A DOCKER-USER -j PORTCULLIS-FWD/m);
      fits(full, cols, rows);

      const before = loader.calls;
      inst.stdin.write(KEYS.enter);
      const pending = await waitFor(inst, (x) => /rolled back in \d+ s/.test(x), 'pending with a countdown');
      fits(pending, cols, rows);
      assert.equal(f.applied.length, 1);
      const plan = f.applied[0] as Plan;
      assert.deepEqual(plan.intent, { kind: 'whitelist', port: { port: 8080, proto: 'tcp', hostIp: '0.0.0.0', container: 'web' }, allow: ['198.51.100.10/32'] });
      assert.match(plan.families[0]?.payload ?? '', /-s 198\.51\.100\.10\/32 .*-j RETURN/);
      assert.match(pending, /Applied TX1: keep it\?/);
      assert.match(pending, /y or enter: keep it {3}n or x: roll it back now/);
      const left = Number(/rolled back in (\d+) s/.exec(pending)?.[1]);
      assert.ok(left >= 58 && left <= 60, `countdown starts near 60 s: ${left}`);
      await waitFor(inst, (x) => Number(/rolled back in (\d+) s/.exec(x)?.[1] ?? left) < left, 'the countdown ticks', 3000);
      await waitForCond(() => loader.calls > before, 'a refresh right after apply');

      inst.stdin.write('y');
      const kept = await waitFor(inst, (x) => x.includes('Kept: TX1'), 'confirmed');
      fits(kept, cols, rows);
      assert.deepEqual(f.confirmed, ['TX1'], "the backend's confirm was called for the transaction");
      assert.deepEqual(f.rolledBack, []);
      inst.stdin.write(KEYS.escape);
      await waitFor(inst, (x) => !x.includes('Kept: TX1') && /web\s+0\.0\.0\.0:8080/.test(x), 'back to the overview');
      inst.unmount();
    });
  });
}

describe('action dialogs', () => {
  it('n rolls the applied change back now', async () => {
    const { f, inst } = await startOnWeb(80, 24);
    inst.stdin.write('w');
    await waitFor(inst, (x) => x.includes('Allowed sources'), 'dialog');
    type(inst, '198.51.100.10');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => x.includes('Preview:'), 'preview');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => /rolled back in \d+ s/.test(x), 'pending');
    inst.stdin.write('n');
    const f2 = await waitFor(inst, (x) => x.includes('Rolled back: TX1'), 'rolled back');
    assert.match(f2, /the previous state is restored/);
    assert.deepEqual(f.rolledBack, ['TX1']);
    assert.deepEqual(f.confirmed, []);
    inst.unmount();
  });

  it('no answer before the deadline: the dialog says the watchdog rolls it back, and the host is read again', async () => {
    const s = await fixtureSample();
    const f = fake(s);
    const loader = sequenceLoader([s]);
    const inst = renderApp(loader, 80, 24, { actions: config(f, { confirmTimeoutSec: 1 }) });
    await onWeb(inst);
    inst.stdin.write('w');
    await waitFor(inst, (x) => x.includes('Allowed sources'), 'dialog');
    type(inst, '198.51.100.10');
    inst.stdin.write(KEYS.enter);
    const p = await waitFor(inst, (x) => x.includes('Preview:'), 'preview');
    assert.match(p, /rolled back after 1s unless you keep it/);
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => /rolled back in [01] s/.test(x), 'pending');
    const before = loader.calls;
    const e = await waitFor(inst, (x) => x.includes('Not kept: TX1'), 'deadline passed', 5000);
    assert.match(e.replace(/\n\s+/g, ' '), /the watchdog restores the previous state/);
    await waitForCond(() => loader.calls > before, 'a refresh after the deadline');
    inst.stdin.write('y');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => !x.includes('Not kept') && x.includes('CONTAINER'), 'closed');
    assert.deepEqual(f.confirmed, [], 'y after the deadline confirms nothing');
    inst.unmount();
  });

  it('an invalid CIDR is refused inline, naming it, and nothing is planned or applied', async () => {
    const { f, inst } = await startOnWeb(80, 24);
    inst.stdin.write('w');
    await waitFor(inst, (x) => x.includes('Allowed sources'), 'dialog');
    type(inst, '198.51.100.10 198.51.100.300/32');
    inst.stdin.write(KEYS.enter);
    const e = await waitFor(inst, (x) => x.includes('source "198.51.100.300/32"'), 'inline error');
    assert.match(e, /source "198\.51\.100\.300\/32": not a valid CIDR/);
    assert.match(e, /nothing applied/);
    assert.match(e, /Allowed sources/, 'still in the field');
    assert.equal(f.loads, 0, 'no plan was made');
    assert.equal(f.applied.length, 0);
    // Fixing the text gets through.
    for (let i = 0; i < '198.51.100.300/32'.length; i++) inst.stdin.write(KEYS.backspace);
    await waitFor(inst, (x) => x.includes('> 198.51.100.10 ▏'), 'bad source deleted');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => x.includes('Preview:'), 'preview after the fix');
    assert.equal(f.applied.length, 0);
    inst.stdin.write(KEYS.escape);
    await waitFor(inst, (x) => x.includes('cancelled, nothing changed'), 'cancelled from the preview');
    assert.equal(f.applied.length, 0);
    inst.unmount();
  });

  it('lockdown: allowlist, preview, then the typed word; a wrong word refuses', async () => {
    const s = await fixtureSample();
    const f = fake(s);
    const inst = renderApp(sequenceLoader([s]), 80, 24, { actions: config(f) });
    await waitFor(inst, (x) => x.includes('web'), 'overview');
    inst.stdin.write('L');
    const d = await waitFor(inst, (x) => x.includes('Sources still allowed'), 'lockdown dialog');
    assert.match(d, /your SSH client 192\.0\.2\.50 \(SSH_CONNECTION\) stays allowed/);
    type(inst, '203.0.113.7');
    inst.stdin.write(KEYS.enter);
    const p = await waitFor(inst, (x) => x.includes('Preview: Lockdown'), 'preview');
    assert.match(p, /LOCKDOWN: new inbound connections to every published port/);
    assert.match(p, /you type LOCKDOWN next/);
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => x.includes('Type LOCKDOWN to apply'), 'the word prompt');
    type(inst, 'lockdown');
    inst.stdin.write(KEYS.enter);
    const refused = await waitFor(inst, (x) => x.includes('"lockdown" is not LOCKDOWN: not applied'), 'refused');
    assert.match(refused, /Type LOCKDOWN to apply/, 'still asking');
    assert.equal(f.applied.length, 0, 'a wrong word applies nothing');
    type(inst, 'LOCKDOWN');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => /rolled back in \d+ s/.test(x), 'pending');
    assert.equal(f.applied.length, 1);
    const intent = f.applied[0]?.intent;
    assert.deepEqual(intent, { kind: 'lockdown', allow: ['203.0.113.7'], off: false, ssh: '192.0.2.50' });
    assert.match(f.applied[0]?.families[0]?.payload ?? '', /-A PORTCULLIS-LOCK -s 203\.0\.113\.7\/32 .*-j RETURN/);
    inst.stdin.write('x');
    await waitFor(inst, (x) => x.includes('Rolled back: TX1'), 'x rolls back too');
    assert.deepEqual(f.rolledBack, ['TX1']);
    inst.unmount();
  });

  it('a failed apply says so plainly, and whether the previous state was restored or nothing changed', async () => {
    const { f, inst } = await startOnWeb(80, 24);
    const attempt = async (err: Error, expect: RegExp) => {
      f.failWith = err;
      inst.stdin.write('w');
      await waitFor(inst, (x) => x.includes('Allowed sources'), 'dialog');
      type(inst, '198.51.100.10');
      inst.stdin.write(KEYS.enter);
      await waitFor(inst, (x) => x.includes('Preview:'), 'preview');
      inst.stdin.write(KEYS.enter);
      const r = await waitFor(inst, (x) => x.includes('Whitelist 8080/tcp (web): failed'), 'failure shown');
      assert.match(r, expect);
      assert.doesNotMatch(r, /rolled back in/);
      inst.stdin.write(KEYS.enter);
      await waitFor(inst, (x) => !x.includes(': failed') && x.includes('CONTAINER'), 'closed');
    };
    await attempt(new ApplyError('the rules did not read back as planned (IPv4: chains differ: PORTCULLIS-FWD); the previous owned state was restored', ACTION_EXIT.verifyFailed), /did not read back as planned[\s\S]*the previous state was restored/);
    await attempt(new ApplyError('the rules changed since the plan was made (IPv4 PORTCULLIS-FWD, DOCKER-USER); nothing applied: plan again', ACTION_EXIT.refused), /rules changed since the plan was made[\s\S]*Nothing changed\./);
    assert.equal(f.applied.length, 0);
    inst.unmount();
  });

  it('with no host to change (a capture), previews work and apply is refused plainly', async () => {
    const s = await fixtureSample();
    const inst = renderApp(sequenceLoader([s]), 80, 24, { actions: config(null) });
    await onWeb(inst);
    inst.stdin.write('w');
    await waitFor(inst, (x) => x.includes('Allowed sources'), 'dialog');
    type(inst, '198.51.100.10');
    inst.stdin.write(KEYS.enter);
    const p = await waitFor(inst, (x) => x.includes('Preview:'), 'preview from the capture');
    assert.match(p, /previews only, nothing can be applied/);
    inst.stdin.write(KEYS.enter);
    const r = await waitFor(inst, (x) => x.includes(': failed'), 'refused');
    assert.match(r, /not applied: this view reads a capture/);
    assert.match(r, /Nothing changed\./);
    inst.unmount();
  });

  it('ICC: the dialog names the bridge, the containers it cuts and the br_netfilter check', async () => {
    const { inst } = await startOnWeb(160, 48);
    inst.stdin.write('i');
    const d = await waitFor(inst, (x) => x.includes('ICC on docker0'), 'icc dialog');
    fits(d, 160, 48);
    assert.match(d, /ICC now: on; Docker's setting: on/);
    assert.match(d, /running containers on docker0: dns, local1, range, web/);
    assert.match(d, /br_netfilter: /);
    assert.match(d, /> \(•\) off: containers on docker0 cannot reach each other/, 'off is offered first when ICC is on');
    inst.stdin.write(KEYS.enter);
    const p = await waitFor(inst, (x) => x.includes('Preview: ICC on docker0'), 'preview');
    assert.match(p, /^\+-A PORTCULLIS-FWD -i docker0 -o docker0 .*-j DROP/m);
    inst.unmount();
  });

  it('block-proxy: choose loopback or not; undo: pick a journal entry', async () => {
    const { f, inst } = await startOnWeb(160, 48);
    inst.stdin.write('b');
    await waitFor(inst, (x) => x.includes('Block which connections to docker-proxy?'), 'block-proxy dialog');
    inst.stdin.write('j');
    await waitFor(inst, (x) => x.includes('> (•) block loopback too'), 'second choice');
    inst.stdin.write(KEYS.enter);
    const p = await waitFor(inst, (x) => x.includes('Preview: Block docker-proxy input'), 'preview');
    assert.match(p, /^\+-A PORTCULLIS-IN .*--dport 8080 .*--ctstate NEW .*-j DROP/m);
    assert.doesNotMatch(p, /-i lo .*-j RETURN/, 'loopback not exempted');
    inst.stdin.write(KEYS.escape);
    await waitFor(inst, (x) => x.includes('cancelled, nothing changed'), 'cancelled');

    inst.stdin.write('u');
    await waitFor(inst, (x) => x.includes('Undo which change?') && x.includes('TX0'), 'journal entries');
    inst.stdin.write(KEYS.enter);
    const u = await waitFor(inst, (x) => x.includes('Preview: Undo a confirmed change'), 'undo preview');
    assert.match(u, /undo TX0: whitelist tcp\/8081 back to before it/);
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => /rolled back in \d+ s/.test(x), 'pending');
    assert.deepEqual(f.applied[0]?.intent, { kind: 'undo', tx: 'TX0' });
    inst.stdin.write('y');
    await waitFor(inst, (x) => x.includes('Kept: TX1'), 'kept');
    inst.unmount();
  });

  it('read-only: action keys open nothing and their hints are gone', async () => {
    const { f, inst } = await startOnWeb(80, 24, { readOnly: true });
    const footer = (inst.lastFrame() ?? '').split('\n').filter((l) => l.trim()).pop() ?? '';
    assert.doesNotMatch(footer, /w allow|b proxy|i icc|lockdown|undo/);
    assert.match(footer, /e explain/, 'explain changes nothing, so it stays');
    for (const k of ['w', 'b', 'i', 'L', 'u']) inst.stdin.write(k);
    inst.stdin.write('?');
    const help = await waitFor(inst, (x) => x.includes('esc or ? closes'), 'help (the keys before it did nothing)');
    assert.doesNotMatch(help, /Allowed sources|Block which|Sources still allowed|Undo which/);
    assert.equal(f.loads + f.applied.length, 0);
    inst.unmount();
  });
});

describe('action flow (pure)', () => {
  it('startFlow needs a port for port actions and says so', async () => {
    const s = await fixtureSample();
    const r = startFlow('whitelist', { model: s.model, portKey: null, bridge: null, ssh: null });
    assert.ok('message' in r);
    assert.match(r.message, /select a published port first/);
    const ok = startFlow('whitelist', { model: s.model, portKey: '4/tcp/0.0.0.0/8080', bridge: null, ssh: null });
    assert.ok('flow' in ok && ok.flow.step.step === 'text');
  });
  it('parseSources names every bad source with the planner\'s own words', () => {
    assert.deepEqual(parseSources('198.51.100.10, 2001:db8::/64').errors, []);
    const bad = parseSources('10.0.0.1 10.1 300.1.1.1/8');
    assert.equal(bad.errors.length, 2);
    assert.match(bad.errors[0] ?? '', /"10\.1"/);
    assert.match(bad.errors[1] ?? '', /"300\.1\.1\.1\/8"/);
  });
  it('a usage error from planning goes back to the field; a refusal is a result saying nothing changed', async () => {
    const s = await fixtureSample();
    const r = startFlow('whitelist', { model: s.model, portKey: '4/tcp/0.0.0.0/8080', bridge: null, ssh: null });
    assert.ok('flow' in r);
    let fl = flowReducer(r.flow, { type: 'flowInput', text: '2001:db8::1' }).flow!;
    fl = flowReducer(fl, { type: 'flowAccept' }).flow!;
    assert.equal(fl.step.step, 'busy');
    const job = fl.step.step === 'busy' ? fl.step.job : null;
    assert.ok(job);
    const back = flowReducer(fl, { type: 'flowResult', job, result: { kind: 'error', message: 'source 2001:db8::1: forwarded for IPv4 only', usage: true, note: 'Nothing changed.' } }).flow!;
    assert.equal(back.step.step, 'text');
    assert.match(back.step.step === 'text' ? (back.step.error ?? '') : '', /IPv4 only; nothing changed/);
    const refused = flowReducer(fl, { type: 'flowResult', job, result: { kind: 'error', message: 'x awaits confirmation', usage: false, note: 'Nothing changed.' } }).flow!;
    assert.equal(refused.step.step, 'result');
    // A result for another job is ignored.
    assert.equal(flowReducer(fl, { type: 'flowResult', job: { kind: 'journal' }, result: { kind: 'journal', options: [] } }).flow, fl);
  });
  it('the firewall keys are live (not pending) and their hints need a port where they act on one', () => {
    for (const c of KEYMAP.filter((x) => x.changesFirewall)) assert.ok(!c.pending, c.id);
    const withPort = hintsFor(false, 'normal', { port: true }).map((h) => h.label);
    const without = hintsFor(false, 'normal', { port: false }).map((h) => h.label);
    assert.ok(withPort.includes('allow') && withPort.includes('explain'));
    assert.ok(!without.includes('allow') && !without.includes('explain') && without.includes('lockdown'));
    assert.deepEqual(hintsFor(false, 'pending').map((h) => h.keys), ['y', 'n/x']);
    assert.ok(commandsFor(true).every((c) => !c.changesFirewall));
  });
});
