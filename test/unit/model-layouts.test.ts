// The model reads every Docker rule layout from the rules alone: published
// ports, bridges (subnets, ICC, masquerade, internal), layout generation and
// provenance, checked against test/fixtures/layouts/expectations.json (see the
// README there for where each layout's shape comes from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import type { RawCapture } from '../../src/core/types.js';
import type { HostModel } from '../../src/core/model/types.js';

const dir = new URL('../fixtures/layouts/', import.meta.url);
const expectations = JSON.parse(readFileSync(new URL('expectations.json', dir), 'utf8')) as Record<string, Expectation | string>;

interface Expectation {
  layout: string;
  baseLayout?: string;
  family: 4 | 6;
  forwardPolicy: string;
  bridges: Array<{ name: string; subnets: string[]; icc: boolean; masquerade: boolean; internal: boolean }>;
  published: Array<{ family: number; proto: string; hostIp: string; hostPort: number; containerIp: string; containerPort: number; bridge: string }>;
  directAccess?: Array<{ family: number; proto: string; containerIp: string; containerPort: number; bridge: string }>;
  rawDrops?: Array<{ containerIp: string; bridge: string }>;
  provenance?: Array<{ table: string; chain: string; rule: string; provenance: string }>;
  policies?: Record<string, string>;
}

export function modelFromRules(file: string, family: 4 | 6): HostModel {
  const text = readFileSync(new URL(file, dir), 'utf8');
  const raw: RawCapture = {
    files: family === 4 ? { 'iptables-save.txt': text } : { 'ip6tables-save.txt': text },
    meta: { time: 0, hostname: null, netns: null, dockerVersion: null, unavailable: {}, notes: [] },
  };
  return buildModel(buildSnapshot(raw));
}

const byPort = <T extends { proto: string; hostIp?: string; hostPort?: number; containerIp: string; containerPort: number }>(a: T, b: T) =>
  `${a.proto}/${a.hostIp}/${a.hostPort}/${a.containerIp}/${a.containerPort}`.localeCompare(`${b.proto}/${b.hostIp}/${b.hostPort}/${b.containerIp}/${b.containerPort}`);

for (const [file, exp] of Object.entries(expectations)) {
  if (typeof exp === 'string') continue;
  test(`layout ${file}: rules alone give the expected model`, () => {
    const m = modelFromRules(file, exp.family);
    assert.equal(m.issues.length, 0, `parse issues: ${JSON.stringify(m.issues)}`);
    const info = m.families.find((f) => f.family === exp.family);
    assert.ok(info, 'family info present');
    assert.equal(info.layout, exp.baseLayout ?? exp.layout, 'layout generation');
    assert.equal(info.swarm, exp.layout === 'swarm-ingress', 'swarm detection');
    assert.equal(info.forwardPolicy, exp.forwardPolicy);

    const bridges = m.bridges
      .map((b) => ({ name: b.name, subnets: [...b.subnets].sort(), icc: b.icc, masquerade: b.masquerade, internal: b.internal }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const want = exp.bridges
      .map((b) => ({ name: b.name, subnets: [...b.subnets].sort(), icc: b.icc, masquerade: b.masquerade, internal: b.internal }))
      .sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(bridges, want, 'bridges');

    const published = m.published
      .map((p) => ({ family: p.family, proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort, bridge: p.bridge }))
      .sort(byPort);
    assert.deepEqual(published, [...exp.published].sort(byPort), 'published ports');
    for (const p of m.published) {
      assert.equal(p.container, null, 'no names without Docker');
      assert.ok(p.dnat && p.counters, 'every rule-derived port carries its DNAT rule and counters');
    }

    const direct = m.directAccess
      .map((d) => ({ family: d.family, proto: d.proto, containerIp: d.containerIp, containerPort: d.containerPort, bridge: d.bridge }))
      .sort(byPort);
    assert.deepEqual(direct, [...(exp.directAccess ?? [])].sort(byPort), 'direct (routed) access');

    for (const drop of exp.rawDrops ?? []) {
      for (const p of m.published.filter((x) => x.containerIp === drop.containerIp)) {
        assert.ok(
          p.path.some((s) => s.stage === 'raw' && s.ref.rule.target === 'DROP'),
          `raw drop for ${drop.containerIp} on the path of ${p.key}`,
        );
      }
    }

    for (const pv of exp.provenance ?? []) {
      const ref = m.rules.find((r) => r.rule.table === pv.table && r.rule.chain === pv.chain && r.rule.text === pv.rule);
      assert.ok(ref, `rule ${pv.table}/${pv.chain} ${pv.rule} exists`);
      assert.equal(ref.provenance, pv.provenance, `provenance of ${pv.chain}: ${pv.rule}`);
    }
  });
}
