import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseContainers, parseNetworks } from '../../src/core/parse/docker-inspect.js';

const fx = (name: string) => readFileSync(new URL(`../fixtures/parsers/${name}`, import.meta.url), 'utf8');

// Hand-made from the documented `docker inspect` shape (Docker 27/28 fields).
test('containers: names, images, state, ports, endpoints', () => {
  const { containers, issues } = parseContainers(fx('docker-containers.json'));
  assert.deepEqual(issues, []);
  assert.deepEqual(
    containers.map((c) => c.name),
    ['web', 'db', 'monitor', 'old-dns', 'dns'],
  );
  const web = containers[0]!;
  assert.equal(web.id, 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90');
  assert.equal(web.image, 'nginx:1.27');
  assert.equal(web.running, true);
  assert.equal(web.status, 'running');
  assert.equal(web.pid, 4242);
  assert.equal(web.networkMode, 'bridge');
  assert.equal(web.labels['com.docker.compose.service'], 'web');
  assert.deepEqual(web.ports, [
    { containerPort: 443, proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8443 },
    { containerPort: 80, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 },
    { containerPort: 80, proto: 'tcp', hostIp: '::', hostPort: 8080 },
  ]);
  assert.deepEqual(web.endpoints, [
    {
      network: 'bridge',
      networkId: '5c1b0a3f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b',
      ipv4: '172.17.0.2',
      ipv4Prefix: 16,
      ipv6: null,
      ipv6Prefix: null,
      mac: '02:42:ac:11:00:02',
      aliases: [],
    },
    {
      network: 'app_net',
      networkId: '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0',
      ipv4: '172.18.0.3',
      ipv4Prefix: 16,
      ipv6: '2001:db8:1::3',
      ipv6Prefix: 64,
      mac: '02:42:ac:12:00:03',
      aliases: ['web', 'a1b2c3d4e5f6'],
    },
  ]);

  const db = containers[1]!;
  assert.deepEqual(db.ports, []); // 5432/tcp exposed, not published
  assert.equal(db.networkMode, 'app_net');

  const mon = containers[2]!;
  assert.equal(mon.networkMode, 'host');
  assert.deepEqual(mon.labels, {});
  assert.equal(mon.endpoints[0]!.ipv4, null);
  assert.equal(mon.endpoints[0]!.mac, null);

  const old = containers[3]!;
  assert.equal(old.running, false);
  assert.equal(old.status, 'exited');
  assert.equal(old.pid, null);
  assert.deepEqual(old.ports, []);

  const dns = containers[4]!;
  assert.deepEqual(
    dns.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.proto}`),
    ['198.51.100.7:53->53/udp', '198.51.100.7:53->53/tcp'],
  );
});

test('networks: bridge names, icc/masquerade, subnets, containers', () => {
  const { networks, issues } = parseNetworks(fx('docker-networks.json'));
  assert.deepEqual(issues, []);
  const [bridge, app, internal, host, none] = networks;
  assert.equal(bridge!.name, 'bridge');
  assert.equal(bridge!.bridge, 'docker0');
  assert.equal(bridge!.icc, true);
  assert.equal(bridge!.masquerade, true);
  assert.deepEqual(bridge!.subnets, ['172.17.0.0/16']);
  assert.deepEqual(bridge!.gateways, ['172.17.0.1']);
  assert.deepEqual(bridge!.containers, {
    a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90: { name: 'web', ipv4: '172.17.0.2', ipv6: null },
  });

  assert.equal(app!.bridge, 'br-9f8e7d6c5b4a');
  assert.equal(app!.icc, false);
  assert.equal(app!.masquerade, null);
  assert.equal(app!.enableIPv6, true);
  assert.deepEqual(app!.subnets, ['172.18.0.0/16', '2001:db8:1::/64']);
  assert.deepEqual(app!.gateways, ['172.18.0.1', '2001:db8:1::1']);
  assert.equal(app!.labels['com.docker.compose.project'], 'demo');
  assert.equal(Object.keys(app!.containers).length, 2);
  assert.equal(app!.containers['b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1']!.ipv6, '2001:db8:1::2');

  assert.equal(internal!.bridge, 'pc-internal');
  assert.equal(internal!.internal, true);
  assert.equal(internal!.masquerade, false);
  assert.equal(internal!.icc, null);
  assert.deepEqual(internal!.subnets, []);
  assert.deepEqual(internal!.labels, {});

  assert.equal(host!.driver, 'host');
  assert.equal(host!.bridge, null);
  assert.equal(host!.containers['c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2']!.ipv4, null);
  assert.equal(none!.driver, 'null');
  assert.equal(none!.bridge, null);
  assert.equal(none!.scope, 'local');
});

test('containers: wrong types become issues naming object and field; the rest still parses', () => {
  const json = JSON.stringify([
    {
      Id: 'aaa',
      Name: '/broken',
      State: { Running: 'yes', Pid: 12, Status: 'running' },
      Config: { Image: 'x', Labels: { ok: 'v', bad: 7 } },
      HostConfig: null,
      NetworkSettings: {
        Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: 'eighty' }, { HostIp: '', HostPort: '81' }], 'junk': [], '90/tcp': 'str' },
        Networks: { n1: { IPAddress: 42, NetworkID: 'nid', Aliases: 'web' }, n2: null, n3: { IPAddress: '300.1.1.1' } },
      },
    },
    { Name: '/noid' },
    null,
    'string',
    { Id: 17 },
    { Id: 'bbb', Name: '/ok' },
  ]);
  const { containers, issues } = parseContainers(json);
  assert.deepEqual(
    containers.map((c) => c.id),
    ['aaa', 'bbb'],
  );
  const c = containers[0]!;
  assert.equal(c.running, false);
  assert.equal(c.pid, 12);
  assert.deepEqual(c.labels, { ok: 'v' });
  assert.equal(c.networkMode, '');
  assert.deepEqual(c.ports, [{ containerPort: 80, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 81 }]);
  assert.deepEqual(
    c.endpoints.map((e) => [e.network, e.ipv4, e.networkId, e.aliases]),
    [
      ['n1', null, 'nid', []],
      ['n3', null, '', []],
    ],
  );
  const ok = containers[1]!;
  assert.equal(ok.image, '');
  assert.deepEqual(ok.endpoints, []);
  assert.equal(ok.status, 'unknown');

  const msgs = issues.map((i) => `${i.line}: ${i.message}`);
  const expectOne = (re: RegExp) => assert.ok(msgs.some((m) => re.test(m)), `${re} in\n${msgs.join('\n')}`);
  expectOne(/^1: container "\/broken": field State\.Running/);
  expectOne(/^1: container "\/broken": field Config\.Labels\.bad/);
  expectOne(/^1: container "\/broken": field NetworkSettings\.Ports\["90\/tcp"\]/);
  expectOne(/^1: .*bad port key "junk"/);
  expectOne(/^1: .*bad HostPort "eighty"/);
  expectOne(/^1: .*NetworkSettings\.Networks\.n1\.IPAddress/);
  expectOne(/^1: .*NetworkSettings\.Networks\.n1\.Aliases/);
  expectOne(/^1: .*n3\.IPAddress: "300\.1\.1\.1" is not an IPv4 address/);
  expectOne(/^2: container "\/noid": no Id; skipped/);
  expectOne(/^3: container #3: not a container object/);
  expectOne(/^4: container #4: not a container object/);
  expectOne(/^5: container #5: field Id: .*; skipped$/);
  assert.equal(msgs.filter((m) => m.startsWith('5:')).length, 1);
  for (const i of issues) {
    assert.equal(i.source, 'containers.json');
    assert.ok(i.text.length <= 201);
  }
});

test('networks: wrong types, odd options, missing Id', () => {
  const json = JSON.stringify([
    { Name: 'n1', Id: 'zz-not-hex-id-at-all', Driver: 'bridge', Options: { 'com.docker.network.bridge.enable_icc': 'maybe' }, IPAM: { Config: [{ Subnet: 5 }, { Subnet: '10.9.0.0/16', Gateway: '10.9.0.1/16' }] } },
    { Name: 'n2', Driver: 'bridge' },
    { Name: 'n3', Id: 'ABCDEF0123456789', Driver: 'bridge', EnableIPv6: 'true', Internal: 1, Containers: { c1: 'x', c2: { Name: 'two', IPv4Address: '10.0.0.2/24', IPv6Address: '' } }, Labels: [] },
  ]);
  const { networks, issues } = parseNetworks(json, 'docker network inspect');
  assert.equal(networks.length, 2);
  const [n1, n3] = networks;
  assert.equal(n1!.bridge, null);
  assert.equal(n1!.icc, null);
  assert.deepEqual(n1!.subnets, ['10.9.0.0/16']);
  assert.deepEqual(n1!.gateways, ['10.9.0.1']);
  assert.equal(n3!.bridge, 'br-abcdef012345');
  assert.equal(n3!.enableIPv6, false);
  assert.equal(n3!.internal, false);
  assert.deepEqual(n3!.labels, {});
  assert.deepEqual(n3!.containers, { c2: { name: 'two', ipv4: '10.0.0.2', ipv6: null } });
  const msgs = issues.map((i) => `${i.line}: ${i.message}`);
  const expectOne = (re: RegExp) => assert.ok(msgs.some((m) => re.test(m)), `${re} in\n${msgs.join('\n')}`);
  expectOne(/^1: network "n1": Id "zz-not-hex-id-at-all" is not hex/);
  expectOne(/^1: network "n1": option com\.docker\.network\.bridge\.enable_icc="maybe"/);
  expectOne(/^1: network "n1": field IPAM\.Config\[0\]\.Subnet/);
  expectOne(/^2: network "n2": no Id; skipped/);
  expectOne(/^3: network "n3": field EnableIPv6/);
  expectOne(/^3: network "n3": field Internal/);
  expectOne(/^3: network "n3": field Containers\.c1/);
  expectOne(/^3: network "n3": field Labels/);
  assert.ok(issues.every((i) => i.source === 'docker network inspect'));
});

test('bad JSON input: truncated, object instead of array, null, junk, 1 MB', () => {
  const real = fx('docker-containers.json');
  const cases: [string, RegExp][] = [
    [real.slice(0, 3000), /invalid JSON/],
    ['{"Id": "abc"}', /expected a JSON array of containers, got object/],
    ['null', /got null/],
    ['  \n', /empty input/],
    ['\u0000\u00ff\u0000[[[', /invalid JSON/],
    ['"' + 'x'.repeat(1_000_000) + '"', /got string/],
  ];
  for (const [input, re] of cases) {
    const r = parseContainers(input);
    assert.deepEqual(r.containers, []);
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0]!.line, 0);
    assert.match(r.issues[0]!.message, re);
    assert.ok(r.issues[0]!.text.length <= 201);
    assert.ok(!r.issues[0]!.text.includes('\u0000'));
    const n = parseNetworks(input);
    assert.deepEqual(n.networks, []);
    assert.equal(n.issues.length, 1);
  }
  assert.deepEqual(parseContainers('[]'), { containers: [], issues: [] });
  assert.deepEqual(parseNetworks('[]'), { networks: [], issues: [] });
});

// Real captures from the Docker lab (scripts/lab capture), when present.
for (const lab of ['main', 'alt']) {
  const at = (name: string) => new URL(`../fixtures/lab/${lab}/${name}`, import.meta.url);
  test(`lab ${lab} capture: containers.json and networks.json parse without issues`, { skip: !existsSync(at('containers.json')) }, () => {
    const { containers, issues } = parseContainers(readFileSync(at('containers.json'), 'utf8'));
    assert.deepEqual(issues, []);
    assert.ok(containers.length > 0);
    for (const c of containers) {
      assert.match(c.id, /^[0-9a-f]{64}$/);
      assert.ok(c.name !== '' && !c.name.startsWith('/'));
      assert.ok(c.image !== '');
      if (c.running) assert.ok(c.pid !== null && c.pid > 0);
      for (const p of c.ports) assert.ok(p.hostPort > 0 && p.containerPort > 0);
    }
    const { networks, issues: nIssues } = parseNetworks(readFileSync(at('networks.json'), 'utf8'));
    assert.deepEqual(nIssues, []);
    assert.equal(networks.find((n) => n.name === 'bridge')?.bridge, 'docker0');
    for (const n of networks) {
      if (n.driver === 'bridge') assert.ok(n.bridge === 'docker0' || n.bridge === `br-${n.id.slice(0, 12)}`, n.name);
      else assert.equal(n.bridge, null);
    }
    // Every endpoint of a running container is listed by its network, with the same address.
    for (const c of containers.filter((x) => x.running)) {
      for (const e of c.endpoints) {
        const net = networks.find((n) => n.id === e.networkId);
        assert.ok(net, `${c.name}: network ${e.network}`);
        if (net.driver === 'bridge') assert.equal(net.containers[c.id]?.ipv4, e.ipv4, `${c.name} on ${e.network}`);
      }
    }
  });
}
