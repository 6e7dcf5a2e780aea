// The overview's shape (headers, container rows, ports in order) is made
// once per join and shared by the models that carry it forward
// (src/ui/present/overview-rows.ts). These tests hold it to the grouping the
// overview had before, kept here as the reference: regroup every model from
// scratch. Both lab captures, and a copy of the main one with a bridge
// holding ports of a container Docker does not know and ports whose bridge
// is unknown.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { buildModel } from '../../src/core/model/build.js';
import { computeRates } from '../../src/core/model/rates.js';
import type { HostModel, PublishedPort } from '../../src/core/model/types.js';
import { IncrementalBuilder } from '../../src/core/refresh/model.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import type { RawCapture } from '../../src/core/types.js';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { overviewRows } from '../../src/ui/present/overview-rows.js';
import type { Row } from '../../src/ui/present/rows.js';
import type { Finding } from '../../src/core/findings/types.js';
import type { FindingsIndex } from '../../src/ui/present/findings-rows.js';
import { compact, hostPort } from '../../src/ui/present/format.js';
import type { ViewData } from '../../src/ui/present/view-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LABS = ['main', 'alt'].map((n) => path.join(here, '../fixtures/lab', n));

function later(raw: RawCapture, k: number): RawCapture {
  const bump = (t: string | undefined) => t?.replace(/^\[(\d+):(\d+)\]/gm, (_m, p: string, b: string) => `[${Number(p) + k}:${Number(b) + 60 * k}]`);
  return { files: { ...raw.files, 'iptables-save.txt': bump(raw.files['iptables-save.txt']) }, meta: { ...raw.meta, time: raw.meta.time + 1000 * k } };
}

function view(model: HostModel, prev: HostModel | null): ViewData {
  const portFlows = new Map(model.published.map((p) => [p.key, p.flows]));
  return {
    sample: { model, rulesets: model.rulesets },
    prev: prev ? { model: prev, rulesets: prev.rulesets } : null,
    rates: prev ? computeRates(prev, model) : null,
    prevRates: null,
    flows: model.flows,
    portFlows,
    prevFlowCount: new Map(),
  };
}

/** The overview's grouping as it was made before the shape was shared: which row key comes where. */
function referenceKeys(model: HostModel): string[] {
  const keys: string[] = [];
  const byBridge = new Map<string | null, PublishedPort[]>();
  for (const p of model.published) byBridge.set(p.bridge, [...(byBridge.get(p.bridge) ?? []), p]);
  const names: Array<string | null> = model.bridges.map((b) => b.name);
  for (const k of byBridge.keys()) if (!names.includes(k)) names.push(k);
  for (const name of names) {
    const b = model.bridges.find((x) => x.name === name);
    const ports = byBridge.get(name) ?? [];
    const members = name === null ? [] : model.containers.filter((c) => c.networks.some((n) => n.bridge === name));
    keys.push(b ? `net:${b.name}` : `net:${name ?? '?'}`);
    const shown = new Set<PublishedPort>();
    for (const c of members) {
      const mine = ports.filter((p) => p.container === c.name);
      for (const p of mine) {
        shown.add(p);
        keys.push(`port:${p.key}`);
      }
      if (mine.length === 0) keys.push(`ctr:${name ?? '?'}:${c.name}`);
    }
    for (const p of ports) if (!shown.has(p)) keys.push(`port:${p.key}`);
  }
  return keys;
}

/** A row as the table sees it (PortRow makes its parts on first read). */
const plain = (r: Row) => ({ key: r.key, selectable: r.selectable, group: r.group, segments: r.segments, cells: r.cells, search: r.search, fields: r.fields, sort: r.sort, open: r.open });

/** The main capture with two ports moved to a bridge no network names and one container renamed away. */
function oddCapture(raw: RawCapture): RawCapture {
  const containers = JSON.parse(raw.files['containers.json'] ?? '[]') as Array<{ Name: string }>;
  if (containers[0]) containers[0].Name = '/renamed-away';
  return { ...raw, files: { ...raw.files, 'containers.json': JSON.stringify(containers) } };
}

describe('overview shape shared by carried models', () => {
  const raws: Array<[string, RawCapture]> = [];
  before(async () => {
    for (const dir of LABS) raws.push([path.basename(dir), await readCaptureDir(dir)]);
    raws.push(['main, container unknown to Docker', oddCapture(raws[0]![1])]);
  });

  it('rows come in the reference order, on full and carried models', () => {
    for (const [name, raw] of raws) {
      const b = new IncrementalBuilder();
      let prev: HostModel | null = null;
      for (let k = 0; k < 3; k++) {
        const r = b.build(later(raw, k));
        assert.equal(r.kind, k === 0 ? 'full' : 'counters', name);
        const rows = overviewRows(view(r.model, prev));
        assert.deepEqual(rows.map((x) => x.key), referenceKeys(r.model), `${name}, build ${k}`);
        const ports = rows.filter((x) => x.key.startsWith('port:'));
        assert.ok(ports.length > 0, `${name} has ports`);
        // Each port row shows its own port (the shape keeps ports by index).
        const byKey = new Map(r.model.published.map((p) => [`port:${p.key}`, p]));
        for (const x of ports) {
          const p = byKey.get(x.key)!;
          assert.deepEqual(x.open, { kind: 'port', portKey: p.key });
          assert.equal(x.cells?.host?.text, hostPort(p.hostIp, p.hostPort));
          assert.equal(x.cells?.pkts?.text, p.counters ? compact(p.counters.packets) : '-', `${name}: ${x.key} shows its own counters`);
        }
        prev = r.model;
      }
    }
  });

  it("a carried model's rows equal the rows of a full rebuild of the same read", () => {
    for (const [name, raw] of raws) {
      const b = new IncrementalBuilder();
      const m0 = b.build(raw).model;
      const m1 = b.build(later(raw, 2)).model;
      const fresh0 = buildModel(buildSnapshot(raw));
      const fresh1 = buildModel(buildSnapshot(later(raw, 2)));
      assert.deepEqual(overviewRows(view(m1, m0)).map(plain), overviewRows(view(fresh1, fresh0)).map(plain), name);
    }
  });

  it('the shape is reused while the join is carried and made again after a new join', () => {
    const raw = raws[0]![1];
    const b = new IncrementalBuilder();
    const m0 = b.build(raw).model;
    const m1 = b.build(later(raw, 1)).model;
    const r0 = overviewRows(view(m0, null));
    const r1 = overviewRows(view(m1, m0));
    const header = (rows: Row[]) => rows.find((r) => r.key.startsWith('net:'));
    assert.equal(header(r1), header(r0), 'carried model: same header row object');
    const ports1 = r1.filter((r) => r.key.startsWith('port:'));
    assert.ok(ports1.length > 0 && ports1.every((r) => !r0.includes(r)), 'port rows are made anew (their rates changed)');
    // Findings change the headers and marks: the same join with other findings has its own shape.
    const b0 = m0.bridges[0]!;
    const finding = { id: 'test', kind: 'test', severity: 'warn', title: 'a test finding', bridge: b0.name } as unknown as Finding;
    const fx: FindingsIndex = { all: [finding], byPort: new Map(), byBridge: new Map([[b0.name, [finding]]]) };
    const withFx = overviewRows(view(m1, m0), fx);
    assert.match(JSON.stringify(header(withFx)?.segments), /a test finding/);
    assert.doesNotMatch(JSON.stringify(header(overviewRows(view(m1, m0)))?.segments), /a test finding/);
    const other = buildModel(buildSnapshot(later(raw, 1)));
    assert.notEqual(header(overviewRows(view(other, null))), header(r0), 'another join: its own shape');
  });
});
