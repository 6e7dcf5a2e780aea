// Every view, the help screen and the filter, rendered from the lab
// capture (test/fixtures/lab/main) through the real buildSnapshot /
// buildModel, at 80x24 and 160x48. Condition waits only; every frame is
// checked to fit the terminal.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from 'ink-testing-library';
import { KEYS, fits, fixtureSample, portLines, renderApp, selectedLine, sequenceLoader, steppedSamples, waitFor, type Instance } from './ui-harness.js';

after(() => cleanup());

const ready = (inst: Instance) => waitFor(inst, (f) => f.includes('web') && f.includes('CONTAINER'), 'overview with lab data');

for (const [cols, rows] of [[80, 24], [160, 48]] as const) {
  describe(`views at ${cols}x${rows}`, () => {
    it('overview: networks, containers and published ports of the lab', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      const f = await ready(inst);
      fits(f, cols, rows);
      for (const s of ['bridge', 'docker0', 'dns', '0.0.0.0:5353', '172.17.0.4:53', 'PKT/S', 'FLOW', 'netns pcl-main', 'Docker 20.10']) assert.ok(f.includes(s), `overview shows ${s}`);
      assert.ok(portLines(f).length >= (rows === 24 ? 10 : 20), 'port rows fill the screen');
      assert.match(selectedLine(f), /dns\s+0\.0\.0\.0:5353/, 'cursor on the first port');
      // [::] bindings served by docker-proxy only are marked
      assert.ok(f.split('\n').some((l) => l.startsWith(' !') && l.includes('[::]:5353')), 'warn marker on a proxy-only binding');
      if (cols >= 140) assert.match(f, /no DNAT rule: only docker-proxy/);
      inst.unmount();
    });

    it('overview scrolls to keep the cursor visible', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await ready(inst);
      inst.stdin.write('G');
      const f = await waitFor(inst, (x) => selectedLine(x) !== '' && selectedLine(x) === portLines(x).pop(), 'cursor on the last port');
      fits(f, cols, rows);
      if (rows === 24) assert.doesNotMatch(f, /0\.0\.0\.0:5353/, 'the first rows scrolled out');
      const last = selectedLine(f);
      inst.stdin.write('j');
      inst.stdin.write('k');
      await waitFor(inst, (x) => selectedLine(x) !== last && selectedLine(x) !== '', 'k moves up from the end');
      inst.stdin.write('g');
      await waitFor(inst, (x) => /dns\s+0\.0\.0\.0:5353/.test(selectedLine(x)), 'back on the first port');
      inst.unmount();
    });

    it('port detail: both routes in packet order, flows and listener', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await ready(inst);
      inst.stdin.write('/8080');
      inst.stdin.write(KEYS.enter);
      await waitFor(inst, (x) => /web\s+0\.0\.0\.0:8080/.test(selectedLine(x)), 'web:8080 selected');
      inst.stdin.write(KEYS.enter);
      const f = await waitFor(inst, (x) => x.includes('Forwarded route'), 'detail');
      fits(f, cols, rows);
      assert.match(f, /web\s+0\.0\.0\.0:8080\/tcp → 172\.17\.0\.2:80/);
      assert.match(f, /nat\s+nat\/DOCKER\s+! -i docker0 -p tcp -m tcp --dp/);
      assert.match(f, /user\s+DOCKER-USER/);
      const lines = f.split('\n');
      const order = [/Forwarded route/, /^..nat\s+nat\/DOCKER/, /^..user\s+DOCKER-USER/, /^..fwd\s/].map((re) => lines.findIndex((l) => re.test(l)));
      assert.ok(order.every((i) => i >= 0), `all stages shown: ${order}`);
      assert.deepEqual([...order].sort((a, b) => a - b), order, 'packet order: nat DNAT, DOCKER-USER, FORWARD');
      // The rest of the page: scroll to the end
      inst.stdin.write('G');
      const end = await waitFor(inst, (x) => x.includes('Container interface'), 'end of the detail page');
      fits(end, cols, rows);
      assert.match(end, /docker-proxy( pid \d+)? listens on 0\.0\.0\.0:8080\/tcp → 172\.17\.0\.2:80|docker-proxy route/);
      assert.match(end, /Flows \(\d+\)/);
      inst.stdin.write(KEYS.escape);
      await waitFor(inst, (x) => /web\s+0\.0\.0\.0:8080/.test(selectedLine(x)) && x.includes('PKT/S'), 'back on the overview row');
      inst.unmount();
    });

    it('rules: every chain with counters; enter follows a jump, esc returns', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await ready(inst);
      inst.stdin.write('3');
      const f = await waitFor(inst, (x) => x.includes('RULE') && x.includes('FORWARD'), 'rules view');
      fits(f, cols, rows);
      assert.match(f, /IPv4 nft\s+filter\s+INPUT\s+policy ACCEPT/);
      inst.stdin.write('/-j DOCKER-USER\r');
      await waitFor(inst, (x) => x.includes('filter: -j DOCKER-USER'), 'filtered to the jump');
      inst.stdin.write('j');
      const onJump = await waitFor(inst, (x) => /-j DOCKER-USER/.test(selectedLine(x)), 'cursor on the FORWARD -> DOCKER-USER jump');
      fits(onJump, cols, rows);
      inst.stdin.write(KEYS.enter);
      const target = await waitFor(inst, (x) => /IPv4 nft\s+filter\s+DOCKER-USER/.test(selectedLine(x)), 'on the DOCKER-USER chain');
      assert.doesNotMatch(target, /filter: /, 'the jump cleared the filter');
      inst.stdin.write(KEYS.backspace);
      await waitFor(inst, (x) => /^>.*-j DOCKER-USER/.test(selectedLine(x)), 'back on the jump rule');
      inst.unmount();
    });

    it('flows: grouped by container and port, filterable by state and address', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await ready(inst);
      inst.stdin.write('4');
      const f = await waitFor(inst, (x) => x.includes('CLIENT') && x.includes('TIME_WAIT'), 'flows view');
      fits(f, cols, rows);
      assert.match(f, /dns\s+0\.0\.0\.0:5353\/udp → 172\.17\.0\.4:53\s+\d+ flows?/);
      inst.stdin.write('/state:TIME_WAIT addr:198.51.100.11\r');
      const g = await waitFor(inst, (x) => x.includes('filter: state:TIME_WAIT'), 'filtered flows');
      fits(g, cols, rows);
      const flowLines = g.split('\n').filter((l) => /^[> ] (tcp|udp)/.test(l));
      assert.ok(flowLines.length > 0, 'some flows match');
      for (const l of flowLines) {
        assert.match(l, /TIME_WAIT/);
        assert.match(l, /198\.51\.100\.11:/);
      }
      inst.unmount();
    });

    it('interfaces: bridges with their veths and rates', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await ready(inst);
      inst.stdin.write('5');
      const f = await waitFor(inst, (x) => x.includes('INTERFACE') && x.includes('docker0'), 'interfaces view');
      fits(f, cols, rows);
      assert.match(f, /└ veth[0-9a-f]+/);
      assert.match(f, /RX B\/s/);
      inst.unmount();
    });

    it('filter: "/" + a container name shows only its rows; esc clears', async () => {
      const inst = renderApp(sequenceLoader([await fixtureSample()]), cols, rows);
      await ready(inst);
      inst.stdin.write('/');
      await waitFor(inst, (x) => x.includes('type to filter'), 'filter prompt');
      inst.stdin.write('app1');
      const typing = await waitFor(inst, (x) => x.includes('/app1▏'), 'typed filter');
      fits(typing, cols, rows);
      inst.stdin.write(KEYS.enter);
      const f = await waitFor(inst, (x) => x.includes('filter: app1'), 'applied filter');
      fits(f, cols, rows);
      const ports = portLines(f);
      assert.ok(ports.length >= 1);
      for (const l of ports) assert.match(l, /app1/);
      assert.doesNotMatch(f, /\bweb\b|\bdns\b/);
      inst.stdin.write(KEYS.escape);
      await waitFor(inst, (x) => x.includes('dns') && !x.includes('filter:'), 'filter cleared');
      inst.unmount();
    });
  });
}

describe('refreshes', () => {
  it('changed rates get ▲/▼ markers and the row order does not move', async () => {
    const load = sequenceLoader(await steppedSamples([10, 40, 0]));
    const inst = renderApp(load, 80, 24);
    const first = await ready(inst);
    const order = portLines(first).map((l) => l.slice(2, 30));
    const web = (f: string) => portLines(f).find((l) => /web\s+0\.0\.0\.0:8080/.test(l)) ?? '';
    inst.stdin.write('r');
    await waitFor(inst, (f) => /\s5\s+300B\s/.test(web(f)), 'first rate: 10 packets in 2 s');
    inst.stdin.write('r');
    const up = await waitFor(inst, (f) => /20▲\s+1\.2K▲/.test(web(f)), 'rate up');
    inst.stdin.write('r');
    const down = await waitFor(inst, (f) => /0▼\s+0B▼/.test(web(f)), 'rate down');
    for (const f of [up, down]) assert.deepEqual(portLines(f).map((l) => l.slice(2, 30)), order, 'same order after a refresh');
    assert.equal(load.calls, 4);
    inst.unmount();
  });

  it('a failing read keeps the last data and says so; a missing source is named', async () => {
    const s = await fixtureSample();
    const broken = { ...s, model: { ...s.model, meta: { ...s.model.meta, unavailable: { 'conntrack.txt': 'conntrack: permission denied' } } } };
    let calls = 0;
    const load = async () => {
      calls++;
      if (calls === 1) return broken;
      throw new Error('netns pcl-main does not exist');
    };
    const inst = renderApp(load, 100, 30);
    await waitFor(inst, (f) => f.includes('unavailable: conntrack') && f.includes('web'), 'missing source named');
    inst.stdin.write('r');
    const f = await waitFor(inst, (x) => x.includes('read failed ×1'), 'failure shown');
    assert.match(f, /web\s+0\.0\.0\.0:8080/, 'last data still shown');
    inst.unmount();
  });

  it('s sorts by rate inside each network (shown on the info line), S reverses', async () => {
    const load = sequenceLoader(await steppedSamples([10]));
    const inst = renderApp(load, 160, 48);
    await ready(inst);
    inst.stdin.write('r');
    await waitFor(inst, (f) => portLines(f).some((l) => /web\s+0\.0\.0\.0:8080.*\s5\s+300B/.test(l)), 'web has a rate');
    inst.stdin.write('s');
    const f = await waitFor(inst, (x) => x.includes('sort: pkt/s'), 'sorted by pkt/s');
    const docker0 = portLines(f).filter((l) => /172\.17\./.test(l));
    assert.match(docker0[0] ?? '', /web\s+0\.0\.0\.0:8080/, 'the busiest port first in its network');
    inst.stdin.write('S');
    const g = await waitFor(inst, (x) => x.includes('sort: pkt/s (reversed)'), 'reversed');
    const rev = portLines(g).filter((l) => /172\.17\./.test(l));
    assert.match(rev[rev.length - 1] ?? '', /web\s+0\.0\.0\.0:8080/, 'the busiest port last');
    inst.unmount();
  });

  it('pause shows in the status line', async () => {
    const inst = renderApp(sequenceLoader([await fixtureSample()]), 80, 24);
    await ready(inst);
    inst.stdin.write('p');
    await waitFor(inst, (f) => f.includes('PAUSED'), 'paused');
    inst.stdin.write('p');
    await waitFor(inst, (f) => !f.includes('PAUSED'), 'resumed');
    inst.unmount();
  });
});
