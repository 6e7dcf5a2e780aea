// Acceptance test of the emergency lockdown with real traffic, in a lab of
// this file's own. Root only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { containerProbe, httpProbe, labDocker, labDown, labUnavailableReason, labUp, udpProbe, type LabInfo } from '../helpers/lab.js';
import { cli, cliOk, ensureBuilt, labFlags, openSession, ownedLines, save, sleep, startServer, withoutOwned, type Session } from './actions-helpers.js';

const skip = labUnavailableReason();
const NAME = 'al';
let lab: LabInfo;
let state: string;
let F: string[];
const children: ChildProcess[] = [];
const sessions: Session[] = [];

before(() => {
  if (skip) return;
  ensureBuilt();
  lab = labUp(NAME, 'main');
  state = mkdtempSync(join(tmpdir(), 'pc-actions-lock-'));
  F = labFlags(lab, state);
});
after(() => {
  for (const s of sessions) s.stop();
  for (const c of children) c.kill('SIGKILL');
  if (skip) return;
  labDown(NAME);
  rmSync(state, { recursive: true, force: true });
});

const [C10, C11, C12] = ['198.51.100.10', '198.51.100.11', '198.51.100.12'];
const TCP_PORTS = [8080, 8081, 8082, 8083, 8084, 7000, 7001, 7002, 9090];

test('lockdown: established sessions keep talking, new connections to every published port fail, egress works; --off restores', { skip: skip ?? false }, async () => {
  // Stand-in for the operator's SSH session: a long-lived TCP connection to the host itself ...
  children.push(await startServer(lab.hostNetns, lab.hostAddr4, 2222));
  const ssh = await openSession(lab.clientNetns, lab.hostAddr4, 2222, C10);
  sessions.push(ssh);
  // ... and an established flow through a published port (DNAT to a container), from a client NOT allowed.
  const echo = labDocker(NAME, ['run', '-d', '--name', 'echo', '-p', '9000:9000', 'pcl/busybox:1', 'nc', '-ll', '-p', '9000', '-e', 'cat']);
  assert.equal(echo.code, 0, echo.stderr);
  await sleep(500);
  const flow = await openSession(lab.clientNetns, lab.hostAddr4, 9000, C11);
  sessions.push(flow);
  // A server in the outside client namespace, for container egress.
  children.push(await startServer(lab.clientNetns, C10, 8000, 'http'));
  for (const p of TCP_PORTS) assert.equal(httpProbe(lab, { from: C11, to: `${lab.hostAddr4}:${p}` }).status, 200, `port ${p} open before`);
  const b4 = save(lab.hostNetns, 4);
  const b6 = save(lab.hostNetns, 6);

  const env = { SSH_CONNECTION: `${C10} 50022 ${lab.hostAddr4} 2222` };
  const refused = await cli(['lockdown', ...F, '--allow', C12]);
  assert.equal(refused.code, 2, `no --yes and no terminal: refused (${refused.stderr})`);
  const r = await cliOk(['lockdown', ...F, '--allow', C12, '--yes', '--confirm-timeout', '0', '--json'], { env });
  const out = JSON.parse(r.stdout);
  assert.match(out.plan.summary, /LOCKDOWN/);
  assert.match(out.plan.summary, /198\.51\.100\.10\/32 \(SSH_CONNECTION\)/);
  assert.deepEqual(out.plan.families.map((f: { family: number }) => f.family), [4, 6], 'one transaction per family');
  console.log(`# lockdown apply+verify ${out.applied.timings.applyVerifyMs} ms (restore ${out.applied.timings.restoreMs}, verify ${out.applied.timings.verifyMs})`);

  // New external connections to every published port fail (TCP, UDP, docker-proxy over IPv6).
  for (const p of [...TCP_PORTS, 9000]) {
    const probe = httpProbe(lab, { from: C11, to: `${lab.hostAddr4}:${p}`, timeoutMs: 1200 });
    assert.equal(probe.ok, false, `port ${p} locked`);
    assert.ok(probe.timedOut, `port ${p} dropped (timed out)`);
  }
  assert.equal(udpProbe(lab, { from: C11, to: `${lab.hostAddr4}:5353`, timeoutMs: 1200 }).ok, false, 'udp 5353 locked');
  assert.equal(httpProbe(lab, { from: lab.clientAddrs6[1], to: `[${lab.hostAddr6}]:8080`, timeoutMs: 1200 }).ok, false, 'IPv6 via docker-proxy locked');
  // The allowlist and the SSH client still get in.
  assert.equal(httpProbe(lab, { from: C12, to: `${lab.hostAddr4}:8080` }).status, 200, '--allow source served');
  assert.equal(httpProbe(lab, { from: C10, to: `${lab.hostAddr4}:8081` }).status, 200, 'SSH_CONNECTION client served');
  // Established flows keep exchanging data.
  const s0 = ssh.echoes();
  const f0 = flow.echoes();
  await sleep(1500);
  assert.equal(ssh.closed(), false);
  assert.equal(flow.closed(), false);
  assert.ok(ssh.echoes() > s0 + 5, `host session still talking (${s0} -> ${ssh.echoes()})`);
  assert.ok(flow.echoes() > f0 + 5, `forwarded flow still talking (${f0} -> ${flow.echoes()})`);
  // Container egress to the outside namespace, and container-to-container, still work.
  assert.ok(containerProbe(NAME, 'web', C10, 8000).ok, 'container reaches the outside client namespace');
  assert.ok(containerProbe(NAME, 'appcli', lab.containers.find((c) => c.name === 'app1')!.ip!, 80).ok, 'containers reach each other');
  // Docker's rules are untouched.
  assert.equal(withoutOwned(save(lab.hostNetns, 4)), withoutOwned(b4));

  // --off returns to the previous owned state.
  await cliOk(['lockdown', ...F, '--off', '--yes', '--confirm-timeout', '0']);
  for (const p of TCP_PORTS) assert.equal(httpProbe(lab, { from: C11, to: `${lab.hostAddr4}:${p}` }).status, 200, `port ${p} open again`);
  assert.ok(udpProbe(lab, { from: C11, to: `${lab.hostAddr4}:5353` }).ok);
  assert.ok(flow.echoes() > f0 + 10 && !flow.closed(), 'the established flow lived through it all');
  const a4 = save(lab.hostNetns, 4);
  assert.deepEqual(ownedLines(a4), []);
  assert.equal(a4, b4, 'the exact ruleset of before the lockdown');
  // IPv6 had no filter table at all before (Docker without --ip6tables); restoring into it created
  // the table with its empty built-in chains, which iptables-restore cannot delete again.
  const a6 = save(lab.hostNetns, 6);
  if (b6 === '') assert.equal(a6, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  else assert.equal(a6, b6);
});
