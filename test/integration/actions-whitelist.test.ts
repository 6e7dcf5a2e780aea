// Acceptance tests of whitelist, block-proxy, ICC, confirm and transaction
// safety (atomicity, stale model, verify failure) with real traffic, in a
// lab of this file's own (its firewall gets changed). Root only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerProbe, httpProbe, inNetns, labDown, labUnavailableReason, labUp, type LabInfo } from '../helpers/lab.js';
import { cli, cliOk, ensureBuilt, labFlags, ownedLines, save, sleep, waitFor, withoutOwned } from './actions-helpers.js';
import { loadHost } from '../../src/commands/actions/common.js';
import { planBlockProxy, planWhitelist } from '../../src/core/plan/actions.js';
import { ApplyError, applyPlan } from '../../src/apply/transaction.js';
import { readJournal, readPending } from '../../src/apply/state.js';

const skip = labUnavailableReason();
const NAME = 'aw';
let lab: LabInfo;
let state: string;
let F: string[];
const OPERATOR_RULE = '-A DOCKER-USER -s 192.0.2.99/32 -m comment --comment "operator rule" -j DROP';

before(() => {
  if (skip) return;
  ensureBuilt();
  lab = labUp(NAME, 'main');
  state = mkdtempSync(join(tmpdir(), 'pc-actions-wl-'));
  F = labFlags(lab, state);
  // An operator rule placed in DOCKER-USER beforehand: it must come out byte-identical.
  const r = inNetns(lab.hostNetns, ['iptables', '-I', 'DOCKER-USER', '-s', '192.0.2.99/32', '-m', 'comment', '--comment', 'operator rule', '-j', 'DROP']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => {
  if (skip) return;
  labDown(NAME);
  rmSync(state, { recursive: true, force: true });
});

const host = () => `${lab.hostAddr4}:8080`;
const [C10, C11] = ['198.51.100.10', '198.51.100.11'];
const webIp = () => lab.containers.find((c) => c.name === 'web')!.ip!;
const bridgeOf = (net: string) => lab.networks.find((n) => n.name === net)!.bridge!;

test('whitelist: the allowed client gets 200, another times out, a same-bridge container still reaches it; Docker and operator rules untouched', { skip: skip ?? false }, async () => {
  const before4 = save(lab.hostNetns, 4);
  assert.ok(before4.includes(OPERATOR_RULE));
  assert.equal(httpProbe(lab, { from: C11, to: host() }).status, 200, 'reachable before');

  // The window must outlast the probes below on a loaded 2-core machine; the test then waits
  // for the deadline itself, so a longer window costs only that wait.
  const r = await cliOk(['whitelist', ...F, '--port', '8080', '--allow', C10, '--yes', '--confirm-timeout', '20', '--json']);
  const out = JSON.parse(r.stdout);
  assert.equal(out.outcome, 'pending');
  const deadline = Date.parse(out.applied.deadline);
  assert.ok(out.applied.timings.applyVerifyMs < 2000, `apply+verify ${out.applied.timings.applyVerifyMs} ms`);
  console.log(`# whitelist apply+verify ${out.applied.timings.applyVerifyMs} ms (restore ${out.applied.timings.restoreMs}, verify ${out.applied.timings.verifyMs})`);

  assert.equal(httpProbe(lab, { from: C10, to: host() }).status, 200, 'allowed client served');
  const denied = httpProbe(lab, { from: C11, to: host(), timeoutMs: 1500 });
  assert.equal(denied.ok, false);
  assert.ok(denied.timedOut, 'other client times out (DROP)');
  // local1 sits on docker0 next to web: ICC is untouched.
  assert.ok(containerProbe(NAME, 'local1', webIp(), 80).ok, 'same-bridge container still reaches web');

  const after4 = save(lab.hostNetns, 4);
  assert.equal(withoutOwned(after4), withoutOwned(before4), 'every rule Portcullis does not own is byte-identical');
  assert.ok(after4.includes(OPERATOR_RULE));
  assert.deepEqual(ownedLines(after4).filter((l) => l.startsWith('-A DOCKER-USER')), ['-A DOCKER-USER -j PORTCULLIS-FWD']);
  assert.match(after4, /^-A DOCKER-USER -j PORTCULLIS-FWD\n-A DOCKER-USER -s 192\.0\.2\.99/m, 'our jump is first');

  // Confirm keeps the change past its deadline.
  const c = await cliOk(['confirm', '--netns', lab.hostNetns, '--state-dir', state]);
  assert.match(c.stdout, /^confirmed /);
  await sleep(Math.max(0, deadline - Date.now()) + 1500);
  assert.equal(readPending(state + `/netns-${lab.hostNetns}`), null);
  assert.deepEqual(ownedLines(save(lab.hostNetns, 4)), ownedLines(after4), 'still in place after the deadline');
  assert.ok(httpProbe(lab, { from: C11, to: host(), timeoutMs: 1500 }).timedOut, 'still enforced');

  // Editing the list replaces the port's rules atomically.
  await cliOk(['whitelist', ...F, '--port', '8080', '--allow', C11, '--yes', '--confirm-timeout', '0']);
  assert.equal(httpProbe(lab, { from: C11, to: host() }).status, 200);
  assert.ok(httpProbe(lab, { from: C10, to: host(), timeoutMs: 1500 }).timedOut);
  // Removing the last source removes the restriction.
  await cliOk(['whitelist', ...F, '--port', '8080', '--clear', '--yes', '--confirm-timeout', '0']);
  assert.equal(httpProbe(lab, { from: C10, to: host() }).status, 200);
  const final = save(lab.hostNetns, 4);
  assert.deepEqual(ownedLines(final), [], 'chain and jump gone');
  assert.equal(final, before4, 'back to the exact ruleset of the start');
});

test('validation: bad arguments exit 2 naming the argument, nothing applied', { skip: skip ?? false }, async () => {
  const before4 = save(lab.hostNetns, 4);
  const cases: Array<[string[], RegExp]> = [
    [['whitelist', '--port', '8080', '--allow', '2001:db8::1'], /--allow 2001:db8::1: .*IPv4 only/],
    [['whitelist', '--port', '8080', '--allow', '198.51.100.300'], /--allow/],
    [['whitelist', '--port', '99999', '--allow', C10], /--port/],
    [['whitelist', '--port', '8080', '--proto', 'gre', '--allow', C10], /--proto/],
    [['whitelist', '--port', '8080', '--container', 'ghost', '--allow', C10], /--container "ghost": no such container/],
    [['whitelist', '--port', '8080'], /--allow/],
    [['icc', 'off', '--bridge', 'br-000000000000'], /--bridge/],
    [['icc', 'maybe', '--bridge', 'docker0'], /on or off/],
    [['lockdown', '--allow', 'nonsense', '--yes'], /--allow "nonsense"/],
    [['whitelist', '--port', '8080', '--allow', C10, '--confirm-timeout', 'soon'], /--confirm-timeout/],
  ];
  for (const [args, re] of cases) {
    const r = await cli([...args, ...F]);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, re);
  }
  // Not a terminal and no --yes: refused as a usage error, nothing applied.
  const r = await cli(['whitelist', ...F, '--port', '8080', '--allow', C10]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--yes/);
  assert.equal(save(lab.hostNetns, 4), before4);
});

test('block-proxy --loopback: 127.0.0.1:8080 on the host fails; the whitelisted external client still gets through', { skip: skip ?? false }, async () => {
  const lo = { to: '127.0.0.1:8080', netns: lab.hostNetns };
  assert.equal(httpProbe(lab, lo).status, 200, 'docker-proxy serves loopback before');
  await cliOk(['whitelist', ...F, '--port', '8080', '--allow', C10, '--yes', '--confirm-timeout', '0']);
  const dry = await cliOk(['block-proxy', ...F, '--port', '8080', '--loopback', '--dry-run']);
  assert.match(dry.stdout, /^\+-A PORTCULLIS-IN .*-j DROP$/m);
  assert.match(dry.stdout, /dry run: nothing changed/);
  assert.equal(httpProbe(lab, lo).status, 200, 'dry run changed nothing');

  await cliOk(['block-proxy', ...F, '--port', '8080', '--loopback', '--yes', '--confirm-timeout', '0']);
  const blocked = httpProbe(lab, { ...lo, timeoutMs: 1500 });
  assert.equal(blocked.ok, false, 'loopback to docker-proxy blocked');
  assert.equal(httpProbe(lab, { from: C10, to: host() }).status, 200, 'forwarded, whitelisted client still served');
  assert.ok(httpProbe(lab, { from: C11, to: host(), timeoutMs: 1500 }).timedOut, 'whitelist still enforced');
  // IPv6 clients reach an IPv4-only network's port only through docker-proxy: blocked too.
  const v6 = httpProbe(lab, { from: lab.clientAddrs6[0], to: `[${lab.hostAddr6}]:8080`, timeoutMs: 1500 });
  assert.equal(v6.ok, false, 'IPv6 client to docker-proxy blocked');
  // Other ports untouched.
  assert.equal(httpProbe(lab, { ...lo, to: '127.0.0.1:8081' }).status, 200);

  await cliOk(['block-proxy', ...F, '--port', '8080', '--off', '--yes', '--confirm-timeout', '0']);
  assert.equal(httpProbe(lab, lo).status, 200);
  await cliOk(['whitelist', ...F, '--port', '8080', '--clear', '--yes', '--confirm-timeout', '0']);
  assert.deepEqual(ownedLines(save(lab.hostNetns, 4)), []);
  assert.deepEqual(ownedLines(save(lab.hostNetns, 6)), []);
});

test('icc off: a container cannot reach another on the same bridge; on: it can', { skip: skip ?? false }, async () => {
  const br = bridgeOf('appnet');
  const app1 = lab.containers.find((c) => c.name === 'app1')!.ip!;
  assert.ok(containerProbe(NAME, 'appcli', app1, 80).ok, 'reachable before');
  const dry = await cliOk(['icc', 'off', '--bridge', br, ...F, '--dry-run']);
  assert.match(dry.stdout, /app1, app2, appcli, bound/, 'the containers it cuts are listed');
  await cliOk(['icc', 'off', '--bridge', br, ...F, '--yes', '--confirm-timeout', '0']);
  assert.equal(containerProbe(NAME, 'appcli', app1, 80, { timeoutSec: 2 }).ok, false, 'ICC off: blocked');
  assert.equal(httpProbe(lab, { from: C10, to: `${lab.hostAddr4}:8081` }).status, 200, 'published port from outside unaffected');
  await cliOk(['icc', 'on', '--bridge', br, ...F, '--yes', '--confirm-timeout', '0']);
  assert.ok(containerProbe(NAME, 'appcli', app1, 80).ok, 'ICC on: reachable again');
  assert.deepEqual(ownedLines(save(lab.hostNetns, 4)), []);
});

test('atomicity: a restore that fails leaves every chain of both families as it was', { skip: skip ?? false }, async () => {
  const dir = join(state, 'atomic');
  const b4 = save(lab.hostNetns, 4);
  const b6 = save(lab.hostNetns, 6);
  const { input } = await loadHost({ netns: lab.hostNetns, dockerHost: lab.dockerHost });
  const plan = planBlockProxy(input, { kind: 'proxy', port: { port: 8080 }, loopback: true, off: false });
  assert.deepEqual(plan.families.map((f) => f.family), [4, 6]);
  // IPv4 applies first; the IPv6 payload carries a deliberately invalid rule.
  const v6 = plan.families[1]!;
  v6.payload = v6.payload.replace('COMMIT\n', '-A PORTCULLIS-IN -p tcp -m tcp --dport 99999 -j DROP\nCOMMIT\n');
  await assert.rejects(applyPlan(plan, { netns: lab.hostNetns, stateDir: dir, confirmTimeoutSec: 5 }), (e: unknown) => {
    assert.ok(e instanceof ApplyError);
    assert.equal(e.code, 1);
    assert.match(e.message, /IPv6 restore failed.*IPv4 put back/s);
    return true;
  });
  assert.equal(save(lab.hostNetns, 4), b4, 'IPv4 as it was');
  assert.equal(save(lab.hostNetns, 6), b6, 'IPv6 as it was');
  assert.equal(readPending(dir), null, 'nothing left pending');
  assert.equal(readJournal(dir).at(-1)?.outcome, 'failed');
});

test('stale model: a rule added after planning makes apply refuse (exit 3), nothing applied', { skip: skip ?? false }, async () => {
  const dir = join(state, 'stale');
  const { input } = await loadHost({ netns: lab.hostNetns, dockerHost: lab.dockerHost });
  const plan = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: [C10] });
  const add = inNetns(lab.hostNetns, ['iptables', '-A', 'DOCKER-USER', '-s', '192.0.2.98/32', '-j', 'DROP']);
  assert.equal(add.code, 0);
  const b4 = save(lab.hostNetns, 4);
  try {
    await assert.rejects(applyPlan(plan, { netns: lab.hostNetns, stateDir: dir, confirmTimeoutSec: 5 }), (e: unknown) => {
      assert.ok(e instanceof ApplyError);
      assert.equal(e.code, 3);
      assert.match(e.message, /changed since the plan was made/);
      return true;
    });
    assert.equal(save(lab.hostNetns, 4), b4);
    assert.equal(readJournal(dir).at(-1)?.outcome, 'stale');
  } finally {
    inNetns(lab.hostNetns, ['iptables', '-D', 'DOCKER-USER', '-s', '192.0.2.98/32', '-j', 'DROP']);
  }
});

test('verify: rules that do not read back as planned are rolled back (exit 4)', { skip: skip ?? false }, async () => {
  const dir = join(state, 'verify');
  const b4 = save(lab.hostNetns, 4);
  const { input } = await loadHost({ netns: lab.hostNetns, dockerHost: lab.dockerHost });
  const plan = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: [C10] });
  // The plan expects one rule more than the payload writes.
  const fp = plan.families[0]!;
  fp.after = { ...fp.after, 'PORTCULLIS-FWD': [...(fp.after['PORTCULLIS-FWD'] ?? []), '-j RETURN'] };
  await assert.rejects(applyPlan(plan, { netns: lab.hostNetns, stateDir: dir, confirmTimeoutSec: 5 }), (e: unknown) => {
    assert.ok(e instanceof ApplyError);
    assert.equal(e.code, 4);
    assert.match(e.message, /did not read back as planned.*previous owned state was restored/);
    return true;
  });
  assert.equal(save(lab.hostNetns, 4), b4);
  await waitFor('pending cleared', () => readPending(dir) === null, 2000);
});
