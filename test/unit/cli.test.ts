// The built CLI's contract for scripts: no TTY -> a pointer to `status`,
// exit 2; bad arguments -> a message naming the argument, exit 2.
// (npm test builds dist/ before the unit tests run.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
const skip = existsSync(CLI) ? false : 'dist/cli.js not built (run npm run build)';

test('without a terminal the TUI refuses and points to status', { skip }, () => {
  const r = run([]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /needs a terminal/);
  assert.match(r.stderr, /portcullis status/);
});

test('bad source flags name the argument and exit 2', { skip }, () => {
  let r = run(['status', '--netns', 'bad name;rm']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--netns: "bad name;rm" is not a valid namespace name/);
  r = run(['status', '--docker-host', 'tcp://10.0.0.1:2375']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--docker-host: only unix sockets/);
  r = run(['status', '--from', '/nonexistent-dir-for-test']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /nonexistent-dir-for-test/);
});

test('status --from a capture prints the grouped host', { skip }, () => {
  const dir = new URL('../fixtures/lab/main', import.meta.url).pathname;
  const r = run(['status', '--from', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^network appnet \(br-[0-9a-f]{12}\) 172\.18\.0\.0\/16 {2}ICC on/m);
  assert.match(r.stdout, /^ {2}app1 {2}172\.18\.0\.2$/m);
});
