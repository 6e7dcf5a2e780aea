// scripts/bench --smoke: the benchmark script runs end to end on a tiny
// host (a plain namespace, ~100 rules, 300 conntrack entries, short TUI
// windows) and prints its table with every row. Root only. It proves the
// script works; the figures themselves are not checked (never a timed test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const ROWS = [
  '1 status --json (one-shot)',
  '2a refresh, full',
  '2b refresh, incremental',
  '2c incremental tick incl. reads',
  '2d flows-only update',
  '3a TUI idle CPU',
  '3b TUI idle CPU',
  '3c TUI idle CPU, large host, 1 s',
  '3d TUI idle CPU, large host, 2 s',
  '3e TUI CPU, large host, 1 s, traffic + keys',
  '3f watch -n1 iptables -nvL',
  '4 peak RSS of the TUI',
  '5 first frame',
  '6 whitelist plan+apply+verify',
  '7 key -> new frame',
];

describe('scripts/bench --smoke', { skip: isRoot ? false : 'needs root (namespaces, iptables, conntrack)' }, () => {
  it('prints the table with every row and leaves no namespace behind', () => {
    const r = spawnSync('bash', ['scripts/bench', '--smoke'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /^Portcullis bench \(smoke\)/m);
    assert.match(out, /^figure\s+\| value \(median\)\s+\| against\s+\| budget/m);
    for (const row of ROWS) {
      const line = out.split('\n').find((l) => l.startsWith(row));
      assert.ok(line, `row "${row}" missing:\n${out}`);
      assert.equal(line.split(' | ').length, 4, `row "${row}" has 4 columns: ${line}`);
    }
    // The first-frame and refresh rows carry numbers, not n/a: the TUI and the engine really ran.
    assert.match(out, /^5 first frame.*\| \d+(\.\d)? ms/m);
    assert.match(out, /^2b refresh, incremental.*\| \d+(\.\d)? ms/m);
    const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(ns, /pcb-smoke-/);
  });
});
