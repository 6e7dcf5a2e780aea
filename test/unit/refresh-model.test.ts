// The incremental builder (src/core/refresh/model.ts) gives exactly what a
// full rebuild gives: buildModel(buildSnapshot(raw)), whichever path it
// took (full join, counters carried over, flows only), on the lab capture.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { FlowTable } from '../../src/core/flows/table.js';
import { buildModel } from '../../src/core/model/build.js';
import { computeRates } from '../../src/core/model/rates.js';
import { parseConntrack } from '../../src/core/parse/conntrack.js';
import { IncrementalBuilder, joinRootOf } from '../../src/core/refresh/model.js';
import { findFindings } from '../../src/core/findings/index.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import type { RawCapture } from '../../src/core/types.js';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { findingsFingerprint } from '../../src/ui/present/findings-rows.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LAB = path.join(here, '../fixtures/lab/main');

/** The capture `k` seconds later with every rule counter moved on by k packets. */
function later(raw: RawCapture, k: number, files: Partial<RawCapture['files']> = {}): RawCapture {
  const bump = (t: string | undefined) => t?.replace(/^\[(\d+):(\d+)\]/gm, (_m, p: string, b: string) => `[${Number(p) + k}:${Number(b) + 60 * k}]`);
  return {
    files: { ...raw.files, 'iptables-save.txt': bump(raw.files['iptables-save.txt']), ...files },
    meta: { ...raw.meta, time: raw.meta.time + 1000 * k },
  };
}

const full = (raw: RawCapture) => buildModel(buildSnapshot(raw));

describe('IncrementalBuilder', () => {
  let raw: RawCapture;
  before(async () => {
    raw = await readCaptureDir(LAB);
  });

  it('first build is a full one and equals buildModel', () => {
    const b = new IncrementalBuilder();
    const r = b.build(raw);
    assert.equal(r.kind, 'full');
    assert.deepStrictEqual(r.model, full(raw));
  });

  it('counters only: the join is carried over, the model equals a full rebuild', () => {
    const b = new IncrementalBuilder();
    let prev = b.build(raw);
    for (let k = 1; k <= 3; k++) {
      const next = later(raw, k);
      const r = b.build(next);
      assert.equal(r.kind, 'counters');
      assert.deepStrictEqual(r.model, full(next));
      // Only counters moved: the IPv4 ruleset was patched from the last parse (its line list kept), not parsed again.
      const v4 = (s: typeof r.snapshot) => s.rulesets.find((x) => x.family === 4 && x.backend === 'nft')!;
      assert.equal(v4(r.snapshot).lines, v4(prev.snapshot).lines);
      assert.notEqual(v4(r.snapshot).tables, v4(prev.snapshot).tables);
      prev = r;
    }
  });

  it('rates from incremental models equal rates from full ones', () => {
    const b = new IncrementalBuilder();
    const a0 = b.build(raw).model;
    const a1 = b.build(later(raw, 2)).model;
    assert.deepStrictEqual(computeRates(a0, a1), computeRates(full(raw), full(later(raw, 2))));
    assert.ok(computeRates(a0, a1).ports.size > 0, 'ports got rates');
  });

  it('a rule added, a Docker change or an interface change forces a full join', () => {
    const b = new IncrementalBuilder();
    b.build(raw);
    const ipt = raw.files['iptables-save.txt'] ?? '';
    const added = later(raw, 1, { 'iptables-save.txt': ipt.replace(/^(\[\d+:\d+\] -A DOCKER-USER -j RETURN)$/m, '[0:0] -A DOCKER-USER -s 192.0.2.7/32 -j DROP\n$1') });
    assert.notEqual(added.files['iptables-save.txt'], ipt);
    let r = b.build(added);
    assert.equal(r.kind, 'full');
    assert.deepStrictEqual(r.model, full(added));
    assert.ok(r.model.published.some((p) => p.path.some((s) => s.ref.rule.text.includes('192.0.2.7'))), 'the new rule is on the paths');

    const containers = JSON.parse(added.files['containers.json'] ?? '[]') as Array<{ Name: string }>;
    containers.pop();
    const lessDocker = later(added, 2, { 'iptables-save.txt': added.files['iptables-save.txt'], 'containers.json': JSON.stringify(containers) });
    r = b.build(lessDocker);
    assert.equal(r.kind, 'full');
    assert.deepStrictEqual(r.model, full(lessDocker));

    r = b.build(later(lessDocker, 3, { 'iptables-save.txt': lessDocker.files['iptables-save.txt'], 'ip-link.json': '[]' }));
    assert.equal(r.kind, 'full');
  });

  it('sysctl.txt: a new nf_conntrack_count alone carries the join (and shows), another setting forces a full one', () => {
    const sysctl = (count: number, brnf = 1) =>
      `net.bridge.bridge-nf-call-iptables = ${brnf}\nnet.ipv4.ip_forward = 1\nnet.netfilter.nf_conntrack_max = 262144\nnet.netfilter.nf_conntrack_count = ${count}\n`;
    const b = new IncrementalBuilder();
    const with0 = later(raw, 0, { 'sysctl.txt': sysctl(1824) });
    const m0 = b.build(with0);
    assert.equal(m0.kind, 'full');
    const next = later(raw, 1, { 'sysctl.txt': sysctl(1900) });
    let r = b.build(next);
    assert.equal(r.kind, 'counters', 'a resync that only moved the conntrack count');
    assert.deepStrictEqual(r.model, full(next));
    assert.equal(r.model.sysctls?.['net.netfilter.nf_conntrack_count'], '1900');
    assert.equal(joinRootOf(r.model), m0.model);
    const brnfOff = later(raw, 2, { 'sysctl.txt': sysctl(1900, 0) });
    r = b.build(brnfOff);
    assert.equal(r.kind, 'full', 'bridge-nf-call-iptables changed');
    assert.deepStrictEqual(r.model, full(brnfOff));
  });

  it('findings fingerprint ignores the conntrack count, not the other settings', () => {
    const m = full(later(raw, 0, { 'sysctl.txt': 'net.bridge.bridge-nf-call-iptables = 1\nnet.netfilter.nf_conntrack_count = 5\n' }));
    const moved = { ...m, sysctls: { ...m.sysctls, 'net.netfilter.nf_conntrack_count': '6' } };
    const off = { ...m, sysctls: { ...m.sysctls, 'net.bridge.bridge-nf-call-iptables': '0' } };
    assert.equal(findingsFingerprint(moved), findingsFingerprint(m));
    assert.notEqual(findingsFingerprint(off), findingsFingerprint(m));
  });

  it('flows from a FlowTable: events, then a flows-only build, equal a full rebuild', () => {
    const dump = parseConntrack(raw.files['conntrack.txt'] ?? '').flows;
    const table = new FlowTable(dump);
    const b = new IncrementalBuilder();
    const fullWith = (r: RawCapture) => buildModel({ ...buildSnapshot(r), flows: table.flows() });
    let r = b.build(raw, table);
    assert.equal(r.kind, 'full');
    assert.deepStrictEqual(r.model, fullWith(raw));

    const web = r.model.published.find((p) => p.hostPort === 8080 && p.proto === 'tcp');
    assert.ok(web);
    const before8080 = web.flows.length;
    const line = `tcp      6 120 SYN_SENT src=198.51.100.10 dst=198.51.100.1 sport=41000 dport=8080 [UNREPLIED] src=${web.containerIp} dst=198.51.100.10 sport=${web.containerPort} dport=41000`;
    assert.equal(table.applyLine(`    [NEW] ${line}`), true);
    const f = b.withFlows(table);
    assert.ok(f);
    assert.equal(f.kind, 'flows');
    assert.equal(f.model.published.find((p) => p.key === web.key)?.flows.length, before8080 + 1);
    assert.deepStrictEqual(f.model, { ...fullWith(raw), time: f.model.time });
    // Ports whose bucket did not change keep their object.
    const other = r.model.published.find((p) => p.hostPort !== 8080);
    assert.ok(other);
    assert.equal(f.model.published.find((p) => p.key === other.key), other);
    assert.equal(b.withFlows(table), null, 'nothing new');

    table.applyLine(`[DESTROY] ${line}`);
    r = b.build(later(raw, 1), table);
    assert.equal(r.kind, 'counters');
    assert.deepStrictEqual(r.model, fullWith(later(raw, 1)));
  });

  it('a counters build keeps the objects of rules and ports whose counters did not move', () => {
    const b = new IncrementalBuilder();
    const first = b.build(raw).model;
    const web = first.published.find((p) => p.hostPort === 8080 && p.proto === 'tcp')!;
    assert.ok(web.dnat, 'web has a DNAT rule');
    // Only the web port's DNAT rule counts new packets.
    const ipt = raw.files['iptables-save.txt'] ?? '';
    const line = ipt.split('\n').find((l) => l.endsWith(`-A DOCKER ${web.dnat!.rule.text}`))!;
    assert.ok(line, 'the DNAT line');
    const next: RawCapture = { files: { ...raw.files, 'iptables-save.txt': ipt.replace(line, line.replace(/^\[\d+:\d+\]/, '[999:99999]')) }, meta: { ...raw.meta, time: raw.meta.time + 1000 } };
    const r = b.build(next);
    assert.equal(r.kind, 'counters');
    assert.deepStrictEqual(r.model, full(next));
    const moved = r.model.published.find((p) => p.key === web.key)!;
    assert.notEqual(moved, web);
    assert.deepEqual(moved.counters, { packets: 999, bytes: 99999 });
    const same = r.model.published.filter((p) => p.key !== web.key && p.dnat?.rule !== web.dnat!.rule);
    assert.ok(same.length > 3);
    for (const p of same) assert.equal(p, first.published.find((q) => q.key === p.key), `${p.key} kept`);
    const keptRefs = r.model.rules.filter((ref, i) => ref === first.rules[i]).length;
    assert.equal(keptRefs, first.rules.length - 1, 'every RuleRef but the moved rule\'s');
  });

  it('a carried model names the full model whose join it carries, and has its findings', () => {
    const table = new FlowTable(parseConntrack(raw.files['conntrack.txt'] ?? '').flows);
    const b = new IncrementalBuilder();
    const root = b.build(raw, table).model;
    assert.equal(joinRootOf(root), root);
    const c1 = b.build(later(raw, 1), table);
    const web = root.published.find((p) => p.hostPort === 8080 && p.proto === 'tcp')!;
    table.applyLine(`    [NEW] tcp      6 120 SYN_SENT src=198.51.100.10 dst=198.51.100.1 sport=41001 dport=8080 [UNREPLIED] src=${web.containerIp} dst=198.51.100.10 sport=${web.containerPort} dport=41001`);
    const f2 = b.withFlows(table)!;
    const c3 = b.build(later(raw, 3), table);
    for (const r of [c1, f2, c3]) {
      assert.notEqual(r.kind, 'full');
      assert.equal(joinRootOf(r.model), root, `${r.kind} build`);
      // The premise of keying findings by the root: they are the same.
      assert.deepStrictEqual(findFindings(r.model), findFindings(root), `${r.kind} build`);
    }
    const ipt = raw.files['iptables-save.txt'] ?? '';
    const changed = b.build(later(raw, 4, { 'iptables-save.txt': ipt.replace(/^(\[\d+:\d+\] -A DOCKER-USER -j RETURN)$/m, '[0:0] -A DOCKER-USER -s 192.0.2.7/32 -j DROP\n$1') }), table);
    assert.equal(changed.kind, 'full');
    assert.equal(joinRootOf(changed.model), changed.model, 'a new join is its own root');
  });
});
