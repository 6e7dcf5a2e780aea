// IPv6 on Engine 20.10 (lab profile alt: --ipv6 --ip6tables, userland proxy
// off): ip6tables has no DOCKER-USER chain, so PORTCULLIS-FWD is jumped from
// the top of FORWARD; a whitelist on a dual-stack port covers both families
// with real IPv4 and IPv6 traffic. Own lab; root only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpProbe, labDown, labUnavailableReason, labUp, type LabInfo } from '../helpers/lab.js';
import { cli, cliOk, ensureBuilt, labFlags, ownedLines, save, withoutOwned } from './actions-helpers.js';

const skip = labUnavailableReason();
const NAME = 'a6';
let lab: LabInfo;
let state: string;
let F: string[];

before(() => {
  if (skip) return;
  ensureBuilt();
  lab = labUp(NAME, 'alt');
  state = mkdtempSync(join(tmpdir(), 'pc-actions-v6-'));
  F = labFlags(lab, state);
});
after(() => {
  if (skip) return;
  labDown(NAME);
  rmSync(state, { recursive: true, force: true });
});

test('whitelist on a dual-stack port: IPv6 through a FORWARD jump (no DOCKER-USER in ip6tables), IPv4 through DOCKER-USER', { skip: skip ?? false }, async () => {
  const [v6a, v6b] = lab.clientAddrs6 as [string, string];
  const to6 = `[${lab.hostAddr6}]:8081`;
  const to4 = `${lab.hostAddr4}:8081`;
  assert.equal(httpProbe(lab, { from: v6b, to: to6 }).status, 200, 'IPv6 reachable before');
  const b4 = save(lab.hostNetns, 4);
  const b6 = save(lab.hostNetns, 6);
  assert.doesNotMatch(b6, /DOCKER-USER/);

  const r = await cliOk(['whitelist', ...F, '--port', '8081', '--allow', v6a, '--allow', '198.51.100.10', '--yes', '--confirm-timeout', '0', '--json']);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.plan.families.map((f: { family: number; fwdParent: string }) => [f.family, f.fwdParent]), [[4, 'DOCKER-USER'], [6, 'FORWARD']]);
  const a6 = save(lab.hostNetns, 6);
  assert.match(a6, /:FORWARD DROP[^\n]*\n(?:[^\n]*\n)*?-A FORWARD -j PORTCULLIS-FWD\n-A FORWARD -j DOCKER-ISOLATION-STAGE-1/, 'jump first in FORWARD');
  assert.equal(withoutOwned(a6), withoutOwned(b6), "Docker's IPv6 rules untouched");
  assert.equal(withoutOwned(save(lab.hostNetns, 4)), withoutOwned(b4));

  assert.equal(httpProbe(lab, { from: v6a, to: to6 }).status, 200, 'allowed IPv6 client');
  assert.ok(httpProbe(lab, { from: v6b, to: to6, timeoutMs: 1500 }).timedOut, 'other IPv6 client dropped');
  assert.equal(httpProbe(lab, { from: '198.51.100.10', to: to4 }).status, 200, 'allowed IPv4 client');
  assert.ok(httpProbe(lab, { from: '198.51.100.11', to: to4, timeoutMs: 1500 }).timedOut, 'other IPv4 client dropped');
  // Port 8080 (web6) is not whitelisted.
  assert.equal(httpProbe(lab, { from: v6b, to: `[${lab.hostAddr6}]:8080` }).status, 200);

  // No docker-proxy with --userland-proxy=false: nothing to block on INPUT.
  const bp = await cli(['block-proxy', ...F, '--port', '8081', '--yes']);
  assert.equal(bp.code, 3);
  assert.match(bp.stderr, /no docker-proxy/);

  await cliOk(['whitelist', ...F, '--port', '8081', '--clear', '--yes', '--confirm-timeout', '0']);
  assert.equal(httpProbe(lab, { from: v6b, to: to6 }).status, 200);
  assert.deepEqual(ownedLines(save(lab.hostNetns, 6)), []);
  assert.equal(save(lab.hostNetns, 6), b6);
  assert.equal(save(lab.hostNetns, 4), b4);
});
