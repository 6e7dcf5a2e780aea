// The model on real captures of the lab (test/fixtures/lab/{main,alt}, taken
// with `scripts/lab capture` from raw commands) against Docker's own state.
// The truth is read straight from the `docker inspect` JSON here, not through
// the product's parsers, so a parser bug cannot agree with itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import { CAPTURE_FILES, type CaptureFile, type RawCapture } from '../../src/core/types.js';

const root = new URL('../fixtures/lab/', import.meta.url);

function loadCapture(profile: string, drop: CaptureFile[] = []): RawCapture {
  const dir = new URL(`${profile}/`, root);
  const present = new Set(readdirSync(dir));
  const files: RawCapture['files'] = {};
  for (const f of CAPTURE_FILES) if (present.has(f) && !drop.includes(f)) files[f] = readFileSync(new URL(f, dir), 'utf8');
  const meta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8'));
  return { files, meta: { hostname: null, netns: null, dockerVersion: null, unavailable: {}, notes: [], ...meta } };
}

interface TruthPort { family: 4 | 6; proto: string; hostIp: string; hostPort: number; containerIp: string; containerPort: number; bridge: string; container: string }
interface TruthBridge { name: string; network: string; subnets: string[]; icc: boolean; masquerade: boolean; internal: boolean }

/** Docker's view: every port binding of every running container, and every bridge network. */
function dockerTruth(profile: string, daemonIcc: boolean): { ports: TruthPort[]; bridges: TruthBridge[] } {
  const dir = new URL(`${profile}/`, root);
  const containers = JSON.parse(readFileSync(new URL('containers.json', dir), 'utf8')) as any[];
  const networks = JSON.parse(readFileSync(new URL('networks.json', dir), 'utf8')) as any[];
  const bridges: TruthBridge[] = [];
  const bridgeOfNet = new Map<string, string>();
  for (const n of networks) {
    if (n.Driver !== 'bridge') continue;
    const name = n.Options?.['com.docker.network.bridge.name'] ?? `br-${String(n.Id).slice(0, 12)}`;
    bridgeOfNet.set(n.Name, name);
    const opt = (k: string) => n.Options?.[`com.docker.network.bridge.${k}`];
    bridges.push({
      name,
      network: n.Name,
      subnets: (n.IPAM?.Config ?? []).map((c: any) => c.Subnet).sort(),
      // The daemon's --icc applies to the default bridge only; user networks default to on.
      icc: opt('enable_icc') !== undefined ? opt('enable_icc') === 'true' : n.Name === 'bridge' ? daemonIcc : true,
      // An internal network never masquerades, whatever its option says.
      masquerade: opt('enable_ip_masquerade') !== 'false' && !n.Internal,
      internal: Boolean(n.Internal),
    });
  }
  const ports: TruthPort[] = [];
  for (const c of containers) {
    if (!c.State?.Running) continue;
    const nets = Object.entries(c.NetworkSettings?.Networks ?? {}) as Array<[string, any]>;
    const [netName, ep] = nets[0] ?? [];
    for (const [key, bindings] of Object.entries(c.NetworkSettings?.Ports ?? {}) as Array<[string, any[] | null]>) {
      const [cport, proto] = key.split('/');
      for (const b of bindings ?? []) {
        const family = String(b.HostIp).includes(':') ? 6 : 4;
        // IPv6 bindings reach the container's IPv6 address when it has one (ip6tables DNAT),
        // else its IPv4 address through docker-proxy.
        const containerIp = family === 6 && ep.GlobalIPv6Address ? ep.GlobalIPv6Address : ep.IPAddress;
        ports.push({
          family,
          proto: proto!,
          hostIp: b.HostIp || '0.0.0.0',
          hostPort: Number(b.HostPort),
          containerIp,
          containerPort: Number(cport),
          bridge: bridgeOfNet.get(netName!)!,
          container: String(c.Name).replace(/^\//, ''),
        });
      }
    }
  }
  return { ports, bridges };
}

const key = (p: { family: number; proto: string; hostIp: string; hostPort: number }) => `${p.family}/${p.proto}/${p.hostIp}/${p.hostPort}`;
const sortBy = <T>(xs: T[], f: (x: T) => string) => [...xs].sort((a, b) => f(a).localeCompare(f(b)));

for (const [profile, daemonIcc] of [['main', true], ['alt', false]] as const) {
  const truth = dockerTruth(profile, daemonIcc);

  test(`lab ${profile}: published ports and bridges agree with docker inspect`, () => {
    const m = buildModel(buildSnapshot(loadCapture(profile)));
    assert.equal(m.issues.length, 0, JSON.stringify(m.issues.slice(0, 3)));
    assert.ok(truth.ports.length >= 4, 'the capture has published ports');
    const got = sortBy(
      m.published.map((p) => ({ family: p.family, proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort, bridge: p.bridge, container: p.container })),
      key,
    );
    assert.deepEqual(got, sortBy(truth.ports, key));

    const bridges = sortBy(
      m.bridges.filter((b) => b.network).map((b) => ({ name: b.name, network: b.network, subnets: [...b.subnets].sort(), icc: b.icc, masquerade: b.masquerade, internal: b.internal })),
      (b) => b.name,
    );
    assert.deepEqual(bridges, sortBy(truth.bridges, (b) => b.name));
    assert.deepEqual(m.warnings.filter((w) => /Docker says/.test(w)), [], 'rules and Docker agree');
  });

  test(`lab ${profile}: rules alone give the same ports, bridges and ICC minus names`, () => {
    const m = buildModel(
      buildSnapshot(loadCapture(profile, ['containers.json', 'networks.json', 'docker-proxy.txt', 'container-ifaces.json', 'conntrack.txt', 'ip-link.json', 'ip-addr.json'])),
    );
    // Without Docker or proxies, IPv6 bindings served only by docker-proxy cannot be known.
    const servedByRules = truth.ports.filter((p) => !(p.family === 6 && !p.containerIp.includes(':')));
    const got = sortBy(
      m.published.map((p) => ({ family: p.family, proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort, bridge: p.bridge })),
      key,
    );
    assert.deepEqual(got, sortBy(servedByRules.map(({ container: _c, ...rest }) => rest), key));
    assert.ok(m.published.every((p) => p.container === null && p.proxy === false));

    const bridges = sortBy(
      m.bridges.map((b) => ({ name: b.name, subnets: [...b.subnets].sort(), icc: b.icc, masquerade: b.masquerade, internal: b.internal })),
      (b) => b.name,
    );
    // The internal network has no masquerade and the no-masquerade one no isolation rule:
    // their subnets still come from the isolation drops (internal) or not at all.
    const expected = sortBy(
      truth.bridges.map(({ network: _n, ...b }) => ({ ...b, subnets: b.masquerade || b.internal ? b.subnets : [] })),
      (b) => b.name,
    );
    assert.deepEqual(bridges, expected);
  });

  test(`lab ${profile}: flows are tied to the port they went through`, () => {
    const m = buildModel(buildSnapshot(loadCapture(profile)));
    const withFlows = m.published.filter((p) => p.flows.length > 0);
    assert.ok(withFlows.length >= 3, 'the capture was taken with traffic flowing');
    for (const p of m.published) {
      for (const f of p.flows) {
        assert.equal(f.proto, p.proto);
        assert.equal(f.orig.dport, p.hostPort);
        assert.equal(f.family, p.family);
        const dnated = f.reply.src === p.containerIp && f.reply.sport === p.containerPort;
        const proxied = p.proxy && f.reply.src === f.orig.dst && f.reply.sport === p.hostPort;
        assert.ok(dnated || proxied, `flow ${JSON.stringify(f.orig)} belongs to ${p.key}`);
      }
    }
    // Every DNATed flow in the table is claimed by exactly one published port.
    const claimed = new Set(m.published.flatMap((p) => p.flows));
    const dnatedFlows = m.flows.filter((f) => m.published.some((p) => p.proto === f.proto && p.containerIp === f.reply.src && p.containerPort === f.reply.sport && p.hostPort === f.orig.dport));
    for (const f of dnatedFlows) assert.ok(claimed.has(f));
  });
}
