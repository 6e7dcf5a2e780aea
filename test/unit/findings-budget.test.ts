// The per-port checks explain packets, which costs tens of ms each on a big
// host; past the budget the rest are skipped and a finding says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import { findFindings } from '../../src/core/findings/index.js';
import { CAPTURE_FILES, type RawCapture } from '../../src/core/types.js';

function labModel() {
  const dir = new URL('../fixtures/lab/main/', import.meta.url);
  const present = new Set(readdirSync(dir));
  const files: RawCapture['files'] = {};
  for (const f of CAPTURE_FILES) if (present.has(f)) files[f] = readFileSync(new URL(f, dir), 'utf8');
  return buildModel(buildSnapshot({ files, meta: { time: 0, hostname: null, netns: null, dockerVersion: null, unavailable: {}, notes: [] } }));
}

test('without a budget every port is checked; with a small one the rest are reported as skipped', () => {
  const m = labModel();
  const all = findFindings(m);
  assert.equal(all.filter((f) => f.kind === 'checks-incomplete').length, 0);
  const openAll = all.filter((f) => f.kind === 'published-open').length;
  assert.ok(openAll >= 8, `every open port is found (${openAll})`);

  const few = findFindings(m, { maxExplains: 3 });
  const open3 = few.filter((f) => f.kind === 'published-open').length;
  assert.ok(open3 <= 3 && open3 >= 1, `at most the budget's worth of ports checked (${open3})`);
  const skipped = few.find((f) => f.kind === 'checks-incomplete');
  assert.ok(skipped, 'the skipped ports are reported');
  assert.match(skipped.title, /Per-port checks skipped for \d+ port\(s\) \(explain budget of 3 reached\)/);
  // Checks that need no explain are unaffected.
  assert.deepEqual(
    few.filter((f) => f.kind === 'forward-policy-accept').map((f) => f.id),
    all.filter((f) => f.kind === 'forward-policy-accept').map((f) => f.id),
  );
});
