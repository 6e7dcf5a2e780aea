// Acceptance tests of "rollback outlives the UI": the detached watchdog
// reverts an unconfirmed change at its deadline even when the CLI (and its
// whole session) is killed -9, restores only Portcullis chains (a container
// started meanwhile keeps its Docker rules), `rollback` reverts at once,
// `undo` reverts a confirmed change through the same path. Own lab; root only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpProbe, labDocker, labDown, labUnavailableReason, labUp, type LabInfo } from '../helpers/lab.js';
import { CLI, cli, cliOk, ensureBuilt, labFlags, ownedLines, save, waitFor } from './actions-helpers.js';
import { readJournal } from '../../src/apply/state.js';

const skip = labUnavailableReason();
const NAME = 'ar';
let lab: LabInfo;
let state: string;
let F: string[];
let nsState: string;

before(() => {
  if (skip) return;
  ensureBuilt();
  lab = labUp(NAME, 'main');
  state = mkdtempSync(join(tmpdir(), 'pc-actions-rb-'));
  F = labFlags(lab, state);
  nsState = join(state, `netns-${lab.hostNetns}`);
});
after(() => {
  if (skip) return;
  labDocker(NAME, ['rm', '-f', 'late']);
  labDown(NAME);
  rmSync(state, { recursive: true, force: true });
});

const [C10, C11] = ['198.51.100.10', '198.51.100.11'];
const blocked = () => httpProbe(lab, { from: C11, to: `${lab.hostAddr4}:8080`, timeoutMs: 1200 }).timedOut;
const open = () => httpProbe(lab, { from: C11, to: `${lab.hostAddr4}:8080` }).status === 200;

function statOf(pid: number): { ppid: number; pgrp: number; session: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]) };
  } catch {
    return null;
  }
}

test('kill -9 of the CLI and its whole session: the watchdog still reverts the change at the deadline', { skip: skip ?? false }, async () => {
  const b4 = save(lab.hostNetns, 4);
  // The CLI in a session of its own, standing in for an SSH login: --wait keeps it alive during the window.
  const child = spawn(process.execPath, [CLI, 'whitelist', ...F, '--port', '8080', '--allow', C10, '--yes', '--wait', '--confirm-timeout', '10'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SSH_CONNECTION: '' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  await waitFor('the CLI to apply', () => /waiting for confirm/.test(out), 20_000, 50);
  const t0 = Date.now();
  assert.ok(blocked(), 'change in place');
  const pending = JSON.parse(readFileSync(join(nsState, 'pending.json'), 'utf8')) as { watchdogPid: number; deadline: number };
  const wd = statOf(pending.watchdogPid);
  assert.ok(wd, 'watchdog running');
  assert.notEqual(wd.session, statOf(child.pid!)!.session, 'watchdog has its own session');
  assert.equal(wd.session, pending.watchdogPid, 'watchdog leads its session (setsid)');

  const rollbacksBefore = readJournal(nsState).filter((e) => e.event === 'rollback').length;
  process.kill(-child.pid!, 'SIGKILL'); // the whole session's process group, like a dropped SSH connection
  await waitFor('the CLI to die', () => child.exitCode !== null || child.signalCode !== null, 5000, 50);
  assert.ok(blocked(), 'the change outlives the CLI until the deadline');
  const waited = await waitFor('rollback at the deadline', () => ownedLines(save(lab.hostNetns, 4)).length === 0, 25_000, 100);
  const late = Date.now() - pending.deadline;
  console.log(`# rolled back ${late} ms after the deadline (${Date.now() - t0} ms after the kill, ${waited} ms waited)`);
  assert.ok(Date.now() >= pending.deadline - 100, 'not before the deadline');
  assert.ok(open(), 'reachable again');
  assert.equal(save(lab.hostNetns, 4), b4, 'the ruleset is back to what it was before the change');
  // The watchdog journals right after it restores: wait for the entry, not just the rules.
  await waitFor('the rollback journal entry', () => readJournal(nsState).filter((e) => e.event === 'rollback').length > rollbacksBefore, 5000, 50);
  const rb = readJournal(nsState).filter((e) => e.event === 'rollback').at(-1);
  assert.equal(rb?.reason, 'deadline', `journal says why: ${JSON.stringify(rb)}`);
  assert.equal(rb?.outcome, 'rolled-back', `journal says how: ${JSON.stringify(rb)}`);
});

test('rollback at the deadline keeps the Docker rules of a container started during the window', { skip: skip ?? false }, async () => {
  // A window long enough for `docker run` on a loaded machine; the test checks the container's
  // rules really appeared before the deadline, then waits for it.
  const ap = JSON.parse((await cliOk(['whitelist', ...F, '--port', '8080', '--allow', C10, '--yes', '--confirm-timeout', '20', '--json'])).stdout);
  const deadline = Date.parse(ap.applied.deadline);
  assert.ok(blocked());
  const pre = new Set(save(lab.hostNetns, 4).split('\n'));
  const r = labDocker(NAME, ['run', '-d', '--name', 'late', '-p', '8090:80', 'pcl/busybox:1', 'httpd', '-f', '-p', '80', '-h', '/www']);
  assert.equal(r.code, 0, r.stderr);
  await waitFor('late to serve', () => httpProbe(lab, { from: C10, to: `${lab.hostAddr4}:8090` }).status === 200, 10_000, 250);
  const added = save(lab.hostNetns, 4).split('\n').filter((l) => !pre.has(l) && l.startsWith('-A '));
  assert.ok(added.some((l) => /--dport 8090 -j DNAT/.test(l)), `Docker added rules for the new container: ${added.join(' | ')}`);
  assert.ok(Date.now() < deadline, 'the container was started and published inside the window');
  assert.ok(ownedLines(save(lab.hostNetns, 4)).length > 0, 'the change is still in place');
  await waitFor('rollback at the deadline', () => ownedLines(save(lab.hostNetns, 4)).length === 0, Math.max(0, deadline - Date.now()) + 15_000, 100);
  const after4 = save(lab.hostNetns, 4);
  for (const l of added) assert.ok(after4.includes(l), `Docker rule kept: ${l}`);
  assert.equal(httpProbe(lab, { from: C11, to: `${lab.hostAddr4}:8090` }).status, 200, 'new container still published');
  assert.ok(open());
});

test('rollback now, confirm, journal and undo', { skip: skip ?? false }, async () => {
  const b4 = save(lab.hostNetns, 4);
  // rollback right away
  await cliOk(['whitelist', ...F, '--port', '8080', '--allow', C10, '--yes', '--confirm-timeout', '30']);
  assert.ok(blocked());
  const busy = await cli(['icc', 'off', '--bridge', 'docker0', ...F, '--yes']);
  assert.equal(busy.code, 3, 'a second change while one awaits confirmation is refused');
  assert.match(busy.stderr, /awaits confirmation/);
  const rb = await cliOk(['rollback', '--netns', lab.hostNetns, '--state-dir', state]);
  assert.match(rb.stdout, /^rolled back /);
  assert.ok(open());
  assert.equal(save(lab.hostNetns, 4), b4);
  const none = await cli(['rollback', '--netns', lab.hostNetns, '--state-dir', state]);
  assert.equal(none.code, 3);

  // confirm, then undo as a new transaction
  const ap = JSON.parse((await cliOk(['whitelist', ...F, '--port', '8080', '--allow', C10, '--yes', '--confirm-timeout', '30', '--json'])).stdout);
  await cliOk(['confirm', '--netns', lab.hostNetns, '--state-dir', state]);
  assert.ok(blocked());
  const dry = await cliOk(['undo', ...F, '--dry-run']);
  assert.match(dry.stdout, new RegExp(`undo ${ap.applied.id}`));
  await cliOk(['undo', ...F, '--yes', '--confirm-timeout', '0']);
  assert.ok(open(), 'undone');
  assert.equal(save(lab.hostNetns, 4), b4);
  const again = await cli(['undo', ap.applied.id, ...F, '--yes']);
  assert.equal(again.code, 3, 'already undone');

  const j = await cliOk(['journal', '--netns', lab.hostNetns, '--state-dir', state, '--json']);
  const list = JSON.parse(j.stdout) as Array<{ id: string; outcome: string; fate: string; intent: { kind: string } | null }>;
  const mine = list.find((t) => t.id === ap.applied.id)!;
  assert.equal(mine.outcome, 'applied');
  assert.match(mine.fate, /^confirmed, undone by /);
  assert.ok(list.some((t) => t.fate.startsWith('rolled back (deadline)')));
  assert.ok(list.some((t) => t.fate.startsWith('rolled back (manual)')));
  const entry = readJournal(nsState).find((e) => e.id === ap.applied.id && e.event === 'apply')!;
  assert.equal(entry.uid, 0);
  assert.ok(entry.families?.[0]?.payload.includes('-I DOCKER-USER 1 -j PORTCULLIS-FWD'));
  assert.match(entry.families?.[0]?.beforeHash ?? '', /^[0-9a-f]{64}$/);
  assert.match(entry.families?.[0]?.afterHash ?? '', /^[0-9a-f]{64}$/);
  const text = await cliOk(['journal', '--netns', lab.hostNetns, '--state-dir', state]);
  assert.match(text.stdout, /applied \/ confirmed, undone by/);

  // export: a restore file of what we own
  await cliOk(['whitelist', ...F, '--port', '8080', '--allow', C10, '--yes', '--confirm-timeout', '0']);
  const ex = await cliOk(['export', ...F]);
  assert.match(ex.stdout, /^:PORTCULLIS-FWD - \[0:0\]$/m);
  assert.match(ex.stdout, /^-I DOCKER-USER 1 -j PORTCULLIS-FWD$/m);
  await cliOk(['whitelist', ...F, '--port', '8080', '--clear', '--yes', '--confirm-timeout', '0']);
});
