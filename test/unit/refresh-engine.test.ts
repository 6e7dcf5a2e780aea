// The refresh engine's read plan (src/host/refresh.ts) with a fake host
// read: counters and links every tick; addresses and docker-proxies only at
// start, after a Docker event, after a tick whose rules changed, and with a
// conntrack resync; Docker only at start and after an event.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import type { RawCapture } from '../../src/core/types.js';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import type { LiveOptions, LiveRead, LiveSourceName } from '../../src/host/live-source.js';
import { SOURCE_FILES } from '../../src/host/live-source.js';
import { BIG_TABLE, RefreshEngine, sameFiles } from '../../src/host/refresh.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LAB = path.join(here, '../fixtures/lab/main');

/** A host whose rules text the test can change; records what each read asked for. */
function fakeHost(raw: RawCapture, host: { frozen?: boolean } = {}) {
  const asked: LiveSourceName[][] = [];
  let save = raw.files['iptables-save.txt'] ?? '';
  let tick = 0;
  const read = async (opts: LiveOptions): Promise<LiveRead> => {
    const only = [...(opts.only ?? [])];
    asked.push(only);
    if (!host.frozen) tick++;
    const files: RawCapture['files'] = {};
    for (const name of only) {
      for (const f of SOURCE_FILES[name]) {
        // counters move every tick: a counters-only change
        const text = f === 'iptables-save.txt' ? save.replace(/^\[(\d+):(\d+)\]/gm, (_m, p: string, b: string) => `[${Number(p) + tick}:${Number(b) + tick}]`) : raw.files[f];
        if (text !== undefined) files[f] = text;
      }
    }
    return { capture: { files, meta: { ...raw.meta, unavailable: {}, notes: [] } }, timings: {} };
  };
  return {
    read,
    asked,
    addRule: (line: string) => {
      save = save.replace(/^(\*filter\n(?:[:#].*\n)*)/m, `$1[0:0] ${line}\n`);
    },
  };
}

const has = (l: LiveSourceName[], ...names: LiveSourceName[]) => names.every((n) => l.includes(n));

describe('RefreshEngine read plan', () => {
  let raw: RawCapture;
  before(async () => {
    raw = await readCaptureDir(LAB);
  });

  it('reads everything first, then only counters and links while nothing changes', async () => {
    let now = 0;
    const h = fakeHost(raw);
    const e = new RefreshEngine({ read: h.read, now: () => now, resyncMs: 60_000 });
    const first = await e.tick();
    assert.equal(first.kind, 'full');
    // the first tick leaves flows for the second, so the first frame does not wait for them
    assert.ok(has(h.asked[0]!, 'iptables', 'links', 'addresses', 'proxies', 'docker'), h.asked[0]!.join());
    assert.ok(!h.asked[0]!.includes('conntrack'));
    assert.equal(first.partial, true);
    assert.ok(!first.snapshot.flows?.length);
    now += 10;
    const second = await e.tick();
    assert.ok(h.asked[1]!.includes('conntrack'), h.asked[1]!.join());
    assert.equal(second.partial, false);
    assert.ok((second.snapshot.flows?.length ?? 0) > 0, 'the lab capture has flows');
    // No conntrack stream in this test: every tick re-lists conntrack (the fallback), so
    // pretend a stream runs by checking only the other sources.
    for (let i = 0; i < 3; i++) {
      now += 1000;
      const r = await e.tick();
      const l = h.asked.at(-1)!;
      assert.ok(has(l, 'iptables', 'links'), l.join());
      assert.ok(!l.includes('docker'), `tick ${i}: ${l.join()}`);
      assert.equal(r.kind, 'counters');
    }
  });

  it('conntrack events wait for the next tick while ticks come (one build and frame a tick), and are flushed alone when ticks stop', async () => {
    let now = 0;
    const h = fakeHost(raw);
    const e = new RefreshEngine({ read: h.read, now: () => now, resyncMs: 3_600_000, flushMs: 1000 });
    (e as unknown as { streaming: boolean }).streaming = true;
    await e.tick();
    const listed = await e.tick(); // flows read
    const base = listed.snapshot.flows?.length ?? 0;
    assert.ok(base > 0);
    const event = (n: number) => `    [NEW] tcp      6 120 SYN_SENT src=198.51.100.${n} dst=198.51.100.1 sport=${41000 + n} dport=8080 [UNREPLIED] src=172.17.0.2 dst=198.51.100.${n} sport=80 dport=${41000 + n}`;
    now += 1000;
    await e.tick();
    e.pushEventLine(event(21));
    now += 600;
    assert.equal(e.flushBetweenTicks(), null, 'a tick applied events 0.6 s ago: the next one brings these');
    now += 400;
    const t = await e.tick();
    assert.equal(t.snapshot.flows?.length, base + 1, 'the tick applied the buffered event');
    e.pushEventLine(event(22));
    now += 1500;
    assert.equal(e.flushBetweenTicks(), null);
    now += 1000; // 2.5 flush periods without a tick (paused, failing or slow)
    const f = e.flushBetweenTicks();
    assert.ok(f, 'flushed on its own');
    assert.equal(f.snapshot.flows?.length, base + 2);
    assert.equal(e.flushBetweenTicks(), null, 'nothing left to apply');
  });

  it('after a tick whose rules changed, the next tick re-reads addresses and proxies, once', async () => {
    const h = fakeHost(raw);
    // A stream is "running" and resyncs are far apart: only the plan decides.
    const e = new RefreshEngine({ read: h.read, now: () => 0, resyncMs: 3_600_000 });
    (e as unknown as { streaming: boolean }).streaming = true;
    await e.tick(); // everything but flows
    await e.tick(); // flows
    await e.tick();
    const quiet = h.asked.at(-1)!;
    assert.deepEqual(quiet, ['iptables', 'links']);
    h.addRule('-A DOCKER-USER -s 192.0.2.7/32 -j DROP');
    const changed = await e.tick();
    assert.equal(changed.kind, 'full');
    assert.deepEqual(h.asked.at(-1), ['iptables', 'links']);
    await e.tick();
    assert.ok(has(h.asked.at(-1)!, 'addresses', 'proxies'), h.asked.at(-1)!.join());
    await e.tick();
    assert.deepEqual(h.asked.at(-1), ['iptables', 'links']);
  });

  it('on a host where nothing moves, ticks hand back the same model, marked unchanged, with no build time', async () => {
    const h = fakeHost(raw, { frozen: true });
    const e = new RefreshEngine({ read: h.read, now: () => 0, resyncMs: 3_600_000 });
    (e as unknown as { streaming: boolean }).streaming = true;
    await e.tick();
    const b = await e.tick(); // flows read: a build
    assert.equal(b.unchanged, false);
    const c = await e.tick();
    assert.equal(c.unchanged, true);
    assert.equal(c.model, b.model);
    assert.equal(c.parseMs + c.joinMs, 0);
    // a rule counter moving is a change again
    const d = await fakeHost(raw).read({ only: ['iptables'] });
    (e as unknown as { opts: { read: typeof h.read } }).opts.read = async (o) => {
      const r = await h.read(o);
      if (r.capture.files['iptables-save.txt']) r.capture.files['iptables-save.txt'] = d.capture.files['iptables-save.txt'];
      return r;
    };
    const f = await e.tick();
    assert.equal(f.unchanged, false);
    assert.notEqual(f.model, b.model);
  });

  it('the safety-net re-list of conntrack comes every resyncMs, five times less often for a big table', async () => {
    let now = 0;
    const h = fakeHost(raw);
    const e = new RefreshEngine({ read: h.read, now: () => now, resyncMs: 60_000 });
    (e as unknown as { streaming: boolean }).streaming = true;
    await e.tick();
    await e.tick(); // the first re-list, at 0
    now = 59_000;
    assert.equal(e.plan().resync, false);
    now = 60_000;
    assert.equal(e.plan().resync, true);
    // the same engine with a table past BIG_TABLE entries
    const big = Array.from({ length: BIG_TABLE + 1 }, (_, i) => ({ ...e.table.flows()[0]!, orig: { ...e.table.flows()[0]!.orig, sport: 1 + (i % 60000), src: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` } }));
    e.table.reset(big);
    assert.ok(e.table.size > BIG_TABLE);
    assert.equal(e.plan().resync, false);
    now = 299_000;
    assert.equal(e.plan().resync, false);
    now = 300_000;
    assert.equal(e.plan().resync, true);
  });

  it('a Docker event brings Docker, addresses and proxies into the next tick', async () => {
    const h = fakeHost(raw);
    const e = new RefreshEngine({ read: h.read, now: () => 0, resyncMs: 3_600_000 });
    (e as unknown as { streaming: boolean }).streaming = true;
    await e.tick();
    await e.tick();
    await e.tick();
    (e as unknown as { dockerDirty: boolean }).dockerDirty = true; // what followDocker does on an event
    await e.tick();
    assert.ok(has(h.asked.at(-1)!, 'docker', 'addresses', 'proxies'), h.asked.at(-1)!.join());
    await e.tick();
    assert.deepEqual(h.asked.at(-1), ['iptables', 'links']);
  });

  it('the model keeps the addresses and proxies of the last read that had them', async () => {
    const h = fakeHost(raw);
    const e = new RefreshEngine({ read: h.read, now: () => 0, resyncMs: 3_600_000 });
    (e as unknown as { streaming: boolean }).streaming = true;
    await e.tick();
    const a = await e.tick(); // the flows read, with addresses and proxies (a resync)
    const b = await e.tick();
    assert.deepEqual(h.asked.at(-1), ['iptables', 'links']);
    assert.equal(b.model.published.length, a.model.published.length);
    assert.deepEqual(b.model.published.map((p) => [p.key, !!p.proxy]), a.model.published.map((p) => [p.key, !!p.proxy]));
    assert.deepEqual(b.model.addresses, a.model.addresses);
    assert.ok(a.model.published.some((p) => p.proxy), 'the lab has docker-proxies');
  });
});

describe('sameFiles: what counts as "nothing changed"', () => {
  const save = (date: string, pkts: number) => `# Generated by iptables-nft-save v1.8.9 (nf_tables) on ${date}\n*filter\n:INPUT ACCEPT [0:0]\n[${pkts}:100] -A INPUT -j ACCEPT\nCOMMIT\n# Completed on ${date}\n`;
  const link = (gc: string, rx: number) => `[{"ifname":"docker0","linkinfo":{"info_data":{"gc_timer":${gc},"hello_timer":0.00}},"stats64":{"rx":{"packets":${rx}}}}]`;
  it('ignores the dump dates and the bridge timers', () => {
    assert.ok(sameFiles({ 'iptables-save.txt': save('Mon Nov 23 20:19:39 2026', 5), 'ip-link.json': link('62.39', 7) }, { 'iptables-save.txt': save('Mon Nov 23 20:19:40 2026', 5), 'ip-link.json': link('61.36', 7) }));
  });
  it('sees a counter, a rule or a link counter moving, and a file appearing', () => {
    assert.ok(!sameFiles({ 'iptables-save.txt': save('d', 5) }, { 'iptables-save.txt': save('d', 6) }));
    assert.ok(!sameFiles({ 'ip-link.json': link('1.00', 7) }, { 'ip-link.json': link('1.00', 8) }));
    assert.ok(!sameFiles({ 'iptables-save.txt': save('d', 5) }, { 'iptables-save.txt': save('d', 5).replace('-j ACCEPT', '-j DROP') }));
    assert.ok(!sameFiles({}, { 'ip-addr.json': '[]' }));
  });
});

describe('sameFiles on real dumps', () => {
  it('a lab dump with other dates is the same; one changed counter or byte anywhere is not', async () => {
    const raw = await readCaptureDir(LAB);
    const t = raw.files['iptables-save.txt']!;
    assert.match(t, /^# Generated by/);
    const redated = t.replace(/^(# (?:Generated|Completed) .* )\d\d:\d\d:\d\d/gm, '$199:99:99');
    assert.notEqual(redated, t);
    assert.ok(sameFiles({ 'iptables-save.txt': t }, { 'iptables-save.txt': redated }));
    // every single-character change outside the date lines is seen (sampled positions)
    const dateLine = /^# (?:Generated|Completed) .*$/gm;
    const inDate = new Set<number>();
    for (const m of t.matchAll(dateLine)) for (let i = m.index; i <= m.index + m[0].length; i++) inDate.add(i);
    for (let i = 0; i < t.length; i += 97) {
      if (inDate.has(i) || t[i] === '\n') continue;
      const changed = t.slice(0, i) + (t[i] === 'x' ? 'y' : 'x') + t.slice(i + 1);
      assert.ok(!sameFiles({ 'iptables-save.txt': t }, { 'iptables-save.txt': changed }), `change at ${i} missed`);
    }
  });
});
