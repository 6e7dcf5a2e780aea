// countConntrackInWorker (host/sources/conntrack.ts): the worker thread that
// reads and counts conntrack for the one-shot status, counting lines as they
// stream in, gives what readConntrack + countConntrack over the whole text
// give. A fake `conntrack` first on PATH stands in for the real one (the
// runner looks in PATH first).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countConntrack } from '../../src/core/parse/conntrack-count.js';
import { countConntrackHere, countConntrackInWorker, readConntrack, type ConntrackCount } from '../../src/host/sources/conntrack.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-ct-worker-'));
const PATH = process.env.PATH;
after(() => {
  process.env.PATH = PATH;
  rmSync(dir, { recursive: true, force: true });
});

const lab = readFileSync(new URL('../fixtures/lab/main/conntrack.txt', import.meta.url), 'utf8');
const v6 = 'tcp      6 99 ESTABLISHED src=2001:db8:ff::7 dst=2001:db8:1::1 sport=1000 dport=8080 src=2001:db8:1::2 dst=2001:db8:ff::7 sport=80 dport=1000 mark=0 use=1\nnot a flow\n';

/** A fake conntrack: `-L` prints `main`, `-L -f ipv6` prints `ipv6`; exit code `code`. */
function fake(main: string, ipv6: string, code = 0): void {
  writeFileSync(join(dir, 'main.txt'), main);
  writeFileSync(join(dir, 'v6.txt'), ipv6);
  writeFileSync(
    join(dir, 'conntrack'),
    `#!/bin/sh\nif [ "$3" = ipv6 ]; then cat '${dir}/v6.txt'; else cat '${dir}/main.txt'; fi\necho "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown." >&2\n${code ? `echo 'conntrack v1.4.7 (conntrack-tools): Operation failed: fake failure' >&2\nexit ${code}\n` : ''}`,
  );
  chmodSync(join(dir, 'conntrack'), 0o755);
  process.env.PATH = `${dir}:${PATH}`;
}

/** What must agree between threads: all but the timings' values and the thread. */
const withoutTimings = (c: ConntrackCount) => ({ ...c, threadId: 0, result: { ...c.result, timings: Object.keys(c.result.timings).sort() } });

async function inWorker(): Promise<ConntrackCount> {
  const job = countConntrackInWorker({});
  try {
    return await job.done;
  } finally {
    job.stop();
  }
}

test('worker: counts of a table with an IPv6 listing appended, issues in place', async () => {
  fake(lab, v6);
  const w = await inWorker();
  const here = await countConntrackHere({});
  assert.deepStrictEqual(withoutTimings(w), withoutTimings(here));
  // The IPv6 listing was asked for (no IPv6 entry in the plain one) and appended.
  const want = countConntrack(`${lab}${v6}`, 'conntrack.txt');
  assert.deepStrictEqual(w.counts, want.counts);
  assert.deepStrictEqual(w.issues, want.issues);
  assert.equal(w.issues.length, 1);
  assert.equal(w.issues[0]!.line, lab.split('\n').length + 1);
  assert.notEqual(w.threadId, 0, 'counted in a worker thread');
  assert.equal(here.threadId, 0);
  assert.deepEqual(w.result.timings['conntrack -L'] !== undefined && w.result.timings['conntrack -L -f ipv6'] !== undefined, true);
  assert.ok(w.counts!.total > 100);
});

test('worker: a failing conntrack gives the reason readConntrack gives', async () => {
  fake('', '', 1);
  const w = await inWorker();
  const here = await countConntrackHere({});
  assert.equal(w.counts, null);
  assert.notEqual(w.threadId, 0, 'counted in a worker thread');
  assert.match(w.result.unavailable['conntrack.txt'] ?? '', /fake failure|exit/);
  assert.deepStrictEqual(withoutTimings(w), withoutTimings(here));
});

/** What the buffered path gives: readConntrack, then countConntrack over its text. */
async function buffered(): Promise<{ counts: unknown; issues: unknown; unavailable: unknown; notes: unknown; timings: string[] }> {
  const r = await readConntrack({});
  const text = r.files['conntrack.txt'];
  const c = text === undefined ? { counts: null, issues: [] } : countConntrack(text, 'conntrack.txt');
  return { ...c, unavailable: r.unavailable, notes: r.notes, timings: Object.keys(r.timings).sort() };
}

test('streamed count equals the buffered one: blank and bad lines, no final newline, IPv6 in the plain listing', async () => {
  const lines = lab.trimEnd().split('\n');
  const cases: Array<[string, string, string]> = [
    ['bad and blank lines, no final newline', `${lines.slice(0, 40).join('\n')}\n\nnot a flow\n  \n${lines.slice(40).join('\n')}`, v6],
    ['IPv6 entries in the plain listing (no second call)', `${lab}${v6}`, 'tcp 6 1 src=should-not-be-read\n'],
    ['empty plain listing, IPv6 only from the second call', '', v6],
    ['nothing at all', '', ''],
    ['an IPv6 src= ending a line', `${lab}tcp 6 1 src=2001:db8::1`, v6],
  ];
  for (const [what, main, ipv6] of cases) {
    fake(main, ipv6);
    const want = await buffered();
    for (const c of [await inWorker(), await countConntrackHere({})]) {
      assert.deepStrictEqual(
        { counts: c.counts, issues: c.issues, unavailable: c.result.unavailable, notes: c.result.notes, timings: Object.keys(c.result.timings).sort() },
        want,
        what,
      );
    }
  }
});
