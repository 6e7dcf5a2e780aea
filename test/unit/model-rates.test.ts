// Rates come from two snapshots of the same host: per rule (by stable key, so
// a rule moving position keeps its rate), per published port (its DNAT rule)
// and per interface. Counter resets give no rate instead of a negative one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { buildModel } from '../../src/core/model/build.js';
import { computeRates } from '../../src/core/model/rates.js';
import type { RawCapture } from '../../src/core/types.js';

function dump(dnat: [number, number], user: [number, number], extraFirst = false): string {
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '[0:0] -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    `[${dnat[0]}:${dnat[1]}] -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80`,
    'COMMIT',
    '*filter',
    ':FORWARD DROP [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-USER - [0:0]',
    '[0:0] -A FORWARD -j DOCKER-USER',
    '[0:0] -A FORWARD -o docker0 -j DOCKER',
    '[0:0] -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
    ...(extraFirst ? ['[0:0] -A DOCKER-USER -s 192.0.2.1/32 -j DROP'] : []),
    `[${user[0]}:${user[1]}] -A DOCKER-USER -s 203.0.113.0/24 -j RETURN`,
    '[0:0] -A DOCKER-USER -j RETURN',
    'COMMIT',
    '',
  ].join('\n');
}

const link = (rx: number, tx: number, ifindex = 4) =>
  JSON.stringify([{ ifindex, ifname: 'docker0', flags: [], mtu: 1500, operstate: 'UP', link_type: 'ether', address: '02:42:00:00:00:01', linkinfo: { info_kind: 'bridge' }, stats64: { rx: { bytes: rx, packets: rx / 100, errors: 0, dropped: 0, over_errors: 0, multicast: 0 }, tx: { bytes: tx, packets: tx / 100, errors: 0, dropped: 0, carrier_errors: 0, collisions: 0 } } }]);

function model(time: number, text: string, links: string) {
  const raw: RawCapture = { files: { 'iptables-save.txt': text, 'ip-link.json': links }, meta: { time, hostname: null, netns: null, dockerVersion: null, unavailable: {}, notes: [] } };
  return buildModel(buildSnapshot(raw));
}

test('rates per rule, per published port and per interface over the interval', () => {
  const a = model(10_000, dump([100, 6000], [50, 3000]), link(10_000, 20_000));
  const b = model(12_000, dump([140, 8400], [70, 4200], true), link(30_000, 60_000));
  const r = computeRates(a, b);
  assert.equal(r.interval, 2);
  const port = b.published.find((p) => p.hostPort === 8080)!;
  assert.deepEqual(r.ports.get(port.key), { pps: 20, bps: 1200 });
  // The RETURN rule moved down one position (a rule was inserted above it): same key, same rate.
  const ret = b.rules.find((x) => x.rule.text === '-s 203.0.113.0/24 -j RETURN')!;
  assert.equal(ret.rule.position, 2);
  assert.deepEqual(r.rules.get(ret.key), { pps: 10, bps: 600 });
  // A rule that did not exist before has no rate yet.
  const inserted = b.rules.find((x) => x.rule.text === '-s 192.0.2.1/32 -j DROP')!;
  assert.equal(r.rules.has(inserted.key), false);
  assert.deepEqual(r.links.get('docker0'), { rx: { pps: 100, bps: 10_000 }, tx: { pps: 200, bps: 20_000 } });
});

test('a counter that went down (rule replaced, interface recreated) gives no rate', () => {
  const a = model(0, dump([100, 6000], [50, 3000]), link(10_000, 20_000));
  const b = model(1000, dump([10, 600], [50, 3000]), link(30_000, 60_000, 9));
  const r = computeRates(a, b);
  const port = b.published.find((p) => p.hostPort === 8080)!;
  assert.equal(r.ports.has(port.key), false);
  assert.equal(r.links.has('docker0'), false);
});
