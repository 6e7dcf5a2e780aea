// The one-shot status counts flows by join key instead of keeping them
// (src/commands/status.ts countedModel, parse/conntrack-count.ts,
// model/flows.ts countFlowsOfPorts). Its output must be the one the full path
// gives: buildModel (flowsOfPorts) and statusJson/statusText over the model's
// own flow lists. Checked on the lab captures, on the parser fixtures put in
// a lab capture's place, and on generated tables built from each capture's
// and each layout's published ports (IPv6, docker-proxy flows, ports bound to
// one host address, addresses spelt differently, malformed lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import { countFlowsOfPorts, flowsOfPorts } from '../../src/core/model/flows.js';
import type { HostModel, PublishedPort } from '../../src/core/model/types.js';
import { countConntrack, countFlows } from '../../src/core/parse/conntrack-count.js';
import { parseConntrack } from '../../src/core/parse/conntrack.js';
import { statusJson, statusText } from '../../src/core/report/status.js';
import { findFindings, QUICK_EXPLAIN_BUDGET } from '../../src/core/findings/index.js';
import type { RawCapture } from '../../src/core/types.js';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { countCaptured, countedModel } from '../../src/commands/status.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const lab = (p: string) => readCaptureDir(fileURLToPath(new URL(`lab/${p}/`, fixtures)));

/** statusJson and statusText of the full path and of the counted one, which must be equal. */
function both(raw: RawCapture): { full: { json: unknown; text: string }; counted: { json: unknown; text: string }; model: HostModel } {
  const model = buildModel(buildSnapshot(raw));
  const findings = findFindings(model, { maxExplains: QUICK_EXPLAIN_BUDGET });
  const c = countedModel(raw, countCaptured(raw));
  const cFindings = findFindings(c.model, { maxExplains: QUICK_EXPLAIN_BUDGET });
  return {
    full: { json: statusJson(model, findings), text: statusText(model, findings) },
    counted: { json: statusJson(c.model, cFindings, c.flows), text: statusText(c.model, cFindings, c.flows) },
    model,
  };
}

function assertSame(raw: RawCapture, what: string): HostModel {
  const r = both(raw);
  assert.deepStrictEqual(r.counted.json, r.full.json, what);
  assert.equal(JSON.stringify(r.counted.json), JSON.stringify(r.full.json), what);
  assert.equal(r.counted.text, r.full.text, what);
  return r.model;
}

const withConntrack = (raw: RawCapture, text: string | undefined): RawCapture => {
  const files = { ...raw.files };
  if (text === undefined) delete files['conntrack.txt'];
  else files['conntrack.txt'] = text;
  return { ...raw, files };
};

test('lab captures: counted status equals the full one, and flows were counted', async () => {
  const matched: PublishedPort[] = [];
  for (const p of ['main', 'alt']) {
    const raw = await lab(p);
    const m = assertSame(raw, p);
    // Not a vacuous comparison: ports do have flows in these captures.
    assert.ok(m.flows.length > 50, p);
    matched.push(...m.published.filter((x) => x.flows.length > 0));
  }
  // Between them: IPv6 flows (alt), ports with a docker-proxy and ports bound to one host address (main).
  assert.ok(matched.some((x) => x.family === 6));
  assert.ok(matched.some((x) => x.proxy));
  assert.ok(matched.some((x) => x.hostIp !== '0.0.0.0' && x.hostIp !== '::'));
});

test('parser fixtures as conntrack.txt, and no conntrack.txt at all', async () => {
  const raw = await lab('main');
  const dir = new URL('parsers/', fixtures);
  const names = readdirSync(dir).filter((n) => n.startsWith('conntrack-') && !n.includes('events'));
  assert.ok(names.length >= 5);
  for (const n of names) assertSame(withConntrack(raw, readFileSync(new URL(n, dir), 'utf8')), n);
  assertSame(withConntrack(raw, undefined), 'no conntrack.txt');
  assertSame(withConntrack(raw, ''), 'empty conntrack.txt');
});

// ---------------------------------------------------------------- generated tables

/** Deterministic pseudo-random numbers (a test that fails must fail again). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 0x100000000;
  };
}

/** The same IPv6 address spelt out long (sameAddr must see through it). */
function longV6(a: string): string {
  if (!a.includes(':')) return a;
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => g.padStart(4, '0')).join(':');
}

const CLIENTS4 = ['203.0.113.7', '203.0.113.8', '198.51.100.99'];
const CLIENTS6 = ['2001:db8:ff::7', '2001:db8:ff::8'];

/** One line of `conntrack -L` (sometimes with the `ipv4 2` prefix of `-o extended`). */
function line(r: () => number, fam: 4 | 6, proto: string, o: { src: string; dst: string; sport: number; dport: number }, re: { src: string; dst: string; sport: number; dport: number }): string {
  const num = proto === 'udp' ? 17 : proto === 'sctp' ? 132 : 6;
  const l3 = r() < 0.3 ? (fam === 4 ? 'ipv4     2 ' : 'ipv6     10 ') : '';
  const state = proto === 'udp' ? '' : 'ESTABLISHED ';
  return `${l3}${proto.padEnd(8)} ${num} ${Math.floor(r() * 400000)} ${state}src=${o.src} dst=${o.dst} sport=${o.sport} dport=${o.dport} src=${re.src} dst=${re.dst} sport=${re.sport} dport=${re.dport} ${r() < 0.5 ? '[ASSURED] ' : ''}mark=0 use=1`;
}

/** A table with flows to, near and around each published port, plus noise and bad lines. */
function generate(ports: readonly PublishedPort[], hostAddrs: { 4: string; 6: string }, seed: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: string[] = [];
  for (const p of ports) {
    const fam = p.family;
    const clients = fam === 4 ? CLIENTS4 : CLIENTS6;
    const any = p.hostIp === '0.0.0.0' || p.hostIp === '::';
    const dst = any ? hostAddrs[fam] : p.hostIp;
    for (let n = 0; n < 1 + Math.floor(r() * 4); n++) {
      const c = pick(clients);
      const sport = 1024 + Math.floor(r() * 60000);
      const spell = (a: string) => (r() < 0.4 ? longV6(a) : a);
      const o = { src: c, dst: spell(dst), sport, dport: p.hostPort };
      const kind = r();
      if (kind < 0.35 && p.containerIp !== '') {
        // DNATed to the container
        out.push(line(r, fam, p.proto, o, { src: spell(p.containerIp), dst: c, sport: p.containerPort, dport: sport }));
      } else if (kind < 0.55) {
        // to a docker-proxy (counted only when the port has one)
        out.push(line(r, fam, p.proto, o, { src: spell(o.dst), dst: c, sport: p.hostPort, dport: sport }));
      } else if (kind < 0.65) {
        // the container's address but another port
        out.push(line(r, fam, p.proto, o, { src: p.containerIp || o.dst, dst: c, sport: p.containerPort + 1, dport: sport }));
      } else if (kind < 0.75) {
        // another host address than the one the port is bound to
        const other = fam === 4 ? '192.0.2.200' : '2001:db8:eeee::200';
        out.push(line(r, fam, p.proto, { ...o, dst: other }, { src: p.containerIp || other, dst: c, sport: p.containerPort, dport: sport }));
      } else if (kind < 0.85) {
        // the other protocol
        const proto = p.proto === 'tcp' ? 'udp' : 'tcp';
        out.push(line(r, fam, proto, o, { src: p.containerIp || o.dst, dst: c, sport: p.containerPort, dport: sport }));
      } else {
        // the same key again, many times (counts above one)
        const re = { src: p.containerIp || o.dst, dst: c, sport: p.containerIp ? p.containerPort : p.hostPort, dport: sport };
        for (let k = 0; k < 3; k++) out.push(line(r, fam, p.proto, { ...o, sport: sport + k }, { ...re, dport: sport + k }));
      }
    }
  }
  // Outbound traffic from containers (MASQUERADE), no dport at all, and lines
  // that are not flows (they become issues, in place).
  for (let n = 0; n < 40; n++) {
    const remote = pick(CLIENTS4);
    const sport = 30000 + n;
    out.push(line(r, 4, 'tcp', { src: '172.17.0.9', dst: remote, sport, dport: 443 }, { src: remote, dst: hostAddrs[4], sport: 443, dport: sport }));
  }
  out.push(`icmp     1 29 src=${CLIENTS4[0]} dst=${hostAddrs[4]} type=8 code=0 id=7 src=${hostAddrs[4]} dst=${CLIENTS4[0]} type=0 code=0 id=7 mark=0 use=1`);
  out.push(`unknown  50 99 src=${CLIENTS4[1]} dst=${hostAddrs[4]} [UNREPLIED] src=${hostAddrs[4]} dst=${CLIENTS4[1]} mark=0 use=1`);
  out.push('tcp      6 12 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=99999 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1');
  out.push('tcp      6 12 ESTABLISHED src=10.0.0.1 dst=2001:db8::2 sport=1 dport=80 src=2001:db8::2 dst=10.0.0.1 sport=80 dport=1 mark=0 use=1');
  out.push('garbage line');
  out.push('tcp      6 12 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=80');
  // Shuffle so keys and bad lines interleave, then the summary line.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  out.push('conntrack v1.4.7 (conntrack-tools): 123 flow entries have been shown.');
  return out.join('\n') + '\n';
}

test('generated tables on the lab captures: counted equals full', async () => {
  let longV6Matched = 0;
  for (const p of ['main', 'alt']) {
    const raw = await lab(p);
    const ports = buildModel(buildSnapshot(raw)).published;
    for (let seed = 1; seed <= 5; seed++) {
      const text = generate(ports, { 4: '198.51.100.1', 6: '2001:db8:1::1' }, seed * 7919);
      const model = assertSame(withConntrack(raw, text), `${p} seed ${seed}`);
      assert.ok(model.issues.filter((i) => i.source === 'conntrack.txt').length >= 4, 'bad lines are issues');
      const counted = model.published.filter((x) => x.flows.length > 0);
      assert.ok(counted.length > ports.length / 3, 'flows were matched to ports');
      if (counted.some((x) => x.family === 6 && x.flows.some((f) => f.orig.dst.length > 20 || f.reply.src.length > 20))) longV6Matched++;
      if (p === 'main') {
        assert.ok(counted.some((x) => x.proxy && x.flows.some((f) => f.reply.sport === x.hostPort && x.containerPort !== x.hostPort)), 'proxy flows matched');
        assert.ok(counted.some((x) => x.hostIp === '198.51.100.1'), 'a port bound to one host address matched');
      }
    }
  }
  assert.ok(longV6Matched >= 3, 'IPv6 flows matched, addresses spelt long too');
});

test('generated tables on every layout fixture: counted equals full', () => {
  const dir = new URL('layouts/', fixtures);
  const saves = readdirSync(dir).filter((n) => n.endsWith('.save'));
  let withPorts = 0;
  for (const n of saves) {
    const text = readFileSync(new URL(n, dir), 'utf8');
    const file = n.startsWith('ipv6') ? 'ip6tables-save.txt' : 'iptables-save.txt';
    const raw: RawCapture = { files: { [file]: text }, meta: { time: 0, hostname: 'h', netns: null, dockerVersion: null, unavailable: {}, notes: [] } };
    const ports = buildModel(buildSnapshot(raw)).published;
    if (ports.length > 0) withPorts++;
    for (let seed = 1; seed <= 3; seed++) assertSame(withConntrack(raw, generate(ports, { 4: '192.0.2.1', 6: '2001:db8:1::1' }, seed)), `${n} seed ${seed}`);
  }
  assert.ok(withPorts >= 5);
});

test('countFlowsOfPorts equals flowsOfPorts lengths, many keys under one destination', async () => {
  // More than FlowCounter's short list of keys under one (dst, dport): the
  // overflow map must count them the same.
  const raw = await lab('main');
  const ports = buildModel(buildSnapshot(raw)).published;
  const p = ports.find((x) => x.family === 4 && x.proto === 'tcp' && x.containerIp !== '' && x.proxy)!;
  assert.ok(p);
  const lines: string[] = [];
  for (let k = 0; k < 200; k++) {
    const sp = k % 3 === 0 ? p.containerPort : p.hostPort + (k % 50);
    const src = k % 2 === 0 ? p.containerIp : `10.9.${k % 7}.${k % 50}`;
    lines.push(`tcp      6 99 ESTABLISHED src=203.0.113.${k % 9} dst=198.51.100.1 sport=${1000 + k} dport=${p.hostPort} src=${src} dst=203.0.113.${k % 9} sport=${sp} dport=${1000 + k} mark=0 use=1`);
    lines.push(`tcp      6 99 ESTABLISHED src=203.0.113.${k % 9} dst=198.51.100.1 sport=${2000 + k} dport=${p.hostPort} src=198.51.100.1 dst=203.0.113.${k % 9} sport=${p.hostPort} dport=${2000 + k} mark=0 use=1`);
  }
  const text = lines.join('\n');
  const flows = parseConntrack(text).flows;
  const want = flowsOfPorts(ports, flows).map((l) => l.length);
  const counts = countConntrack(text).counts;
  assert.ok(counts.keys.length > 40, 'many keys');
  assert.equal(counts.total, flows.length);
  assert.deepEqual(countFlowsOfPorts(ports, counts), want);
  assert.deepEqual(countFlowsOfPorts(ports, countFlows(flows)), want);
  assert.ok(want.some((n) => n > 50));
});

test('status --from a capture directory prints what the full path prints', async () => {
  const { runStatus } = await import('../../src/commands/status.js');
  const dir = fileURLToPath(new URL('lab/main/', fixtures));
  const raw = await lab('main');
  const r = both(raw);
  for (const json of [true, false]) {
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      await runStatus({ from: dir, json });
    } finally {
      process.stdout.write = write;
    }
    if (json) assert.equal(out, JSON.stringify(r.full.json, null, process.stdout.isTTY ? 2 : undefined) + '\n');
    else assert.equal(out, r.full.text);
  }
});
