// Kernel agreement: for real probes against the Docker lab, explain's verdict
// (delivered or not) must equal what happened (an HTTP response / a UDP reply,
// or a timeout / refusal), for every probe, in several scenarios:
//  1. plain: the main lab as built;
//  2. operator rules, added inside THIS lab's namespace only: a DOCKER-USER
//     source drop, INPUT rules on a host port (v4 DROP, v4 loopback REJECT,
//     v6 source DROP);
//  3. Portcullis' own actions (`portcullis whitelist` / `block-proxy`,
//     src/commands/actions), applied to this lab.
// Probes: every client address x every published TCP port of the main lab to
// the host address (forwarded route) and, over IPv6, to the host's v6 address
// (docker-proxy route); the host itself to 127.0.0.1 (docker-proxy) and to its
// own address (nat OUTPUT DNAT); UDP 5353 the same ways (udpProbe).
// The lab is this file's own (name `xexpl`), made before and removed after,
// whatever happens; nothing here touches the root namespace's firewall.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpProbeAsync, inNetns, labDown, labUnavailableReason, labUp, udpProbe, type LabInfo } from '../helpers/lab.js';
import { readLive } from '../../src/host/live-source.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import { explain } from '../../src/core/explain/index.js';
import type { ExplainQuery, ExplainResult } from '../../src/core/explain/types.js';

const NAME = 'xexpl';
const skip = labUnavailableReason();
let lab: LabInfo;
const stateDir = mkdtempSync(join(tmpdir(), 'pc-explain-'));
const CLI = fileURLToPath(new URL('../../src/cli.tsx', import.meta.url));
const TIMEOUT_MS = 1500;
const CONCURRENCY = 8;

before(() => {
  if (skip) return;
  lab = labUp(NAME, 'main');
});
after(() => {
  rmSync(stateDir, { recursive: true, force: true });
  if (!skip) labDown(NAME);
});

interface Probe {
  label: string;
  proto: 'tcp' | 'udp';
  netns: 'client' | 'host';
  from: string | null;
  to: string;
  port: number;
  query: ExplainQuery;
}

function probes(): Probe[] {
  const tcpPorts = [...new Set(lab.containers.flatMap((c) => c.bindings.filter((b) => b.proto === 'tcp').map((b) => b.hostPort)))].sort((a, b) => a - b);
  const out: Probe[] = [];
  const add = (proto: 'tcp' | 'udp', netns: 'client' | 'host', from: string | null, to: string, port: number, src: string) =>
    out.push({ label: `${proto} ${from ?? src} -> ${to.includes(':') ? `[${to}]` : to}:${port}${netns === 'host' ? ' (host)' : ''}`, proto, netns, from, to, port, query: { src, dst: to, dport: port, proto } });
  for (const port of tcpPorts) {
    for (const c of lab.clientAddrs4) add('tcp', 'client', c, lab.hostAddr4, port, c);
    for (const c of lab.clientAddrs6) add('tcp', 'client', c, lab.hostAddr6, port, c);
    add('tcp', 'host', null, '127.0.0.1', port, '127.0.0.1');
    add('tcp', 'host', null, lab.hostAddr4, port, lab.hostAddr4);
  }
  for (const c of lab.clientAddrs4) add('udp', 'client', c, lab.hostAddr4, 5353, c);
  for (const c of lab.clientAddrs6) add('udp', 'client', c, lab.hostAddr6, 5353, c);
  add('udp', 'host', null, '127.0.0.1', 5353, '127.0.0.1');
  return out;
}

async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const res: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        res[i] = await f(items[i]!);
      }
    }),
  );
  return res;
}

async function send(p: Probe): Promise<boolean> {
  const netns = p.netns === 'host' ? lab.hostNetns : lab.clientNetns;
  const to = `${p.to.includes(':') ? `[${p.to}]` : p.to}:${p.port}`;
  if (p.proto === 'udp') {
    // udpProbe is synchronous; UDP probes are few
    return udpProbe(lab, { ...(p.from ? { from: p.from } : {}), to, timeoutMs: TIMEOUT_MS, netns }).ok;
  }
  const r = await httpProbeAsync(lab, { ...(p.from ? { from: p.from } : {}), to, timeoutMs: TIMEOUT_MS, netns });
  return r.ok;
}

interface Outcome {
  agreed: number;
  total: number;
  lines: string[];
  /** What the kernel did, by probe label. */
  real: Map<string, boolean>;
  delivered: number;
}

async function scenario(name: string): Promise<Outcome> {
  const raw = await readLive({ netns: lab.hostNetns, dockerHost: lab.dockerHost });
  const snap = buildSnapshot(raw);
  const model = buildModel(snap);
  const host = { addresses: snap.addresses, rulesets: snap.rulesets };
  const list = probes();
  const verdicts = list.map((p) => explain(model, host, p.query));
  const tcp = list.map((p, i) => ({ p, i })).filter((x) => x.p.proto === 'tcp');
  const udp = list.map((p, i) => ({ p, i })).filter((x) => x.p.proto === 'udp');
  const real: boolean[] = new Array(list.length);
  const tcpRes = await pool(tcp, CONCURRENCY, (x) => send(x.p));
  tcp.forEach((x, k) => (real[x.i] = tcpRes[k]!));
  for (const x of udp) real[x.i] = await send(x.p);
  const lines: string[] = [];
  let agreed = 0;
  list.forEach((p, i) => {
    const v: ExplainResult = verdicts[i]!;
    const said = v.delivered;
    const ok = said === real[i];
    if (ok) agreed++;
    else lines.push(`${name}: ${p.label}: kernel ${real[i] ? 'delivered' : 'did not deliver'}, explain said ${v.verdict.kind}: ${v.verdict.summary}`);
  });
  const byLabel = new Map(list.map((p, i) => [p.label, real[i]!] as const));
  return { agreed, total: list.length, lines, real: byLabel, delivered: real.filter(Boolean).length };
}

function report(name: string, r: Outcome): void {
  totals.agreed += r.agreed;
  totals.total += r.total;
  console.log(`${name}: explain agreed with the kernel on ${r.agreed}/${r.total} probes (${r.delivered} delivered, ${r.total - r.delivered} not)`);
}

function ipt(argv: string[]): void {
  const r = inNetns(lab.hostNetns, argv, { timeoutMs: 15_000 });
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
}

/** The CLI runs in the root namespace and acts inside the lab's through --netns. */
function spawnCli(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PORTCULLIS_STATE_DIR: stateDir } });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

const totals = { agreed: 0, total: 0 };

test('explain agrees with the kernel on every probe: plain lab', { skip: skip ?? false, timeout: 600_000 }, async () => {
  const r = await scenario('plain');
  report('plain', r);
  assert.deepEqual(r.lines, []);
  assert.equal(r.real.get('tcp 198.51.100.11 -> 198.51.100.1:8080'), true);
  assert.equal(r.real.get('tcp 198.51.100.10 -> 198.51.100.1:9091'), false, 'bound to 127.0.0.1');
});

test('explain agrees with the kernel on every probe: operator rules in DOCKER-USER and INPUT', { skip: skip ?? false, timeout: 600_000 }, async () => {
  ipt(['iptables', '-I', 'DOCKER-USER', '-s', '198.51.100.11', '-j', 'DROP']);
  ipt(['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '8081', '-j', 'DROP']);
  ipt(['iptables', '-A', 'INPUT', '-i', 'lo', '-p', 'tcp', '--dport', '7001', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
  ipt(['ip6tables', '-A', 'INPUT', '-s', '2001:db8:ff::11', '-p', 'tcp', '--dport', '8082', '-j', 'DROP']);
  const r = await scenario('operator');
  report('operator rules', r);
  assert.deepEqual(r.lines, []);
  // the scenario really changed what happens
  assert.equal(r.real.get('tcp 198.51.100.11 -> 198.51.100.1:8080'), false, 'DOCKER-USER source drop');
  assert.equal(r.real.get('tcp 2001:db8:ff::11 -> [2001:db8:ff::1]:8080'), true, 'the v6 docker-proxy route skips DOCKER-USER');
  assert.equal(r.real.get('tcp 198.51.100.10 -> 198.51.100.1:8081'), true, 'INPUT never sees the forwarded packet');
  assert.equal(r.real.get('tcp 127.0.0.1 -> 127.0.0.1:8081 (host)'), false, 'INPUT does see the docker-proxy route');
  assert.equal(r.real.get('tcp 127.0.0.1 -> 127.0.0.1:7001 (host)'), false);
  assert.equal(r.real.get('tcp 2001:db8:ff::11 -> [2001:db8:ff::1]:8082'), false);
});

test('explain agrees with the kernel on every probe: Portcullis whitelist and block-proxy', { skip: skip ?? false, timeout: 600_000 }, async (t) => {
  const common = ['--netns', lab.hostNetns, '--docker-host', lab.dockerHost, '--state-dir', stateDir, '--yes', '--confirm-timeout', '0'];
  const wl = spawnCli(['whitelist', '--port', '8083', '--allow', '198.51.100.10', ...common]);
  if (wl.code !== 0) {
    t.skip(`portcullis whitelist is not usable here (exit ${wl.code}): ${wl.out.trim().split('\n').slice(-3).join(' | ')}`);
    return;
  }
  const bp = spawnCli(['block-proxy', '--port', '8083', ...common]);
  assert.equal(bp.code, 0, bp.out);
  const bl = spawnCli(['block-proxy', '--port', '8084', '--loopback', ...common]);
  assert.equal(bl.code, 0, bl.out);
  const r = await scenario('portcullis');
  report('portcullis actions', r);
  assert.deepEqual(r.lines, []);
  assert.equal(r.real.get('tcp 198.51.100.10 -> 198.51.100.1:8083'), true, 'whitelisted');
  assert.equal(r.real.get('tcp 198.51.100.12 -> 198.51.100.1:8083'), false, 'not whitelisted');
  assert.equal(r.real.get('tcp 2001:db8:ff::10 -> [2001:db8:ff::1]:8083'), false, 'docker-proxy route blocked');
  assert.equal(r.real.get('tcp 127.0.0.1 -> 127.0.0.1:8084 (host)'), false, 'loopback docker-proxy route blocked');
});

test('total', { skip: skip ?? false }, () => {
  console.log(`explain agreed with the kernel on ${totals.agreed}/${totals.total} probes`);
  assert.equal(totals.agreed, totals.total);
  assert.ok(totals.total > 0);
});

