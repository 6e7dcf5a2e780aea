// Issue 2's end-to-end facts against the real Docker lab (root only):
// - the live source reads the same host a raw capture (scripts/lab capture,
//   plain commands) sees at the same moment;
// - `portcullis snapshot DIR` then `status --from DIR` equals live `status`;
// - without Docker, the rules alone still give the published ports.
// The lab is shared with the other integration tests when
// scripts/test-integration started it (PORTCULLIS_LAB_MAIN); otherwise this
// file starts and removes its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LAB_SCRIPT, labDown, labUnavailableReason, labUp, type LabInfo } from '../helpers/lab.js';
import { readLive } from '../../src/host/live-source.js';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import type { Snapshot } from '../../src/core/types.js';

const pexec = promisify(execFile);
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const skip = labUnavailableReason();
const shared = process.env.PORTCULLIS_LAB_MAIN || undefined;
const name = shared ?? 'st';
let lab: LabInfo;
const tmp = mkdtempSync(join(tmpdir(), 'pc-status-'));

before(() => {
  if (skip) return;
  lab = labUp(name, 'main');
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (!skip && !shared) labDown(name);
});

async function cli(args: string[]): Promise<string> {
  const { stdout } = await pexec(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, timeout: 60_000 });
  return stdout;
}

const liveArgs = () => ['--netns', lab.hostNetns, '--docker-host', lab.dockerHost];

/** What must not differ between two reads of the same quiet host. */
function stable(s: Snapshot) {
  return {
    rules: s.rulesets
      .map((rs) => ({ family: rs.family, backend: rs.backend, rules: rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => `${t.name} -A ${c.name} ${r.text}`))) }))
      .sort((a, b) => `${a.family}${a.backend}`.localeCompare(`${b.family}${b.backend}`)),
    containers: (s.containers ?? []).map((c) => ({ id: c.id, name: c.name, endpoints: c.endpoints, ports: c.ports, running: c.running })).sort((a, b) => a.id.localeCompare(b.id)),
    networks: (s.networks ?? []).map((n) => ({ ...n, containers: Object.keys(n.containers).sort() })).sort((a, b) => a.id.localeCompare(b.id)),
    proxies: (s.proxies ?? []).map((p) => p.argv.join(' ')).sort(),
    links: (s.links ?? []).map((l) => `${l.ifindex}:${l.name}:${l.master ?? ''}`).sort(),
    addresses: (s.addresses ?? []).map((a) => `${a.ifname}:${a.local}/${a.prefixlen}`).sort(),
  };
}

test('live source equals a raw capture of the lab taken at the same moment', { skip: skip ?? false }, async () => {
  const rawDir = join(tmp, 'raw');
  const [live] = await Promise.all([
    readLive({ netns: lab.hostNetns, dockerHost: lab.dockerHost }),
    pexec('bash', [LAB_SCRIPT, 'capture', name, rawDir], { timeout: 60_000 }),
  ]);
  const liveSnap = buildSnapshot(live);
  const rawSnap = buildSnapshot(await readCaptureDir(rawDir));
  assert.deepEqual(liveSnap.issues, []);
  assert.deepEqual(rawSnap.issues, []);
  assert.ok((liveSnap.containers ?? []).length >= 10, 'the lab has its containers');
  assert.ok(liveSnap.rulesets.some((r) => r.family === 4), 'IPv4 rules were read');
  assert.deepEqual(stable(liveSnap), stable(rawSnap));
  assert.deepEqual(Object.keys(live.meta.unavailable).filter((f) => !/legacy/.test(f)), [], 'every non-legacy source was read live');
});

test('snapshot then status --from equals live status', { skip: skip ?? false }, async () => {
  const snapDir = join(tmp, 'snap');
  await cli(['snapshot', snapDir, ...liveArgs()]);
  const [fromCapture, live] = await Promise.all([cli(['status', '--json', '--from', snapDir]), cli(['status', '--json', ...liveArgs()])]);
  const strip = (text: string) => {
    const j = JSON.parse(text);
    delete j.time;
    delete j.flows;
    for (const c of j.containers) if (c.veth) c.veth = c.veth.name;
    for (const p of j.published) {
      delete p.packets;
      delete p.bytes;
      delete p.flows;
      for (const step of p.path) {
        delete step.packets;
        delete step.bytes;
      }
    }
    return j;
  };
  const a = strip(fromCapture);
  const b = strip(live);
  assert.deepEqual(a, b);
  // And the content is the lab: web's 8080 published on docker0 with its proxy.
  const web = a.published.find((p: any) => p.hostPort === 8080 && p.family === 4);
  assert.equal(web.container, 'web');
  assert.equal(web.bridge, 'docker0');
  assert.equal(web.proxy, true);
  assert.ok(a.bridges.some((x: any) => x.network === 'secure' && x.icc === false));
  // Every running container is tied to its host-side veth, with counters.
  const full = JSON.parse(live);
  const running = full.containers.filter((c: any) => c.running);
  assert.ok(running.length >= 10);
  for (const c of running) {
    assert.match(c.veth?.name ?? '', /^veth/, `${c.name} has a veth`);
    assert.ok(c.veth.rxBytes > 0 || c.veth.txBytes > 0, `${c.name}'s veth has counters`);
  }
});

test('human status names networks, containers and ports of the live lab', { skip: skip ?? false }, async () => {
  const text = await cli(['status', ...liveArgs()]);
  assert.match(text, /network bridge \(docker0\) 172\.17\.0\.0\/16/);
  assert.match(text, /^ {2}web {2}172\.17\.0\.\d+/m);
  assert.match(text, /0\.0\.0\.0:8080\/tcp -> 172\.17\.0\.\d+:80 /);
  assert.match(text, /network secure \(br-[0-9a-f]{12}\) 172\.19\.0\.0\/16 {2}ICC off/);
});

test('without Docker the rules alone still give the published ports, and say why names are missing', { skip: skip ?? false }, async () => {
  const j = JSON.parse(await cli(['status', '--json', '--netns', lab.hostNetns, '--docker-host', join(tmp, 'no-such.sock')]));
  assert.ok(j.unavailable['containers.json'].includes('no-such.sock'));
  assert.ok(j.warnings.some((w: string) => /Docker/.test(w)));
  const p8080 = j.published.find((p: any) => p.hostPort === 8080 && p.family === 4);
  assert.equal(p8080.container, null);
  assert.equal(p8080.bridge, 'docker0');
  assert.ok(j.published.filter((p: any) => p.family === 4).length >= 9);
});

test('alt profile (--ipv6 --ip6tables, no userland proxy, --icc=false): IPv6 ports come from ip6tables DNAT', { skip: skip ?? false }, async () => {
  const altName = 'st6';
  const alt = labUp(altName, 'alt');
  try {
    const j = JSON.parse(await cli(['status', '--json', '--netns', alt.hostNetns, '--docker-host', alt.dockerHost]));
    const v6 = j.published.filter((p: any) => p.family === 6);
    assert.ok(v6.length >= 3, 'IPv6 published ports');
    for (const p of v6) {
      assert.equal(p.proxy, false, 'no docker-proxy with --userland-proxy=false');
      assert.match(p.containerIp, /^2001:db8:/);
      assert.ok(p.container, 'named from Docker');
    }
    const web6 = v6.find((p: any) => p.hostPort === 8080);
    assert.equal(web6.bridge, 'docker0');
    assert.equal(j.bridges.find((b: any) => b.name === 'docker0').icc, false);
    assert.ok(j.families.some((f: any) => f.family === 6 && f.backend === 'nft'));
  } finally {
    labDown(altName);
  }
});
