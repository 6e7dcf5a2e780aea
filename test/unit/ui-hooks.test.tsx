// The data hooks: polling with an overlap guard, backoff on errors, pause,
// refresh-now, cleanup on unmount; Docker events refresh at once; conntrack
// events keep flows live without another read.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import type { Loader, Sample } from '../../src/ui/data/sample.js';
import { applyFlowEvents, flowKey } from '../../src/ui/hooks/useConntrackFlows.js';
import { backoffMs, useHostModel } from '../../src/ui/hooks/useHostModel.js';
import { parseConntrackEvent } from '../../src/core/parse/conntrack.js';
import type { Flow } from '../../src/core/types.js';
import { KEYS, fixtureSample, renderApp, sequenceLoader, waitFor } from './ui-harness.js';

after(() => cleanup());

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A loader whose reads finish only when the test says so. */
function gatedLoader(sample: Sample) {
  const pending: Array<{ resolve: (s: Sample) => void; reject: (e: Error) => void; signal: AbortSignal }> = [];
  let calls = 0;
  // Times taken where things happen (a read starts, a read is failed), not
  // where the test notices them: a slow render must not shorten a wait.
  const callAt: number[] = [];
  const failAt: number[] = [];
  const load: Loader = (signal) =>
    new Promise<Sample>((resolve, reject) => {
      calls++;
      callAt.push(Date.now());
      pending.push({ resolve, reject, signal });
    });
  return {
    load,
    get calls() {
      return calls;
    },
    pending,
    callAt,
    failAt,
    // A new object each read: the same one means "nothing changed" (see the test below).
    finish: () => pending.shift()?.resolve({ ...sample }),
    finishSame: () => pending.shift()?.resolve(sample),
    fail: (msg: string) => {
      failAt.push(Date.now());
      pending.shift()?.reject(new Error(msg));
    },
  };
}

function Probe(props: { load: Loader; intervalMs: number; paused: boolean; onApi?: (refresh: () => void, lastOk: () => number | null) => void; onRender?: () => void }) {
  const { data, refreshNow, lastOk } = useHostModel(props.load, { intervalMs: props.intervalMs, paused: props.paused });
  props.onApi?.(refreshNow, lastOk);
  props.onRender?.();
  return <Text>{`reads=${data.reads} ok=${data.sample ? 'y' : 'n'} failures=${data.failures} error=${data.error ?? '-'} reading=${data.reading}`}</Text>;
}

describe('useHostModel', () => {
  it('skips ticks while a read runs (overlap guard)', async () => {
    const g = gatedLoader(await fixtureSample());
    const inst = render(<Probe load={g.load} intervalMs={10} paused={false} />);
    await until(() => g.calls === 1, 'first read started');
    // Many ticks pass while the read hangs: none starts a second read.
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 100, '10 ticks');
    assert.equal(g.calls, 1);
    g.finish();
    await waitFor(inst, (f) => f.includes('reads=1 ok=y'), 'first read done');
    await until(() => g.calls === 2, 'next tick reads again');
    inst.unmount();
  });

  it('backs off after failures and recovers', async () => {
    assert.equal(backoffMs(1000, 0), 0);
    assert.equal(backoffMs(1000, 1), 1000);
    assert.equal(backoffMs(1000, 3), 4000);
    assert.equal(backoffMs(1000, 20), 60_000);
    const g = gatedLoader(await fixtureSample());
    const inst = render(<Probe load={g.load} intervalMs={20} paused={false} />);
    await until(() => g.calls === 1, 'read 1');
    g.fail('boom');
    await waitFor(inst, (f) => f.includes('failures=1 error=boom'), 'failure 1');
    await until(() => g.calls === 2, 'read 2');
    g.fail('boom');
    await waitFor(inst, (f) => f.includes('failures=2'), 'failure 2');
    await until(() => g.calls === 3, 'read 3');
    // backoffMs(20, 2) = 40 ms from the failure to the next read (timers may
    // fire a millisecond early in Date.now() terms, hence 38). Lateness under
    // load only makes the gap longer, so this cannot flake on a busy machine.
    const gap = g.callAt[2]! - g.failAt[1]!;
    assert.ok(gap >= 38, `second retry waited ${gap} ms, want >= 40 (2 intervals)`);
    // and the first retry waited one interval, so the wait grew
    assert.ok(g.callAt[1]! - g.failAt[0]! >= 18, `first retry waited ${g.callAt[1]! - g.failAt[0]!} ms`);
    g.finish();
    await waitFor(inst, (f) => f.includes('ok=y failures=0 error=-'), 'recovered');
    inst.unmount();
  });

  it('does not poll while paused, but refresh-now still reads', async () => {
    const g = gatedLoader(await fixtureSample());
    let refresh: () => void = () => undefined;
    const inst = render(<Probe load={g.load} intervalMs={10} paused={true} onApi={(r) => (refresh = r)} />);
    await until(() => g.calls === 1, 'the first read happens even when paused');
    g.finish();
    await waitFor(inst, (f) => f.includes('reads=1'), 'first read done');
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 80, 'ticks pass');
    assert.equal(g.calls, 1, 'no polling while paused');
    refresh();
    await until(() => g.calls === 2, 'refresh now');
    // refresh while a read runs: queued once, not run in parallel
    refresh();
    refresh();
    assert.equal(g.calls, 2);
    g.finish();
    await until(() => g.calls === 3, 'the queued refresh');
    g.finish();
    await waitFor(inst, (f) => f.includes('reads=3'), 'three reads');
    inst.unmount();
  });

  it('the same sample again (nothing changed on the host) renders once more, then not at all', async () => {
    const g = gatedLoader(await fixtureSample());
    let renders = 0;
    let lastOk: () => number | null = () => null;
    const inst = render(<Probe load={g.load} intervalMs={10} paused={false} onRender={() => renders++} onApi={(_r, l) => (lastOk = l)} />);
    await until(() => g.calls === 1, 'read 1');
    g.finishSame();
    await waitFor(inst, (f) => f.includes('reads=1 ok=y'), 'first sample');
    await until(() => g.calls === 2, 'read 2');
    g.finishSame();
    // the second read shows the rates going to "no change" (prev = this sample)
    await waitFor(inst, (f) => f.includes('reads=2'), 'second read rendered');
    const settled = renders;
    for (let i = 3; i <= 6; i++) {
      await until(() => g.calls === i, `read ${i}`);
      const before = Date.now();
      g.finishSame();
      await until(() => (lastOk() ?? 0) >= before, `read ${i} done`);
    }
    await until(() => g.calls === 7, 'read 7 started');
    assert.equal(renders, settled, 'no render for reads that brought the same sample');
    assert.match(inst.lastFrame() ?? '', /reads=2 /);
    // and a changed sample renders again
    g.finish();
    await waitFor(inst, (f) => f.includes('reads=3'), 'a changed sample');
    inst.unmount();
  });

  it('a partial first sample (no flows yet) is followed by a read at once, not a tick later', async () => {
    const sample = await fixtureSample();
    const g = gatedLoader(sample);
    const inst = render(<Probe load={g.load} intervalMs={60_000} paused={false} />);
    await until(() => g.calls === 1, 'read 1');
    g.pending.shift()?.resolve({ ...sample, partial: true });
    await until(() => g.calls === 2, 'read 2 right away', 2000);
    g.finish();
    await waitFor(inst, (f) => f.includes('reads=2'), 'second read');
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 100, 'a while');
    assert.equal(g.calls, 2, 'a complete sample waits for the interval');
    inst.unmount();
  });

  it('cleans up on unmount: no more reads, the running one aborted', async () => {
    const g = gatedLoader(await fixtureSample());
    const inst = render(<Probe load={g.load} intervalMs={10} paused={false} />);
    await until(() => g.calls === 1, 'read started');
    const signal = g.pending[0]?.signal;
    inst.unmount();
    assert.equal(signal?.aborted, true);
    g.finish();
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 60, 'ticks would have passed');
    assert.equal(g.calls, 1);
  });
});

describe('live feeds', () => {
  it('a Docker event triggers a read at once', async () => {
    const load = sequenceLoader([await fixtureSample()]);
    let emit: () => void = () => undefined;
    let aborted = false;
    const docker = (onEvent: () => void, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        emit = onEvent;
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve();
        });
      });
    const inst = renderApp(load, 80, 24, { feeds: { docker } });
    await waitFor(inst, (f) => f.includes('web'), 'data');
    assert.equal(load.calls, 1);
    emit();
    await until(() => load.calls === 2, 'refresh after the event (interval is 60 s)');
    inst.unmount();
    assert.equal(aborted, true, 'stream closed on unmount');
  });

  it('conntrack events add and remove flows without another read', async () => {
    const load = sequenceLoader([await fixtureSample()]);
    let emit: (line: string) => void = () => undefined;
    const conntrack = (onLine: (l: string) => void, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        emit = onLine;
        signal.addEventListener('abort', () => resolve());
      });
    const inst = renderApp(load, 100, 30, { feeds: { conntrack } });
    await waitFor(inst, (f) => f.includes('web'), 'data');
    inst.stdin.write('4');
    inst.stdin.write('/addr:203.0.113.9');
    inst.stdin.write(KEYS.enter);
    await waitFor(inst, (f) => f.includes('filter: addr:203.0.113.9') && f.includes('0 of'), 'no such flow yet');
    const flow = 'tcp      6 431999 ESTABLISHED src=203.0.113.9 dst=198.51.100.1 sport=40000 dport=8080 src=172.17.0.2 dst=203.0.113.9 sport=80 dport=40000 [ASSURED]';
    emit(`    [NEW] ${flow.replace('431999 ESTABLISHED', '120 SYN_SENT')}`);
    emit(` [UPDATE] ${flow}`);
    const f = await waitFor(inst, (x) => /203\.0\.113\.9:40000.*ESTABLISHED/.test(x), 'live flow shown');
    assert.match(f, /web\s+0\.0\.0\.0:8080\/tcp/, 'grouped under its port');
    emit(`[DESTROY] ${flow}`);
    await waitFor(inst, (x) => !x.includes('203.0.113.9:40000'), 'flow gone');
    assert.equal(load.calls, 1, 'no re-read');
    inst.unmount();
  });

  it('applyFlowEvents upserts by original tuple and deletes on DESTROY', () => {
    const line = 'tcp      6 10 SYN_SENT src=203.0.113.9 dst=198.51.100.1 sport=1 dport=80 [UNREPLIED] src=198.51.100.1 dst=203.0.113.9 sport=80 dport=1';
    const ev = parseConntrackEvent(`[NEW] ${line}`);
    assert.ok(ev);
    const table = new Map<string, Flow>();
    applyFlowEvents(table, [ev, { event: 'UPDATE', flow: { ...ev.flow, state: 'ESTABLISHED' } }]);
    assert.equal(table.size, 1);
    assert.equal(table.get(flowKey(ev.flow))?.state, 'ESTABLISHED');
    applyFlowEvents(table, [{ event: 'DESTROY', flow: ev.flow }]);
    assert.equal(table.size, 0);
  });
});
