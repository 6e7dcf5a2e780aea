// FlowTable: conntrack events (NEW/UPDATE upsert, DESTROY removes, keyed by
// the original tuple) over the recorded event fixtures, checked against a
// plain Map replay and against indexFlows of the same flows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { FlowTable, flowKey, portBucket } from '../../src/core/flows/table.js';
import { indexFlows } from '../../src/core/model/flows.js';
import { parseConntrack, parseConntrackEvent } from '../../src/core/parse/conntrack.js';
import type { Flow } from '../../src/core/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(path.join(here, '../fixtures/parsers', name), 'utf8');
const EVENT_FILES = ['conntrack-events.txt', 'conntrack-events-timestamp.txt', 'conntrack-events-timestamp-extended-id.txt'];

/** The obvious implementation: a Map from the original tuple, replayed line by line. */
function replay(lines: string[], start: Flow[] = []): Map<string, Flow> {
  const m = new Map(start.map((f) => [flowKey(f), f]));
  for (const l of lines) {
    const e = parseConntrackEvent(l);
    if (!e) continue;
    if (e.event === 'DESTROY') m.delete(flowKey(e.flow));
    else m.set(flowKey(e.flow), e.flow);
  }
  return m;
}

function sameIndex(table: FlowTable): void {
  const want = indexFlows(table.flows());
  const got = table.portIndex();
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, v] of want) assert.deepEqual(got.get(k), v, `bucket ${k}`);
}

describe('FlowTable', () => {
  for (const name of EVENT_FILES) {
    it(`replays ${name} like a Map keyed by the original tuple`, () => {
      const lines = fixture(name).split('\n');
      const table = new FlowTable();
      let applied = 0;
      for (const l of lines) if (table.applyLine(l)) applied++;
      assert.ok(applied > 0);
      const want = replay(lines);
      assert.equal(table.size, want.size);
      assert.deepEqual(table.flows(), [...want.values()]);
      sameIndex(table);
    });
  }

  it('starts from a dump and applies events on top of it', () => {
    const dump = parseConntrack(readFileSync(path.join(here, '../fixtures/lab/main/conntrack.txt'), 'utf8')).flows;
    const lines = fixture('conntrack-events.txt').split('\n');
    const table = new FlowTable(dump);
    assert.equal(table.size, new Map(dump.map((f) => [flowKey(f), f])).size);
    sameIndex(table);
    for (const l of lines) table.applyLine(l);
    assert.deepEqual(table.flows(), [...replay(lines, dump).values()]);
    sameIndex(table);
    table.reset([]);
    assert.equal(table.size, 0);
    assert.equal(table.portIndex().size, 0);
  });

  it('NEW then UPDATE is one entry; DESTROY of an unknown entry changes nothing', () => {
    const flow = 'tcp      6 431999 ESTABLISHED src=203.0.113.9 dst=198.51.100.1 sport=40000 dport=8080 src=172.17.0.2 dst=203.0.113.9 sport=80 dport=40000 [ASSURED]';
    const table = new FlowTable();
    assert.equal(table.applyLine(`    [NEW] ${flow.replace('431999 ESTABLISHED', '120 SYN_SENT')}`), true);
    assert.equal(table.applyLine(` [UPDATE] ${flow}`), true);
    assert.equal(table.size, 1);
    assert.equal(table.flows()[0]?.state, 'ESTABLISHED');
    const v = table.version;
    assert.equal(table.applyLine(`[DESTROY] ${flow.replace('40000', '40001')}`), false);
    assert.equal(table.version, v, 'no change, same version');
    assert.equal(table.applyLine('conntrack v1.4.7 (conntrack-tools): 1 flow events have been shown.'), false);
    assert.equal(table.applyLine(`[DESTROY] ${flow}`), true);
    assert.equal(table.size, 0);
  });

  it('re-lists only the buckets an event touched', () => {
    const dump = parseConntrack(readFileSync(path.join(here, '../fixtures/lab/main/conntrack.txt'), 'utf8')).flows;
    const table = new FlowTable(dump);
    const before = new Map(table.portIndex());
    const flow = 'tcp      6 120 SYN_SENT src=203.0.113.9 dst=198.51.100.1 sport=40000 dport=8080 [UNREPLIED] src=172.17.0.2 dst=203.0.113.9 sport=80 dport=40000';
    table.applyLine(`[NEW] ${flow}`);
    const after = table.portIndex();
    const touched = portBucket(parseConntrackEvent(`[NEW] ${flow}`)!.flow);
    for (const [k, arr] of after) {
      if (k === touched) assert.notEqual(arr, before.get(k), 'touched bucket re-listed');
      else assert.equal(arr, before.get(k), `bucket ${k} kept its array`);
    }
    sameIndex(table);
  });
});
