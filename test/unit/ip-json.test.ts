import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseIpAddr, parseIpLink } from '../../src/core/parse/ip-json.js';
import { lenientParse } from '../../src/core/parse/json-util.js';
import { z } from 'zod';
import type { Link } from '../../src/core/types.js';

const fx = (name: string) => readFileSync(new URL(`../fixtures/parsers/${name}`, import.meta.url), 'utf8');
const byName = (links: Link[], name: string) => {
  const l = links.find((x) => x.name === name);
  assert.ok(l, name);
  return l;
};

// Real captures (iproute2 6.1) from a scratch netns: lo, bridge pcpbr0 with
// ports pcpv0 (veth, peer in another netns) and pcpva (veth, peer pcpvb in the
// same netns), an empty bridge pcpbr1 (mtu 1400).
test('ip -j -s -d link (real): kind, master, peers, stats64', () => {
  const { links, issues } = parseIpLink(fx('ip-link-s-d.json'));
  assert.deepEqual(issues, []);
  assert.deepEqual(
    links.map((l) => l.name),
    ['lo', 'pcpbr0', 'pcpvb', 'pcpva', 'pcpbr1', 'pcpv0'],
  );
  const lo = byName(links, 'lo');
  assert.equal(lo.kind, null);
  assert.equal(lo.operstate, 'UNKNOWN');
  assert.equal(lo.mtu, 65536);

  const br = byName(links, 'pcpbr0');
  assert.equal(br.kind, 'bridge');
  assert.equal(br.master, null);
  assert.equal(br.operstate, 'UP');
  assert.equal(br.mac, '8e:b7:44:c0:39:df');
  assert.deepEqual(br.stats, { rxBytes: 7377, rxPackets: 54, txBytes: 4937, txPackets: 62, rxDropped: 0, txDropped: 0 });

  const v0 = byName(links, 'pcpv0');
  assert.equal(v0.kind, 'veth');
  assert.equal(v0.master, 'pcpbr0');
  assert.equal(v0.peerIfindex, 5);
  assert.equal(v0.linkNetnsId, 1);

  // Same-netns veth pair: ip names the peer instead of giving link_index.
  const va = byName(links, 'pcpva');
  const vb = byName(links, 'pcpvb');
  assert.equal(va.peerIfindex, vb.ifindex);
  assert.equal(vb.peerIfindex, va.ifindex);
  assert.equal(va.linkNetnsId, null);
  assert.equal(va.operstate, 'LOWERLAYERDOWN');
  assert.equal(byName(links, 'pcpbr1').mtu, 1400);
});

test('ip -j -s link, ip -j -s -s link, ip -j link (real)', () => {
  const s = parseIpLink(fx('ip-link-s.json'));
  assert.deepEqual(s.issues, []);
  assert.equal(s.links.length, 6);
  assert.ok(s.links.every((l) => l.kind === null && l.stats !== null));
  // Without -d the same-netns veth pair is still recognised (they name each other).
  assert.equal(byName(s.links, 'pcpva').peerIfindex, byName(s.links, 'pcpvb').ifindex);

  const ss = parseIpLink(fx('ip-link-s-s.json'));
  assert.deepEqual(ss.issues, []);
  assert.equal(ss.links.length, 6);

  const plain = parseIpLink(fx('ip-link.json'));
  assert.deepEqual(plain.issues, []);
  assert.ok(plain.links.every((l) => l.stats === null));
  assert.equal(byName(plain.links, 'pcpv0').peerIfindex, 5);

  const peer = parseIpLink(fx('ip-link-s-d-peer-netns.json'));
  assert.deepEqual(peer.issues, []);
  const v1 = byName(peer.links, 'pcpv1');
  assert.equal(v1.peerIfindex, 6);
  assert.equal(v1.linkNetnsId, 0);
  assert.equal(v1.master, null);
});

test('32-bit "stats" fallback, vlan lower device is not a peer, non-MAC address', () => {
  const json = JSON.stringify([
    { ifindex: 2, ifname: 'eth0', operstate: 'UP', address: '52:54:00:AA:BB:CC', mtu: 1500, stats: { rx: { bytes: 10, packets: 1, dropped: 2 }, tx: { bytes: 20, packets: 2, dropped: 3 } } },
    { ifindex: 3, ifname: 'eth0.10', link: 'eth0', operstate: 'UP', linkinfo: { info_kind: 'vlan' } },
    { ifindex: 4, ifname: 'tun0', operstate: 'UNKNOWN', address: '198.51.100.9', linkinfo: { info_kind: 'ipip' } },
    {},
  ]);
  const { links, issues } = parseIpLink(json);
  assert.deepEqual(issues, []);
  assert.equal(links.length, 3);
  assert.deepEqual(links[0]!.stats, { rxBytes: 10, rxPackets: 1, txBytes: 20, txPackets: 2, rxDropped: 2, txDropped: 3 });
  assert.equal(links[0]!.mac, '52:54:00:aa:bb:cc');
  assert.equal(links[1]!.peerIfindex, null);
  assert.equal(links[1]!.stats, null);
  assert.equal(links[2]!.mac, null);
});

test('ip -j addr (real): inet and inet6 with scope', () => {
  const { addresses, issues } = parseIpAddr(fx('ip-addr.json'));
  assert.deepEqual(issues, []);
  assert.deepEqual(
    addresses.map((a) => `${a.ifname}#${a.ifindex} v${a.family} ${a.local}/${a.prefixlen} ${a.scope}`),
    [
      'lo#1 v4 127.0.0.1/8 host',
      'lo#1 v4 198.51.100.200/32 global',
      'lo#1 v6 ::1/128 host',
      'pcpbr0#2 v4 198.51.100.1/24 global',
      'pcpbr0#2 v6 2001:db8::1/64 global',
      'pcpbr0#2 v6 fe80::e064:a0ff:fe9e:7e68/64 link',
      'pcpva#4 v4 198.51.100.129/25 global',
      'pcpv0#6 v6 fe80::e064:a0ff:fe9e:7e68/64 link',
    ],
  );
  const four = parseIpAddr(fx('ip-addr-4.json'));
  assert.deepEqual(four.issues, []);
  assert.ok(four.addresses.every((a) => a.family === 4));
  const peer = parseIpAddr(fx('ip-addr-peer-netns.json'));
  assert.deepEqual(peer.issues, []);
  assert.ok(peer.addresses.some((a) => a.ifname === 'pcpv1' && a.local === '198.51.100.2'));
});

test('ip -j addr: {} placeholders (older `ip -j -4 addr`), bad entries become issues', () => {
  const json = JSON.stringify([
    {},
    { ifindex: 2, ifname: 'eth0', addr_info: [{}, { family: 'inet', local: '198.51.100.5', prefixlen: 24, scope: 'global' }] },
    { ifindex: 3, ifname: 'eth1', addr_info: [{ family: 'inet', local: '198.51.100.999', prefixlen: 24 }, { family: 'inet6', local: '2001:db8::5', prefixlen: 'x' }] },
    { ifindex: 'four', ifname: 'eth2', addr_info: [] },
    { ifindex: 5, ifname: 'eth3', addr_info: [{ family: 'inet', prefixlen: 24 }, { family: 'inet', local: '198.51.100.6', prefixlen: 33 }, { family: 'mpls' }] },
  ]);
  const { addresses, issues } = parseIpAddr(json, 'ip -j addr');
  assert.deepEqual(addresses.map((a) => a.local), ['198.51.100.5']);
  assert.ok(issues.every((i) => i.source === 'ip -j addr'));
  assert.deepEqual(
    issues.map((i) => i.line),
    [3, 3, 3, 4, 4, 5, 5],
  );
  assert.match(issues[0]!.message, /eth1.*198\.51\.100\.999/);
  assert.match(issues[1]!.message, /eth1.*addr_info\[1\]\.prefixlen/);
  assert.match(issues[3]!.message, /eth2.*field ifindex/);
});

test('bad JSON input: truncated, wrong shape, junk, huge; never throws', () => {
  const real = fx('ip-link-s-d.json');
  for (const [input, re] of [
    [real.slice(0, Math.floor(real.length / 2)), /invalid JSON/],
    ['{"ifindex": 1}', /expected a JSON array of links, got object/],
    ['null', /got null/],
    ['', /empty input/],
    ['\u0000\u0001\u0002junk\u0000', /invalid JSON/],
    ['[' + '1,'.repeat(20_000) + '1]', null],
  ] as const) {
    const r = parseIpLink(input);
    assert.equal(r.links.length, 0);
    if (re) {
      assert.equal(r.issues.length, 1);
      assert.equal(r.issues[0]!.line, 0);
      assert.match(r.issues[0]!.message, re);
      assert.ok(r.issues[0]!.text.length <= 201);
      assert.ok(!r.issues[0]!.text.includes('\u0000'));
    } else {
      // an array of 20,001 numbers: one issue per element
      assert.equal(r.issues.length, 20_001);
    }
    const a = parseIpAddr(input);
    assert.equal(a.addresses.length, 0);
  }
  // A 1 MB line: one valid link with a huge name and junk field.
  const big = JSON.stringify([{ ifindex: 9, ifname: 'n'.repeat(1_000_000), operstate: 'UP', junk: '\u0000'.repeat(1000) }]);
  const bl = parseIpLink(big);
  assert.deepEqual(bl.issues, []);
  assert.equal(bl.links[0]!.name.length, 1_000_000);

  // Wrong types inside a link: the field is dropped, the link stays.
  const { links, issues } = parseIpLink(
    JSON.stringify([
      { ifindex: 7, ifname: 'x', mtu: '1500', master: 3, stats64: { rx: { bytes: 'a' } }, operstate: 'UP' },
      { ifname: 'noindex' },
      null,
      [1, 2],
    ]),
  );
  assert.equal(links.length, 1);
  assert.equal(links[0]!.mtu, null);
  assert.equal(links[0]!.master, null);
  assert.equal(links[0]!.stats, null);
  assert.equal(links[0]!.operstate, 'UP');
  assert.ok(issues.some((i) => i.line === 1 && /link "x": field mtu/.test(i.message)));
  assert.ok(issues.some((i) => i.line === 2 && /no ifindex/.test(i.message)));
  assert.ok(issues.some((i) => i.line === 3));
  assert.ok(issues.some((i) => i.line === 4));
});

test('lenientParse drops bad fields and array elements, keeps the rest', () => {
  const schema = z.object({
    a: z.string().nullish(),
    list: z.array(z.object({ n: z.number() })).nullish(),
    rec: z.record(z.string(), z.string()).nullish(),
  });
  const r = lenientParse(schema, { a: 1, list: [{ n: 1 }, { n: 'x' }, { n: 3 }, 'junk'], rec: { k: 'v', bad: 2 } });
  assert.deepEqual(r.data, { list: [{ n: 1 }, { n: 3 }], rec: { k: 'v' } });
  assert.deepEqual(
    r.problems.map((p) => p.path),
    ['a', 'list[1].n', 'list[3]', 'rec.bad'],
  );
  assert.equal(lenientParse(schema, 'nope').data, null);
});

// Real captures from the Docker lab (scripts/lab capture), when present.
for (const lab of ['main', 'alt']) {
  const at = (name: string) => new URL(`../fixtures/lab/${lab}/${name}`, import.meta.url);
  test(`lab ${lab} capture: ip-link.json and ip-addr.json parse without issues`, { skip: !existsSync(at('ip-link.json')) }, () => {
    const { links, issues } = parseIpLink(readFileSync(at('ip-link.json'), 'utf8'));
    assert.deepEqual(issues, []);
    const names = new Set(links.map((l) => l.name));
    assert.ok(names.has('docker0'));
    const veths = links.filter((l) => l.name.startsWith('veth'));
    assert.ok(veths.length > 0);
    for (const v of veths) {
      assert.ok(v.master !== null && names.has(v.master), `${v.name} master`);
      assert.ok(v.peerIfindex !== null && v.linkNetnsId !== null, `${v.name} peer`);
      assert.ok(v.stats !== null);
    }
    const { addresses, issues: aIssues } = parseIpAddr(readFileSync(at('ip-addr.json'), 'utf8'));
    assert.deepEqual(aIssues, []);
    assert.ok(addresses.some((a) => a.ifname === 'docker0' && a.family === 4 && a.local === '172.17.0.1' && a.prefixlen === 16));
    for (const a of addresses) assert.ok(links.some((l) => l.ifindex === a.ifindex && l.name === a.ifname));
  });
}
