// Plans are pure: a lab capture (model + rules) and an intent in, payload and
// diff out. These tests also "apply" a plan on paper (the after-text of every
// chain, parsed again) to check idempotence, list edits and removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import { parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import type { Family, RawCapture, Ruleset } from '../../src/core/types.js';
import {
  chainsTextAfter,
  contextsOf,
  exportPayload,
  ownedStateOf,
  planBlockProxy,
  planIcc,
  planLockdown,
  planRollback,
  planUndo,
  planWhitelist,
  PlanError,
  type FamilyPlan,
  type Plan,
  type PlanInput,
} from '../../src/core/plan/index.js';

const FIX = new URL('../fixtures/lab/', import.meta.url).pathname;

async function inputOf(profile: 'main' | 'alt', edit?: (raw: RawCapture) => void): Promise<PlanInput> {
  const raw = await readCaptureDir(`${FIX}${profile}`);
  edit?.(raw);
  const snap = buildSnapshot(raw);
  return { model: buildModel(snap), rulesets: snap.rulesets };
}

/** The filter table after a family plan, as iptables-save would print it (counters aside), parsed. */
function applyOnPaper(input: PlanInput, fp: FamilyPlan): Ruleset {
  const rs = input.rulesets.find((r) => r.family === fp.family && r.backend === fp.backend) ?? {
    family: fp.family,
    backend: fp.backend,
    tables: [],
    lines: [],
    issues: [],
  };
  const names = new Set<string>(['INPUT', 'FORWARD', 'OUTPUT']);
  for (const t of rs.tables) if (t.name === 'filter') for (const c of t.chains) names.add(c.name);
  for (const n of Object.keys(fp.after)) names.add(n);
  const body = chainsTextAfter(rs, [...names], ownedStateOf(rs), fp.after)
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => (l.startsWith(':') ? `${l} [0:0]` : l));
  // Declarations first, then rules: the save format.
  const decl = body.filter((l) => l.startsWith(':')).map((l) => (/^:(INPUT|FORWARD|OUTPUT) -/.test(l) ? l.replace(' - ', ' ACCEPT ') : l));
  const rules = body.filter((l) => l.startsWith('-A '));
  const other = rs.tables.filter((t) => t.name !== 'filter');
  let text = ['*filter', ...decl, ...rules, 'COMMIT', ''].join('\n');
  // keep the nat table so the model is unchanged
  for (const t of other) {
    text += `*${t.name}\n`;
    for (const c of t.chains) text += `:${c.name} ${c.policy ?? '-'} [0:0]\n`;
    for (const c of t.chains) for (const r of c.rules) text += `-A ${c.name} ${r.text}\n`;
    text += 'COMMIT\n';
  }
  return parseIptablesSave(text, { family: fp.family, backend: fp.backend, source: 'paper' });
}

function after(input: PlanInput, plan: Plan): PlanInput {
  const rulesets = input.rulesets.filter((r) => !plan.families.some((f) => f.family === r.family && f.backend === r.backend));
  for (const fp of plan.families) rulesets.push(applyOnPaper(input, fp));
  return { model: input.model, rulesets };
}

function fam(plan: Plan, f: Family): FamilyPlan {
  const fp = plan.families.find((x) => x.family === f);
  assert.ok(fp, `plan has IPv${f}`);
  return fp;
}

function usage(fn: () => unknown, arg: string, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PlanError, `PlanError, got ${String(e)}`);
    assert.equal(e.kind, 'usage');
    assert.equal(e.arg, arg);
    if (re) assert.match(e.message, re);
    return true;
  });
}

// ---------------------------------------------------------------- whitelist

test('whitelist: payload matches the post-DNAT container address, pinned to the host port, jumped from DOCKER-USER', async () => {
  const input = await inputOf('main');
  const plan = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10', '203.0.113.0/24'] });
  assert.equal(plan.families.length, 1, 'IPv4 only: port 8080 has no IPv6 DNAT');
  assert.equal(
    fam(plan, 4).payload,
    [
      '*filter',
      ':PORTCULLIS-FWD - [0:0]',
      '-A PORTCULLIS-FWD -s 198.51.100.10/32 -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -m conntrack --ctorigdstport 8080 -m comment --comment "portcullis:whitelist:tcp/8080" -j RETURN',
      '-A PORTCULLIS-FWD -s 203.0.113.0/24 -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -m conntrack --ctorigdstport 8080 -m comment --comment "portcullis:whitelist:tcp/8080" -j RETURN',
      '-A PORTCULLIS-FWD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW --ctorigdstport 8080 -m comment --comment "portcullis:whitelist:tcp/8080" -j DROP',
      '-I DOCKER-USER 1 -j PORTCULLIS-FWD',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const diff = fam(plan, 4).diff;
  assert.match(diff, /^\+-A DOCKER-USER -j PORTCULLIS-FWD$/m);
  assert.match(diff, /^ -A DOCKER-USER -j RETURN$/m, 'Docker rule shown as context, unchanged');
  assert.match(plan.summary, /8080\/tcp \(web\)/);
  assert.match(plan.summary, /198\.51\.100\.10\/32, 203\.0\.113\.0\/24/);
  assert.deepEqual(fam(plan, 4).watched, ['DOCKER-USER', 'PORTCULLIS-FWD']);
});

test('whitelist: a binding to one address pins --ctorigdst too', async () => {
  const input = await inputOf('main');
  const plan = planWhitelist(input, { kind: 'whitelist', port: { port: 9090 }, allow: ['198.51.100.10'] });
  assert.match(fam(plan, 4).payload, /-s 198\.51\.100\.10\/32 -d 172\.18\.0\.5\/32 ! -i br-6b54a089989c -o br-6b54a089989c -p tcp -m tcp --dport 90 -m conntrack --ctorigdst 198\.51\.100\.1 --ctorigdstport 9090 -m comment --comment "portcullis:whitelist:tcp\/9090@198\.51\.100\.1" -j RETURN/);
});

test('whitelist: applying the same plan again changes nothing; the jump is never added twice', async () => {
  const input = await inputOf('main');
  const intent = { kind: 'whitelist' as const, port: { port: 8080 }, allow: ['198.51.100.10'] };
  const p1 = planWhitelist(input, intent);
  const i2 = after(input, p1);
  const p2 = planWhitelist(i2, intent);
  assert.equal(p2.changed, false);
  assert.equal(p2.families.length, 0);
  // Editing the list rebuilds the chain in one go, without a second jump.
  const p3 = planWhitelist(i2, { ...intent, allow: ['198.51.100.11', '198.51.100.12'] });
  const pl = fam(p3, 4).payload;
  assert.doesNotMatch(pl, /-I DOCKER-USER/);
  assert.doesNotMatch(pl, /198\.51\.100\.10\//);
  assert.match(pl, /^:PORTCULLIS-FWD - \[0:0\]$/m);
  assert.equal((pl.match(/-j RETURN/g) ?? []).length, 2);
  assert.match(fam(p3, 4).diff, /^-.*-s 198\.51\.100\.10\/32/m);
  assert.match(fam(p3, 4).diff, /^\+.*-s 198\.51\.100\.12\/32/m);
});

test('whitelist: removing the last source removes the restriction, the jump and the chain', async () => {
  const input = await inputOf('main');
  const p1 = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] });
  const i2 = after(input, p1);
  const p2 = planWhitelist(i2, { kind: 'whitelist', port: { port: 8080 }, allow: [] });
  assert.equal(
    fam(p2, 4).payload,
    ['*filter', ':PORTCULLIS-FWD - [0:0]', '-D DOCKER-USER -j PORTCULLIS-FWD', '-X PORTCULLIS-FWD', 'COMMIT', ''].join('\n'),
  );
  const i3 = after(i2, p2);
  assert.deepEqual(ownedStateOf(i3.rulesets.find((r) => r.family === 4)!).chains, {});
});

test('whitelist: two ports are two sections; clearing one keeps the other byte for byte', async () => {
  const input = await inputOf('main');
  const a = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] });
  const i2 = after(input, a);
  const b = planWhitelist(i2, { kind: 'whitelist', port: { port: 8081 }, allow: ['198.51.100.11'] });
  const i3 = after(i2, b);
  const fwd = ownedStateOf(i3.rulesets.find((r) => r.family === 4)!).chains['PORTCULLIS-FWD']!;
  assert.equal(fwd.length, 4);
  assert.match(fwd[0]!, /tcp\/8080/);
  assert.match(fwd[2]!, /tcp\/8081/);
  const c = planWhitelist(i3, { kind: 'whitelist', port: { port: 8080 }, allow: [] });
  assert.deepEqual(fam(c, 4).after['PORTCULLIS-FWD'], fwd.slice(2));
  assert.doesNotMatch(fam(c, 4).payload, /DOCKER-USER/);
});

test('whitelist: IPv6 without DOCKER-USER (engine 20.10): PORTCULLIS-FWD hangs from the top of FORWARD', async () => {
  const input = await inputOf('alt');
  const plan = planWhitelist(input, { kind: 'whitelist', port: { port: 8081 }, allow: ['198.51.100.10', '2001:db8:ff::10'] });
  assert.match(fam(plan, 4).payload, /^-I DOCKER-USER 1 -j PORTCULLIS-FWD$/m);
  const v6 = fam(plan, 6);
  assert.equal(v6.fwdParent, 'FORWARD');
  assert.match(v6.payload, /^-I FORWARD 1 -j PORTCULLIS-FWD$/m);
  assert.match(v6.payload, /-s 2001:db8:ff::10\/128 -d 2001:db8:2::2\/128 ! -i br-e38e565db4de -o br-e38e565db4de -p tcp -m tcp --dport 80 -m conntrack --ctorigdstport 8081/);
  assert.doesNotMatch(v6.payload, /198\.51/);
  assert.ok(plan.warnings.some((w) => /no DOCKER-USER/.test(w)));
});

test('whitelist: a jump that is no longer first is moved back to the top', async () => {
  const input = await inputOf('main', (raw) => {
    raw.files['iptables-save.txt'] = raw.files['iptables-save.txt']!
      .replace(':DOCKER-USER - [0:0]\n', ':DOCKER-USER - [0:0]\n:PORTCULLIS-FWD - [0:0]\n')
      .replace(
        '[790:61728] -A DOCKER-USER -j RETURN\n',
        '[0:0] -A DOCKER-USER -s 192.0.2.7/32 -j DROP\n[0:0] -A DOCKER-USER -j PORTCULLIS-FWD\n[790:61728] -A DOCKER-USER -j RETURN\n',
      );
  });
  const plan = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] });
  const pl = fam(plan, 4).payload;
  assert.match(pl, /^-D DOCKER-USER -j PORTCULLIS-FWD$/m);
  assert.match(pl, /^-I DOCKER-USER 1 -j PORTCULLIS-FWD$/m);
  assert.doesNotMatch(pl, /192\.0\.2\.7/, 'the operator rule is never written');
});

test('whitelist: hand-made rules inside our chain are kept at its end', async () => {
  const input = await inputOf('main', (raw) => {
    raw.files['iptables-save.txt'] = raw.files['iptables-save.txt']!
      .replace(':DOCKER-USER - [0:0]\n', ':DOCKER-USER - [0:0]\n:PORTCULLIS-FWD - [0:0]\n')
      .replace('[790:61728] -A DOCKER-USER -j RETURN\n', '[0:0] -A DOCKER-USER -j PORTCULLIS-FWD\n[790:61728] -A DOCKER-USER -j RETURN\n[0:0] -A PORTCULLIS-FWD -s 192.0.2.9/32 -j DROP\n');
  });
  const plan = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] });
  const fwd = fam(plan, 4).after['PORTCULLIS-FWD']!;
  assert.equal(fwd.at(-1), '-s 192.0.2.9/32 -j DROP');
  assert.ok(plan.warnings.some((w) => /no portcullis comment/.test(w)));
});

test('validation: every bad argument is a usage error naming it', async () => {
  const input = await inputOf('main');
  const wl = (port: object, allow: string[]) => () => planWhitelist(input, { kind: 'whitelist', port: port as never, allow });
  usage(wl({ port: 8080 }, ['2001:db8::1']), '--allow', /IPv4 only.*docker-proxy/);
  usage(wl({ port: 8080 }, ['300.1.1.1']), '--allow');
  usage(wl({ port: 8080 }, ['10.1']), '--allow');
  usage(wl({ port: 8080 }, ['198.51.100.0/33']), '--allow');
  usage(wl({ port: 8080 }, ['::ffff:1.2.3.4']), '--allow', /IPv4-mapped/);
  usage(wl({ port: 0 }, ['198.51.100.10']), '--port');
  usage(wl({ port: 70000 }, ['198.51.100.10']), '--port');
  usage(wl({ port: 6553 }, ['198.51.100.10']), '--port', /no published port/);
  usage(wl({ port: 8080, proto: 'icmp' }, ['198.51.100.10']), '--proto');
  usage(wl({ port: 8080, proto: 'udp' }, ['198.51.100.10']), '--proto', /published only as 8080\/tcp/);
  usage(wl({ port: 8080, container: 'nope' }, ['198.51.100.10']), '--container', /no such container/);
  usage(wl({ port: 8080, hostIp: 'x' }, ['198.51.100.10']), '--host-ip');
  usage(() => planIcc(input, { kind: 'icc', bridge: 'br-nope', enabled: false }), '--bridge', /known: docker0/);
  usage(() => planLockdown(input, { kind: 'lockdown', allow: ['1.2.3.4/40'], off: false, ssh: null }), '--allow');
});

test('validation: a port published by two bindings needs --host-ip, --container or --proto', async () => {
  const input = await inputOf('main', (raw) => {
    raw.files['iptables-save.txt'] = raw.files['iptables-save.txt']!.replace(
      'COMMIT\n# Completed on Mon Nov 23 17:23:37 2026\n# Generated by iptables-save v1.8.9 (nf_tables) on Mon Nov 23 17:23:37 2026\n*nat',
      'COMMIT\n# Completed\n*nat',
    ).replace(
      '[6:192] -A DOCKER ! -i docker0 -p udp -m udp --dport 5353',
      '[0:0] -A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 172.17.0.3:80\n[0:0] -A DOCKER ! -i docker0 -p tcp -m tcp --dport 5353 -j DNAT --to-destination 172.17.0.4:53\n[6:192] -A DOCKER ! -i docker0 -p udp -m udp --dport 5353',
    );
  });
  usage(() => planWhitelist(input, { kind: 'whitelist', port: { port: 9090 }, allow: ['198.51.100.10'] }), '--port', /2 published bindings.*--host-ip/);
  const p = planWhitelist(input, { kind: 'whitelist', port: { port: 9090, hostIp: '198.51.100.1' }, allow: ['198.51.100.10'] });
  assert.match(fam(p, 4).payload, /--ctorigdst 198\.51\.100\.1 --ctorigdstport 9090/);
  const q = planWhitelist(input, { kind: 'whitelist', port: { port: 9090, container: 'local1' }, allow: ['198.51.100.10'] });
  assert.match(fam(q, 4).payload, /-d 172\.17\.0\.3\/32/);
  usage(() => planWhitelist(input, { kind: 'whitelist', port: { port: 5353 }, allow: ['198.51.100.10'] }), '--port', /--proto/);
  const u = planWhitelist(input, { kind: 'whitelist', port: { port: 5353, proto: 'udp' }, allow: ['198.51.100.10'] });
  assert.match(fam(u, 4).payload, /-p udp -m udp --dport 53 -m conntrack --ctstate NEW --ctorigdstport 5353/);
});

// ---------------------------------------------------------------- block-proxy

test('block-proxy: INPUT rules for every family a docker-proxy listens in; loopback only when asked', async () => {
  const input = await inputOf('main');
  const plan = planBlockProxy(input, { kind: 'proxy', port: { port: 8080 }, loopback: false, off: false });
  assert.deepEqual(plan.families.map((f) => f.family), [4, 6]);
  const v4 = fam(plan, 4).after['PORTCULLIS-IN']!;
  assert.ok(v4.includes('-i lo -p tcp -m tcp --dport 8080 -m comment --comment "portcullis:proxy:tcp/8080" -j RETURN'));
  assert.ok(v4.includes('-i docker0 -p tcp -m tcp --dport 8080 -m comment --comment "portcullis:proxy:tcp/8080" -j RETURN'));
  assert.equal(v4.at(-1), '-p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW -m comment --comment "portcullis:proxy:tcp/8080" -j DROP');
  assert.match(fam(plan, 4).payload, /^-I INPUT 1 -j PORTCULLIS-IN$/m);
  assert.match(fam(plan, 6).payload, /^-I INPUT 1 -j PORTCULLIS-IN$/m);
  const lo = planBlockProxy(input, { kind: 'proxy', port: { port: 8080 }, loopback: true, off: false });
  assert.ok(!fam(lo, 4).after['PORTCULLIS-IN']!.some((r) => r.startsWith('-i lo')));
  const bound = planBlockProxy(input, { kind: 'proxy', port: { port: 9091 }, loopback: true, off: false });
  assert.deepEqual(bound.families.map((f) => f.family), [4]);
  assert.match(fam(bound, 4).payload, /-d 127\.0\.0\.1\/32 -p tcp -m tcp --dport 9091 -m conntrack --ctstate NEW/);
});

test('block-proxy keeps whitelisted sources allowed, and follows later whitelist edits', async () => {
  const input = await inputOf('main');
  const i2 = after(input, planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] }));
  const bp = planBlockProxy(i2, { kind: 'proxy', port: { port: 8080 }, loopback: true, off: false });
  assert.equal(fam(bp, 4).after['PORTCULLIS-IN']![0], '-s 198.51.100.10/32 -p tcp -m tcp --dport 8080 -m comment --comment "portcullis:proxy:tcp/8080" -j RETURN');
  assert.match(bp.summary, /whitelisted 198\.51\.100\.10\/32 still allowed/);
  const i3 = after(i2, bp);
  const edit = planWhitelist(i3, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.11'] });
  const inRules = fam(edit, 4).after['PORTCULLIS-IN']!;
  assert.equal(inRules[0], '-s 198.51.100.11/32 -p tcp -m tcp --dport 8080 -m comment --comment "portcullis:proxy:tcp/8080" -j RETURN');
  assert.ok(!inRules.some((r) => r.startsWith('-i lo')), 'the loopback choice is kept');
  const off = planBlockProxy(after(i3, edit), { kind: 'proxy', port: { port: 8080 }, loopback: false, off: true });
  assert.match(fam(off, 4).payload, /-D INPUT -j PORTCULLIS-IN/);
  assert.match(fam(off, 4).payload, /-X PORTCULLIS-IN/);
  assert.doesNotMatch(fam(off, 4).payload, /PORTCULLIS-FWD/, 'the whitelist stays');
});

test('block-proxy: with the userland proxy off there is no INPUT path: refused', async () => {
  const input = await inputOf('alt');
  assert.throws(
    () => planBlockProxy(input, { kind: 'proxy', port: { port: 8080 }, loopback: false, off: false }),
    (e: unknown) => e instanceof PlanError && e.kind === 'refused' && /no docker-proxy/.test(e.message),
  );
});

// ---------------------------------------------------------------- icc

test('icc: off drops -i br -o br at the top of DOCKER-USER, ahead of the whitelist; on removes it', async () => {
  const input = await inputOf('main');
  const i2 = after(input, planWhitelist(input, { kind: 'whitelist', port: { port: 8081 }, allow: ['198.51.100.10'] }));
  const off = planIcc(i2, { kind: 'icc', bridge: 'br-6b54a089989c', enabled: false });
  const fwd = fam(off, 4).after['PORTCULLIS-FWD']!;
  assert.equal(fwd[0], '-i br-6b54a089989c -o br-6b54a089989c -m comment --comment "portcullis:icc:br-6b54a089989c" -j DROP');
  assert.match(fwd[1]!, /whitelist/);
  assert.match(off.summary, /appnet/);
  assert.ok(off.details.some((d) => /app1, app2, appcli, bound/.test(d)));
  const on = planIcc(after(i2, off), { kind: 'icc', bridge: 'br-6b54a089989c', enabled: true });
  assert.deepEqual(fam(on, 4).after['PORTCULLIS-FWD'], fwd.slice(1));
});

test('icc: on for a bridge Docker made with icc=false is an ACCEPT override; both families on a dual-stack bridge', async () => {
  const main = await inputOf('main');
  const on = planIcc(main, { kind: 'icc', bridge: 'br-fa79e233e466', enabled: true });
  assert.match(fam(on, 4).payload, /-i br-fa79e233e466 -o br-fa79e233e466 -m comment --comment "portcullis:icc:br-fa79e233e466" -j ACCEPT/);
  assert.equal(planIcc(main, { kind: 'icc', bridge: 'br-fa79e233e466', enabled: false }).changed, false);
  const alt = await inputOf('alt');
  const off = planIcc(alt, { kind: 'icc', bridge: 'br-e38e565db4de', enabled: false });
  assert.deepEqual(off.families.map((f) => f.family), [4, 6]);
  assert.match(fam(off, 6).payload, /^-I FORWARD 1 -j PORTCULLIS-FWD$/m);
});

// ---------------------------------------------------------------- lockdown

test('lockdown: every published port on both paths, allowlist and SSH client exempt; --off removes only it', async () => {
  const input = await inputOf('main');
  const i2 = after(input, planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] }));
  const lock = planLockdown(i2, { kind: 'lockdown', allow: ['203.0.113.0/24', '2001:db8:ff::10'], off: false, ssh: '198.51.100.12' });
  const v4 = fam(lock, 4);
  const fwd = v4.after['PORTCULLIS-FWD']!;
  assert.equal(fwd[0], '-m conntrack --ctstate NEW -m conntrack --ctstate DNAT -m comment --comment "portcullis:lockdown" -j PORTCULLIS-LOCK');
  assert.match(fwd[1]!, /whitelist/, 'whitelist stays, after the lockdown jump');
  const inRules = v4.after['PORTCULLIS-IN']!;
  for (const port of [5353, 7000, 7001, 7002, 8080, 8081, 8082, 8083, 8084, 9090, 9091]) {
    assert.ok(inRules.some((r) => r.includes(`--dport ${port} -m conntrack --ctstate NEW`)), `IN rule for ${port}`);
  }
  const l4 = v4.after['PORTCULLIS-LOCK']!;
  assert.equal(l4[0], '-s 203.0.113.0/24 -m comment --comment "portcullis:lockdown" -j RETURN');
  assert.equal(l4[1], '-s 198.51.100.12/32 -m comment --comment "portcullis:lockdown" -j RETURN');
  assert.equal(l4.at(-1), '-m comment --comment "portcullis:lockdown" -j DROP');
  assert.match(v4.payload, /^:PORTCULLIS-LOCK - \[0:0\]$/m);
  // IPv6: only the docker-proxy path exists (no IPv6 DNAT in the main profile).
  const v6 = fam(lock, 6);
  assert.equal(v6.after['PORTCULLIS-FWD'], undefined);
  assert.equal(v6.after['PORTCULLIS-LOCK']![0], '-s 2001:db8:ff::10/128 -m comment --comment "portcullis:lockdown" -j RETURN');
  assert.match(lock.summary, /LOCKDOWN/);
  assert.match(lock.summary, /198\.51\.100\.12\/32 \(SSH_CONNECTION\)/);

  const i3 = after(i2, lock);
  const off = planLockdown(i3, { kind: 'lockdown', allow: [], off: true, ssh: null });
  assert.deepEqual(fam(off, 4).after, ownedStateOf(i2.rulesets.find((r) => r.family === 4)!).chains, 'back to the owned state before');
  assert.match(fam(off, 4).payload, /^-X PORTCULLIS-LOCK$/m);
  assert.match(fam(off, 6).payload, /^-D INPUT -j PORTCULLIS-IN$/m);
});

// ---------------------------------------------------------------- rollback, undo, export

test('rollback restores the owned chains as they were; undo reverts only its own sections', async () => {
  const input = await inputOf('main');
  const a = planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] });
  const i2 = after(input, a);
  const b = planIcc(i2, { kind: 'icc', bridge: 'docker0', enabled: false });
  const i3 = after(i2, b);
  // Rollback of b: owned chains back to i2's.
  const rb = planRollback(contextsOf(i3), 'tx-b', new Map([[4, fam(b, 4).before.chains]]));
  assert.deepEqual(fam(rb, 4).after, fam(b, 4).before.chains);
  // Undo of a (the whitelist) after b: the ICC rule stays.
  const tx = a.families.map((f) => ({ family: f.family, before: f.before.chains, after: f.after }));
  const u = planUndo(contextsOf(i3), 'tx-a', tx);
  assert.deepEqual(fam(u, 4).after['PORTCULLIS-FWD'], ['-i docker0 -o docker0 -m comment --comment "portcullis:icc:docker0" -j DROP']);
  assert.match(u.summary, /whitelist tcp\/8080/);
  // A section changed again since the transaction cannot be undone blindly.
  const i4 = after(i3, planWhitelist(i3, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.11'] }));
  assert.throws(() => planUndo(contextsOf(i4), 'tx-a', tx), (e: unknown) => e instanceof PlanError && e.kind === 'refused' && /changed again/.test(e.message));
});

test('export: the owned chains and their jumps as a restore file', async () => {
  const input = await inputOf('main');
  const i2 = after(input, planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] }));
  const text = exportPayload(ownedStateOf(i2.rulesets.find((r) => r.family === 4)!));
  const lines = text.split('\n');
  assert.equal(lines[1], '*filter');
  assert.equal(lines[2], ':PORTCULLIS-FWD - [0:0]');
  assert.ok(lines.includes('-I DOCKER-USER 1 -j PORTCULLIS-FWD'));
  assert.equal(lines.at(-2), 'COMMIT');
  assert.doesNotMatch(text, /DOCKER-ISOLATION|:DOCKER /, 'only what we own');
});

test('plans are pure: the input is not modified', async () => {
  const input = await inputOf('main');
  const before = JSON.stringify(input.rulesets);
  planLockdown(input, { kind: 'lockdown', allow: ['198.51.100.10'], off: false, ssh: null });
  planWhitelist(input, { kind: 'whitelist', port: { port: 8080 }, allow: ['198.51.100.10'] });
  assert.equal(JSON.stringify(input.rulesets), before);
  assert.ok(readFileSync(`${FIX}main/iptables-save.txt`, 'utf8').length > 0);
});
