// "Explain a client" in the port detail: e opens a prompt, the walk
// (explainText's brief form) shows in the detail, scrollable, with the
// verdict on top; bad input is said plainly and the prompt stays. From the
// lab capture through the real model and the real explain.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from 'ink-testing-library';
import { KEYS, fits, fixtureSample, onWeb, renderApp, selectedLine, sequenceLoader, waitFor, withOperatorDrop, type Instance } from './ui-harness.js';

after(() => cleanup());

async function webDetail(inst: Instance): Promise<void> {
  await onWeb(inst);
  inst.stdin.write(KEYS.enter);
  await waitFor(inst, (x) => x.includes('Forwarded route'), 'detail');
}

for (const [cols, rows] of [[80, 24], [160, 48]] as const) {
  describe(`explain a client at ${cols}x${rows}`, () => {
    it('e in the port detail: prompt, walk, verdict; scrolls; esc returns to the detail', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await webDetail(inst);
      inst.stdin.write('e');
      const prompt = await waitFor(inst, (x) => x.includes('Client address [interface]'), 'prompt');
      assert.match(prompt, /Explain a client of 0\.0\.0\.0:8080\/tcp \(web\)/);
      assert.match(prompt, /web\s+0\.0\.0\.0:8080\/tcp → 172\.17\.0\.2:80/, 'the detail summary stays on top');
      fits(prompt, cols, rows);
      inst.stdin.write('198.51.100.10');
      inst.stdin.write(KEYS.enter);
      const walk = await waitFor(inst, (x) => x.includes('198.51.100.10 → 198.51.100.1:8080/tcp: DELIVERED'), 'verdict');
      assert.match(walk, /\[iptables nat PREROUTING\]/);
      assert.match(walk, /MATCH -> DNAT to 172\.17\.0\.2:80/);
      assert.doesNotMatch(walk, /no match:/, 'the brief form leaves out rules that do not match');
      fits(walk, cols, rows);
      if (rows === 24) {
        assert.doesNotMatch(walk, /deciding rule:/, 'the end is below the fold');
        inst.stdin.write('G'); // not a dialog key: nothing happens
        for (let i = 0; i < 3; i++) inst.stdin.write(KEYS.down.repeat(1));
        const down = await waitFor(inst, (x) => !x.includes('(1-') && /\(\d+-\d+ of \d+/.test(x), 'scrolled');
        fits(down, cols, rows);
      } else assert.match(walk, /deciding rule: filter DOCKER #1/);
      inst.stdin.write(KEYS.escape);
      const back = await waitFor(inst, (x) => x.includes('Forwarded route') && !x.includes('DELIVERED'), 'back to the detail');
      fits(back, cols, rows);
      inst.unmount();
    });
  });
}

describe('explain a client', () => {
  it('a client dropped by an operator rule: DROPPED, the rule named', async () => {
    const inst = renderApp(sequenceLoader([await withOperatorDrop()]), 160, 48);
    await webDetail(inst);
    inst.stdin.write('e');
    await waitFor(inst, (x) => x.includes('Client address [interface]'), 'prompt');
    inst.stdin.write('203.0.113.5 ext0');
    inst.stdin.write(KEYS.enter);
    const f = await waitFor(inst, (x) => /203\.0\.113\.5 \(in on ext0\) → .*: DROPPED/.test(x), 'dropped verdict');
    assert.match(f, /DOCKER-USER #1 -s 203\.0\.113\.0\/24 -p tcp -m tcp --dport 80 -j DROP/);
    inst.unmount();
  });

  it('bad input is said plainly and the prompt stays', async () => {
    const inst = renderApp(sequenceLoader([await fixtureSample()]), 80, 24);
    await webDetail(inst);
    inst.stdin.write('e');
    await waitFor(inst, (x) => x.includes('Client address [interface]'), 'prompt');
    inst.stdin.write('198.51.100');
    inst.stdin.write(KEYS.enter);
    const e = await waitFor(inst, (x) => x.includes('client "198.51.100": not an IP address'), 'error');
    assert.match(e, /Client address \[interface\]/);
    for (let i = 0; i < 10; i++) inst.stdin.write(KEYS.backspace);
    await waitFor(inst, (x) => x.includes('> ▏'), 'field emptied');
    inst.stdin.write('198.51.100.10 not/an/if');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => x.includes('"not/an/if" is not an interface name'), 'interface error');
    inst.unmount();
  });

  it('from the overview, e opens the selected port with the prompt', async () => {
    const inst = renderApp(sequenceLoader([await fixtureSample()]), 80, 24);
    await waitFor(inst, (f) => f.includes('web') && f.includes('CONTAINER'), 'overview');
    inst.stdin.write('/8080');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (x) => /web\s+0\.0\.0\.0:8080/.test(selectedLine(x)), 'web:8080 selected');
    inst.stdin.write('e');
    const f = await waitFor(inst, (x) => x.includes('Client address [interface]'), 'prompt');
    assert.match(f, /web\s+0\.0\.0\.0:8080\/tcp → 172\.17\.0\.2:80/);
    inst.unmount();
  });
});
