// Findings in the TUI, from the lab capture through the real model and the
// real findings pass: markers on the affected ports and bridges in the
// overview, the findings view (6 / f) with the selected finding explained,
// the explanation in the port detail; at 80x24 and 160x48, every frame
// fitting the terminal. And the memo key: a refresh that changed only
// counters reuses the last findings.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from 'ink-testing-library';
import { findFindings } from '../../src/core/findings/findings.js';
import { findingsFingerprint, findingsRows, indexFindings, portKeyLabel } from '../../src/ui/present/findings-rows.js';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { sampleFromCapture } from '../../src/ui/data/sample.js';
import { FIXTURE, KEYS, fits, fixtureSample, renderApp, selectedLine, sequenceLoader, steppedSamples, waitFor } from './ui-harness.js';

after(() => cleanup());

for (const [cols, rows] of [[80, 24], [160, 48]] as const) {
  describe(`findings at ${cols}x${rows}`, () => {
    it('markers on the affected ports and bridges in the overview', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      // "open to every source" (info) marks the 0.0.0.0 ports once the pass is done.
      const f = await waitFor(inst, (x) => /^ i\s*web\s+0\.0\.0\.0:8080/m.test(x) || /^>i\s*\S+/m.test(x), 'info markers');
      fits(f, cols, rows);
      assert.match(f, /^ i\s*web\s+0\.0\.0\.0:8080\s/m, 'web:8080 open to every source');
      assert.match(f, /^>i\s*dns\s+0\.0\.0\.0:5353\s/m, 'the selected row keeps its marker');
      assert.match(f, /^ !\s*web\s+\[::\]:8080\s/m, 'the proxy-only [::] half keeps its warning');
      // The bridge whose ICC finding exists: scroll to it.
      inst.stdin.write('G');
      const end = await waitFor(inst, (x) => x.includes('br-fa79e233e466'), 'the ICC-off bridge');
      const header = end.split('\n').find((l) => l.includes('br-fa79e233e466')) ?? '';
      assert.match(header, /^ isecure\s+br-fa79e233e466/, `bridge header marked: ${header}`);
      if (cols >= 160) assert.match(header, /i ICC off on br-fa79e233e466: br_netfilter state unknown/);
      fits(end, cols, rows);
      inst.unmount();
    });

    it('the findings view lists them by severity and explains the selected one; enter opens its port', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await waitFor(inst, (x) => x.includes('web'), 'overview');
      inst.stdin.write('6');
      const f = await waitFor(inst, (x) => x.includes('Warnings (1)') && x.includes('Information ('), 'findings view');
      fits(f, cols, rows);
      assert.match(selectedLine(f), /WARN FORWARD policy ACCEPT \(IPv4\)/);
      assert.match(f, /The IPv4 filter FORWARD policy is ACCEPT on a Docker host/, 'explanation pane');
      assert.match(f, /0\.0\.0\.0:8080\/tcp \(web\) is open to every source/);
      if (cols >= 120) assert.match(f, /w: whitelist 0\.0\.0\.0:8080\/tcp/, 'fix column names the key');
      inst.stdin.write('/8080');
      inst.stdin.write(KEYS.enter);
      const one = await waitFor(inst, (x) => /8080\/tcp \(web\) is open/.test(selectedLine(x)), 'the web finding selected');
      assert.match(one, /fix: whitelist 0\.0\.0\.0:8080\/tcp \(press w on the port\)/);
      fits(one, cols, rows);
      assert.match(one, /w allow/, 'w is offered: the finding is about a port');
      inst.stdin.write(KEYS.enter);
      const d = await waitFor(inst, (x) => x.includes('Forwarded route'), 'port detail from the finding');
      assert.match(d, /web\s+0\.0\.0\.0:8080\/tcp → 172\.17\.0\.2:80/);
      assert.match(d, /Findings \(1\)/);
      assert.match(d, /i 0\.0\.0\.0:8080\/tcp \(web\) is open to every source/);
      fits(d, cols, rows);
      // Enter on the finding (the first row the cursor can be on) shows its explanation in place.
      assert.match(selectedLine(d), /^>.*is open to every source {2}\(enter: explain\)/);
      assert.doesNotMatch(d, /is published on every address of the/);
      inst.stdin.write(KEYS.enter);
      const open = await waitFor(inst, (x) => x.includes('is published on every address of the'), 'the explanation under the finding');
      assert.match(open, /fix: whitelist 0\.0\.0\.0:8080\/tcp \(press w on the port\)/);
      assert.match(open, /Forwarded route/, 'the path is still on the first screen');
      fits(open, cols, rows);
      inst.stdin.write(KEYS.enter);
      await waitFor(inst, (x) => !x.includes('is published on every address of the'), 'enter again hides it');
      inst.stdin.write('f');
      await waitFor(inst, (x) => x.includes('Information (') && x.includes('FINDING'), 'f opens the findings view too (its filter kept)');
      inst.unmount();
    });
  });
}

describe('findings memo key', () => {
  it('ignores counters (a refresh with new counters reuses the findings), not rules', async () => {
    const [a, b] = await steppedSamples([50]);
    assert.ok(a && b);
    assert.notEqual(a.model, b.model);
    assert.equal(findingsFingerprint(a.model), findingsFingerprint(b.model));
    const raw = await readCaptureDir(FIXTURE);
    const text = (raw.files['iptables-save.txt'] ?? '').replace(/^(\[\d+:\d+\] -A DOCKER-USER -j RETURN)$/m, '[0:0] -A DOCKER-USER -s 203.0.113.0/24 -j DROP\n$1');
    const c = sampleFromCapture({ ...raw, files: { ...raw.files, 'iptables-save.txt': text } });
    assert.notEqual(findingsFingerprint(c.model), findingsFingerprint(a.model));
  });
  it('indexes by port and bridge; rows by severity with the port as the open target', async () => {
    const s = await fixtureSample();
    const fx = indexFindings(findFindings(s.model));
    assert.equal(fx.byPort.get('4/tcp/0.0.0.0/8080')?.[0]?.kind, 'published-open');
    assert.equal(fx.byBridge.get('br-fa79e233e466')?.[0]?.kind, 'icc-without-br-netfilter');
    const rows = findingsRows(fx);
    assert.equal(rows[0]?.key, 'g:warn');
    const web = rows.find((r) => r.key.includes('published-open') && r.open?.kind === 'port' && r.open.portKey === '4/tcp/0.0.0.0/8080');
    assert.ok(web);
    assert.equal(portKeyLabel('6/tcp/::/8080'), '[::]:8080/tcp');
  });
});
