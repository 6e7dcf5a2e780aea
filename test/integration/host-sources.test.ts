// Source adapters and the live source against real commands, in throwaway
// `pch-*` namespaces (root only; deleted in after() hooks even on failure).
// Docker is exercised with a fake Engine API on a unix socket, and, unless
// PORTCULLIS_SKIP_LAB=1, against a real lab (`scripts/lab up hs1`).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DockerError, readDocker, resolveDockerHost, watchEvents, type DockerEvent } from '../../src/host/docker-api.js';
import { readLiveDetailed } from '../../src/host/live-source.js';
import { findExecutable, run, spawnStream, type StreamHandle } from '../../src/host/runner.js';
import { hasIpv6Entries, watchConntrack } from '../../src/host/sources/conntrack.js';
import { readDockerProxies } from '../../src/host/sources/docker-proxy.js';
import { isEmptyLegacyDump } from '../../src/host/sources/iptables.js';

const isRoot = process.getuid?.() === 0;
const NOT_ROOT = isRoot ? false : 'needs root (network namespaces, iptables, conntrack); run the integration tests as root';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NS = `pch-src-${process.pid}`;
const NS2 = `pch-leg-${process.pid}`;
const BOGUS_SOCK = `/tmp/pch-no-docker-${process.pid}.sock`;

const RULES4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:PCH-TEST - [0:0]
[7:420] -A INPUT -s 198.51.100.7/32 -p tcp -m tcp --dport 8080 -m comment --comment "pch test rule" -j DROP
[0:0] -A FORWARD -j PCH-TEST
[3:180] -A PCH-TEST -d 198.51.100.20/32 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
[0:0] -A PREROUTING -d 198.51.100.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 198.51.100.20:8080
COMMIT
`;
const RULES6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -d ::1/128 -p udp -m udp --dport 5353 -j DROP
COMMIT
`;
const LEGACY4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
[5:300] -A INPUT -s 198.51.100.9/32 -j DROP
COMMIT
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function ctInsert(netns: string, src: string, dst: string, proto: 'tcp' | 'udp', sport: number, dport: number): Promise<void> {
  const argv = ['conntrack', '-I', '-p', proto, '-s', src, '-d', dst, '--sport', String(sport), '--dport', String(dport), '-t', '600'];
  if (proto === 'tcp') argv.push('--state', 'ESTABLISHED', '-u', 'ASSURED');
  await run(argv, { netns });
}

// ---------------------------------------------------------------- pure helpers

describe('adapter helpers', () => {
  it('isEmptyLegacyDump: only empty ACCEPT built-ins count as empty', () => {
    assert.equal(isEmptyLegacyDump(''), true);
    assert.equal(isEmptyLegacyDump('# Generated\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [12:34]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n# Completed\n'), true);
    assert.equal(isEmptyLegacyDump('*filter\n:INPUT DROP [0:0]\nCOMMIT\n'), false);
    assert.equal(isEmptyLegacyDump('*filter\n:INPUT ACCEPT [0:0]\n:MINE - [0:0]\nCOMMIT\n'), false);
    assert.equal(isEmptyLegacyDump('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n'), false);
  });

  it('hasIpv6Entries', () => {
    assert.equal(hasIpv6Entries('tcp      6 599 ESTABLISHED src=198.51.100.1 dst=198.51.100.2 sport=1 dport=2 '), false);
    assert.equal(hasIpv6Entries('udp      17 29 src=2001:db8::1 dst=2001:db8::2 sport=1 dport=2 '), true);
    assert.equal(hasIpv6Entries('tcp 6 9 ESTABLISHED src=::ffff:198.51.100.1 dst=::1 sport=1 dport=2 '), true);
  });

  it('resolveDockerHost: unix:// or a path; tcp:// is refused plainly', () => {
    assert.equal(resolveDockerHost('unix:///run/x.sock'), '/run/x.sock');
    assert.equal(resolveDockerHost('/run/y.sock'), '/run/y.sock');
    const saved = process.env.DOCKER_HOST;
    try {
      delete process.env.DOCKER_HOST;
      assert.equal(resolveDockerHost(), '/var/run/docker.sock');
      process.env.DOCKER_HOST = 'unix:///tmp/env.sock';
      assert.equal(resolveDockerHost(), '/tmp/env.sock');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    assert.throws(
      () => resolveDockerHost('tcp://127.0.0.1:2375'),
      (e: unknown) => e instanceof DockerError && e.kind === 'unsupported' && /tcp:\/\/ is not/.test(e.message),
    );
  });
});

// ---------------------------------------------------------------- fake Docker Engine API

interface FakeDocker {
  sock: string;
  server: http.Server;
  maxInFlight: number;
  events: http.ServerResponse[];
  eventFilters: string | null;
}

async function startFakeDocker(dir: string, containers = 30): Promise<FakeDocker> {
  const sock = path.join(dir, 'docker.sock');
  const ids = Array.from({ length: containers }, (_, i) => `c${String(i).padStart(3, '0')}`);
  const fake: FakeDocker = { sock, server: undefined as unknown as http.Server, maxInFlight: 0, events: [], eventFilters: null };
  let inFlight = 0;
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  fake.server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    const p = url.pathname;
    if (p === '/version') return json(res, 200, { Version: '99.0-test', ApiVersion: '1.41' });
    if (p === '/containers/json') {
      assert.equal(url.searchParams.get('all'), '1');
      return json(res, 200, [...ids.map((Id) => ({ Id })), { Id: 'gone' }]);
    }
    const m = /^\/containers\/([^/]+)\/json$/.exec(p);
    if (m) {
      if (m[1] === 'gone') return json(res, 404, { message: 'No such container: gone' });
      inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, { Id: m[1], Name: `/${m[1]}`, State: { Running: true, Pid: 0 }, HostConfig: { NetworkMode: 'default' } });
      }, 15);
      return;
    }
    if (p === '/networks') return json(res, 200, [{ Id: 'n1' }, { Id: 'n2' }]);
    const n = /^\/networks\/([^/]+)$/.exec(p);
    if (n) return json(res, 200, { Id: n[1], Name: n[1] === 'n1' ? 'bridge' : 'appnet', Containers: { c000: { Name: 'c000' } } });
    if (p === '/events') {
      fake.eventFilters = url.searchParams.get('filters');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"Type":"container","Action":"start","Actor":{"ID":"c000"}}\n{"Type":"net');
      setTimeout(() => res.write('work","Action":"connect","Actor":{"ID":"n1"}}\n'), 30);
      fake.events.push(res);
      return;
    }
    if (p === '/slow') return; // never answers
    json(res, 404, { message: `page not found: ${p}` });
  });
  await new Promise<void>((resolve) => fake.server.listen(sock, resolve));
  return fake;
}

async function stopFakeDocker(fake: FakeDocker | undefined): Promise<void> {
  if (!fake) return;
  for (const r of fake.events) r.destroy();
  fake.server.closeAllConnections();
  await new Promise<void>((resolve) => fake.server.close(() => resolve()));
}

describe('Docker Engine API (fake daemon on a unix socket)', () => {
  let dir: string;
  let fake: FakeDocker | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pch-docker-'));
    fake = await startFakeDocker(dir);
  });
  after(async () => {
    await stopFakeDocker(fake);
    await rm(dir, { recursive: true, force: true });
  });

  it('reads version, inspects every container and network in list order, skips vanished ones, bounded concurrency', async () => {
    const d = await readDocker({ dockerHost: `unix://${fake!.sock}` });
    assert.equal(d.version, '99.0-test');
    assert.equal(d.apiVersion, '1.41');
    const cs = JSON.parse(d.containersJson) as Array<{ Id: string; Name: string }>;
    assert.equal(cs.length, 30);
    assert.equal(cs[0]?.Name, '/c000');
    assert.equal(cs[29]?.Id, 'c029');
    assert.ok(!cs.some((c) => c.Id === 'gone'));
    const ns = JSON.parse(d.networksJson) as Array<{ Name: string; Containers: object }>;
    assert.deepEqual(ns.map((x) => x.Name), ['bridge', 'appnet']);
    assert.ok(fake!.maxInFlight <= 8 && fake!.maxInFlight >= 2, `max in flight ${fake!.maxInFlight}`);
  });

  it('explains a missing socket, a non-socket, and a silent daemon', async () => {
    await assert.rejects(readDocker({ dockerHost: BOGUS_SOCK }), {
      message: `Docker is not reachable at ${BOGUS_SOCK} (no such socket): showing rules only`,
    });
    const notSock = path.join(dir, 'plain-file');
    await writeFile(notSock, '');
    await assert.rejects(readDocker({ dockerHost: notSock }), (e: unknown) => e instanceof DockerError && /Docker is not reachable at .*plain-file/.test(e.message));
    const { dockerGetRaw } = await import('../../src/host/docker-api.js');
    const t0 = Date.now();
    await assert.rejects(dockerGetRaw(fake!.sock, '/slow', { timeoutMs: 200 }), (e: unknown) => e instanceof DockerError && e.kind === 'timeout');
    assert.ok(Date.now() - t0 < 2000);
  });

  it('streams events (filtered to containers and networks) until aborted', async () => {
    const got: DockerEvent[] = [];
    const ac = new AbortController();
    const done = watchEvents(fake!.sock, (e) => got.push(e), ac.signal);
    await waitFor(() => got.length >= 2, 3000, 'two events');
    assert.deepEqual(JSON.parse(fake!.eventFilters ?? 'null'), { type: ['container', 'network'] });
    assert.deepEqual(got.map((e) => `${e.Type} ${e.Action}`), ['container start', 'network connect']);
    ac.abort();
    await done; // resolves on abort
    await assert.rejects(watchEvents(BOGUS_SOCK, () => undefined), /no such socket/);
  });
});

// ---------------------------------------------------------------- live read in our own namespace

describe('live read in a throwaway namespace', { skip: NOT_ROOT }, () => {
  let dir: string;
  let fake: FakeDocker | undefined;
  const procs: StreamHandle[] = [];
  let fakeProxy = '';

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pch-src-'));
    await chmod(dir, 0o755);
    fake = await startFakeDocker(dir, 3);
    for (const ns of [NS, NS2]) {
      await run(['ip', 'netns', 'add', ns]);
      await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await run(['ip', '-n', NS, 'link', 'add', 'pchv0', 'type', 'veth', 'peer', 'name', 'pchv1']);
    await run(['ip', '-n', NS, 'addr', 'add', '198.51.100.1/24', 'dev', 'pchv0']);
    await run(['ip', '-n', NS, 'link', 'set', 'pchv0', 'up']);
    const restore4 = findExecutable('iptables-nft-restore') ? 'iptables-nft-restore' : 'iptables-restore';
    const restore6 = findExecutable('ip6tables-nft-restore') ? 'ip6tables-nft-restore' : 'ip6tables-restore';
    await run([restore4, '-c'], { netns: NS, input: RULES4 });
    // ip6tables-nft-restore 1.8.9 ignores [p:b] counters (iptables-nft-restore keeps them),
    // so the IPv6 rule gets real packets: two UDP datagrams to [::1]:5353 inside NS.
    await run([restore6, '-c'], { netns: NS, input: RULES6 });
    const send = `const s = require('node:dgram').createSocket('udp6');
      s.send('x', 5353, '::1', () => s.send('y', 5353, '::1', () => s.close()));`;
    await run([process.execPath, '-e', send], { netns: NS });
    await ctInsert(NS, '198.51.100.30', '198.51.100.1', 'tcp', 40000, 8080);
    await ctInsert(NS, '2001:db8::30', '2001:db8::1', 'udp', 40001, 5353);
    // NS2: a legacy IPv4 rule, and an instantiated but empty legacy IPv6 filter table.
    if (findExecutable('iptables-legacy-restore')) {
      await run(['iptables-legacy-restore', '-c'], { netns: NS2, input: LEGACY4 });
      await run(['ip6tables-legacy', '-n', '-L'], { netns: NS2 });
    }
    // A fake docker-proxy (a copy of sleep) in NS and one in our own namespace.
    fakeProxy = path.join(dir, 'docker-proxy');
    await copyFile(findExecutable('sleep')!, fakeProxy);
    await chmod(fakeProxy, 0o755);
    procs.push(spawnStream([fakeProxy, '60', '1'], { netns: NS, onLine: () => undefined }));
    procs.push(spawnStream([fakeProxy, '61'], { onLine: () => undefined }));
    await waitFor(() => procs.every((p) => p.pid !== undefined && existsSync(`/proc/${p.pid}/cmdline`) && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('docker-proxy')), 3000, 'fake docker-proxy processes');
  });

  after(async () => {
    for (const p of procs) await p.stop().catch(() => undefined);
    await stopFakeDocker(fake);
    for (const ns of [NS, NS2]) await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('readLive returns the rules with counters, both conntrack families, links, and explains a missing Docker', async (t) => {
    const { capture, timings } = await readLiveDetailed({ netns: NS, dockerHost: BOGUS_SOCK });
    t.diagnostic(`timings (ms): ${JSON.stringify(timings)}`);
    const f = capture.files;
    assert.match(f['iptables-save.txt'] ?? '', /^\[7:420\] -A INPUT -s 198\.51\.100\.7\/32 -p tcp -m tcp --dport 8080 -m comment --comment "pch test rule" -j DROP$/m);
    assert.match(f['iptables-save.txt'] ?? '', /^\[3:180\] -A PCH-TEST -d 198\.51\.100\.20\/32 -j ACCEPT$/m);
    assert.match(f['iptables-save.txt'] ?? '', /^\*nat$/m);
    assert.match(f['ip6tables-save.txt'] ?? '', /^\[2:\d+\] -A INPUT -d ::1\/128 -p udp -m udp --dport 5353 -j DROP$/m);
    assert.equal(f['iptables-legacy-save.txt'], '');
    assert.equal(f['ip6tables-legacy-save.txt'], '');
    assert.match(capture.meta.notes.join('\n'), /no legacy IPv4 tables in use/);

    const ct = f['conntrack.txt'] ?? '';
    assert.match(ct, /^tcp +6 \d+ ESTABLISHED src=198\.51\.100\.30 dst=198\.51\.100\.1 sport=40000 dport=8080 /m);
    assert.match(ct, /^udp +17 \d+ src=2001:db8::30 dst=2001:db8::1 sport=40001 dport=5353 /m);
    assert.equal(ct.trim().split('\n').length, 2, 'only this namespace\'s entries');
    assert.ok(!/flow entries have been shown/.test(ct), 'summary line (stderr) left out');

    const links = JSON.parse(f['ip-link.json'] ?? '') as Array<{ ifname: string; linkinfo?: { info_kind?: string }; stats64?: object }>;
    assert.deepEqual(links.map((l) => l.ifname).sort(), ['lo', 'pchv0', 'pchv1']);
    assert.equal(links.find((l) => l.ifname === 'pchv0')?.linkinfo?.info_kind, 'veth', '-d details present');
    assert.ok(links.every((l) => l.stats64), '-s statistics present');
    const addrs = JSON.parse(f['ip-addr.json'] ?? '') as Array<{ ifname: string; addr_info: Array<{ local: string }> }>;
    assert.deepEqual(addrs.find((a) => a.ifname === 'pchv0')?.addr_info.map((a) => a.local).filter((a) => a.includes('.')), ['198.51.100.1']);

    const why = `Docker is not reachable at ${BOGUS_SOCK} (no such socket): showing rules only`;
    assert.equal(capture.meta.unavailable['containers.json'], why);
    assert.equal(capture.meta.unavailable['networks.json'], why);
    assert.equal(capture.meta.unavailable['container-ifaces.json'], why);
    assert.equal(f['containers.json'], undefined);
    assert.equal(capture.meta.dockerVersion, null);

    const proxyPid = procs[0]?.pid;
    assert.equal(f['docker-proxy.txt'], `pid=${proxyPid} ${fakeProxy} 60 1\n`, 'only the docker-proxy of this namespace');

    assert.equal(capture.meta.netns, NS);
    assert.equal(capture.meta.hostname, NS);
    assert.ok(Math.abs(capture.meta.time - Date.now()) < 60_000);
    // every capture file is either read or explained
    assert.deepEqual(Object.keys(capture.meta.unavailable).sort(), ['container-ifaces.json', 'containers.json', 'networks.json']);
  });

  it('readLive reads Docker through --docker-host, and refuses the default socket for a netns', async () => {
    const { capture } = await readLiveDetailed({ netns: NS, dockerHost: `unix://${fake!.sock}` });
    assert.equal(capture.meta.dockerVersion, '99.0-test');
    assert.equal((JSON.parse(capture.files['containers.json'] ?? '[]') as unknown[]).length, 3);
    assert.equal((JSON.parse(capture.files['networks.json'] ?? '[]') as unknown[]).length, 2);
    assert.equal(capture.files['container-ifaces.json'], '[]\n');

    const saved = process.env.DOCKER_HOST;
    delete process.env.DOCKER_HOST;
    try {
      const r = await readLiveDetailed({ netns: NS });
      assert.match(r.capture.meta.unavailable['containers.json'] ?? '', /no Docker socket given for network namespace .* \(use --docker-host\)/);
    } finally {
      if (saved !== undefined) process.env.DOCKER_HOST = saved;
    }
  });

  it('reads legacy tables when they hold rules, and calls instantiated empty ones empty', { skip: !findExecutable('iptables-legacy-restore') && 'iptables-legacy not installed' }, async () => {
    const { capture } = await readLiveDetailed({ netns: NS2, dockerHost: BOGUS_SOCK });
    assert.match(capture.files['iptables-legacy-save.txt'] ?? '', /^\[5:300\] -A INPUT -s 198\.51\.100\.9\/32 -j DROP$/m);
    assert.equal(capture.files['ip6tables-legacy-save.txt'], '');
    assert.match(capture.meta.notes.join('\n'), /no legacy IPv6 tables in use/);
    assert.ok(!/no legacy IPv4/.test(capture.meta.notes.join('\n')));
  });

  it('docker-proxy scan keeps only processes of the namespace asked for', async () => {
    const inNs = await readDockerProxies({ netns: NS });
    assert.equal(inNs.files['docker-proxy.txt'], `pid=${procs[0]?.pid} ${fakeProxy} 60 1\n`);
    const own = await readDockerProxies({});
    const lines = (own.files['docker-proxy.txt'] ?? '').split('\n').filter(Boolean);
    assert.ok(lines.includes(`pid=${procs[1]?.pid} ${fakeProxy} 61`));
    assert.ok(!lines.some((l) => l.startsWith(`pid=${procs[0]?.pid} `)));
    const pids = lines.map((l) => Number(/^pid=(\d+) /.exec(l)?.[1]));
    assert.deepEqual(pids, [...pids].sort((a, b) => a - b), 'sorted by pid');
  });

  it('watchConntrack streams raw event lines of the namespace, and stops', async () => {
    const lines: string[] = [];
    const w = watchConntrack({ netns: NS }, (l) => lines.push(l));
    try {
      // conntrack -E gives no "ready" signal: insert until an event shows up.
      const deadline = Date.now() + 5000;
      let port = 41000;
      while (!lines.some((l) => l.includes('src=2001:db8::41')) && Date.now() < deadline) {
        await sleep(150);
        await ctInsert(NS, '198.51.100.41', '198.51.100.1', 'tcp', port, 80);
        await ctInsert(NS, '2001:db8::41', '2001:db8::1', 'udp', port, 53);
        port++;
      }
      assert.ok(lines.some((l) => /\[NEW\] tcp .*src=198\.51\.100\.41 /.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /\[NEW\] udp .*src=2001:db8::41 /.test(l)), lines.join('\n'));
    } finally {
      const end = await w.stop();
      assert.equal(end.stopped, true);
    }
  });

  it('readLive throws plainly for a namespace that does not exist', async () => {
    await assert.rejects(readLiveDetailed({ netns: 'pch-nope-404' }), /network namespace "pch-nope-404" does not exist/);
    await assert.rejects(readLiveDetailed({ netns: '../etc' }), RangeError);
  });

  it('as an unprivileged user, every source still answers with a plain reason', async (t) => {
    // The child runs the sources from this checkout, so nobody must be able to read it
    // (a checkout under a 0700 directory such as a mktemp dir is not).
    const readable = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', path.join(REPO, 'package.json')], {
      allowExitCodes: [1],
    });
    if (readable.exitCode !== 0) {
      t.skip(`the checkout at ${REPO} is not readable by user nobody`);
      return;
    }
    // A child running as nobody *inside NS* reads "its own" namespace (no netns option).
    const code = `
      import { readLive } from ${JSON.stringify(path.join(REPO, 'src/host/live-source.ts'))};
      const r = await readLive({ dockerHost: ${JSON.stringify(BOGUS_SOCK)} });
      process.stdout.write(JSON.stringify(r));`;
    const r = await run(
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '--import', 'tsx', '--input-type=module', '-e', code],
      { netns: NS, timeoutMs: 60_000 },
    );
    const cap = JSON.parse(r.stdout) as { files: Record<string, string>; meta: { unavailable: Record<string, string>; notes: string[] } };
    const un = cap.meta.unavailable;
    assert.equal(un['iptables-save.txt'], 'iptables-nft-save: permission denied (needs root or CAP_NET_ADMIN)');
    assert.equal(un['ip6tables-save.txt'], 'ip6tables-nft-save: permission denied (needs root or CAP_NET_ADMIN)');
    assert.equal(un['iptables-legacy-save.txt'], 'iptables-legacy-save: permission denied (needs root or CAP_NET_ADMIN)');
    assert.equal(un['conntrack.txt'], 'conntrack: permission denied (needs root or CAP_NET_ADMIN)');
    assert.ok(cap.files['ip-link.json']?.includes('pchv0'), 'links need no privilege');
    assert.match(cap.meta.notes[0] ?? '', /^not root: /);
  });
});

// ---------------------------------------------------------------- the Docker lab

const LAB = path.join(REPO, 'scripts/lab');
const labSkip = !isRoot
  ? 'needs root'
  : process.env.PORTCULLIS_SKIP_LAB === '1'
    ? 'PORTCULLIS_SKIP_LAB=1'
    : !existsSync(LAB)
      ? 'scripts/lab not found'
      : !findExecutable('dockerd')
        ? 'dockerd not installed'
        : false;

describe('live read against the Docker lab (scripts/lab up hs1)', { skip: labSkip, timeout: 600_000 }, () => {
  interface LabInfo {
    hostNetns: string;
    dockerHost: string;
    containers: Array<{ name: string }>;
  }
  let info: LabInfo;
  before(async () => {
    await run(['bash', LAB, 'up', 'hs1'], { timeoutMs: 480_000 });
    info = JSON.parse((await run(['bash', LAB, 'info', 'hs1'])).stdout) as LabInfo;
  });
  after(async () => {
    await run(['bash', LAB, 'down', 'hs1'], { timeoutMs: 180_000 }).catch((e: unknown) => {
      console.error(`lab down hs1 failed: ${String(e)}`);
    });
  });

  it('returns the lab containers, networks, its docker-proxies only, and container interfaces tied to veths', async (t) => {
    const { capture, timings } = await readLiveDetailed({ netns: info.hostNetns, dockerHost: info.dockerHost });
    t.diagnostic(`lab timings (ms): ${JSON.stringify(timings)}`);
    const f = capture.files;
    assert.deepEqual(capture.meta.unavailable, {});
    assert.ok(capture.meta.dockerVersion);

    const cs = JSON.parse(f['containers.json'] ?? '[]') as Array<{ Name: string; State: { Pid: number } }>;
    assert.deepEqual(cs.map((c) => c.Name.replace(/^\//, '')).sort(), info.containers.map((c) => c.name).sort());
    assert.ok((JSON.parse(f['networks.json'] ?? '[]') as unknown[]).length >= 3);
    assert.match(f['iptables-save.txt'] ?? '', /^:DOCKER-USER - \[\d+:\d+\]$/m);

    const proxyLines = (f['docker-proxy.txt'] ?? '').split('\n').filter(Boolean);
    assert.ok(proxyLines.length > 0, 'main profile runs userland proxies');
    assert.ok(proxyLines.some((l) => / -host-port 8080 /.test(l)));
    const want = (await stat(`/var/run/netns/${info.hostNetns}`)).ino;
    for (const l of proxyLines) {
      const pid = Number(/^pid=(\d+) \S*docker-proxy /.exec(l)?.[1]);
      assert.ok(pid > 0, l);
      assert.equal(readlinkNs(pid), want, `pid ${pid} is in ${info.hostNetns}`);
    }

    const ifaces = JSON.parse(f['container-ifaces.json'] ?? '[]') as Array<{ containerId: string; peerIfindex: number }>;
    const links = JSON.parse(f['ip-link.json'] ?? '[]') as Array<{ ifindex: number; master?: string; linkinfo?: { info_kind?: string } }>;
    assert.ok(ifaces.length > 0);
    for (const i of ifaces) {
      const peer = links.find((l) => l.ifindex === i.peerIfindex);
      assert.equal(peer?.linkinfo?.info_kind, 'veth', `peer of ${i.containerId.slice(0, 12)}`);
      assert.ok(peer?.master, 'the host-side veth is on a bridge');
    }
  });
});

function readlinkNs(pid: number): number {
  // /proc/PID/ns/net -> "net:[INODE]"
  const link = readlinkSyncSafe(`/proc/${pid}/ns/net`);
  return Number(/net:\[(\d+)\]/.exec(link)?.[1] ?? NaN);
}

function readlinkSyncSafe(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}
