// explain on the real lab captures (test/fixtures/lab/{main,alt}): the
// verdicts the integration test then checks against the kernel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build, ex, labCapture } from '../fixtures/explain/harness.js';
import { explain, explainText, resolveExplain } from '../../src/core/explain/index.js';

describe('explain on the main lab capture', () => {
  const b = build(labCapture('main'));
  const host4 = '198.51.100.1';

  it('every published TCP port is delivered to its container from a client', () => {
    for (const p of b.model.published.filter((x) => x.family === 4 && x.proto === 'tcp')) {
      const r = ex(b, '198.51.100.10', `${host4}:${p.hostPort}`);
      if (p.hostIp === '127.0.0.1') {
        assert.equal(r.verdict.kind, 'no-listener', `${p.key}: bound to 127.0.0.1, not DNATed from outside, no listener on ${host4}`);
        continue;
      }
      assert.equal(r.verdict.kind, 'delivered', `${p.key}: ${r.verdict.summary}`);
      assert.equal(r.verdict.route, 'forward');
      assert.equal(r.verdict.container, p.container);
      assert.equal(r.verdict.port, p.containerPort);
    }
  });
  it('from the host: 127.0.0.1 goes through docker-proxy; 9090 (bound to the host address) has no listener there', () => {
    const r = ex(b, '127.0.0.1', '127.0.0.1:8081');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'docker-proxy');
    assert.equal(r.verdict.container, 'app1');
    assert.equal(ex(b, '127.0.0.1', '127.0.0.1:9091').verdict.container, 'local1');
    assert.equal(ex(b, '127.0.0.1', '127.0.0.1:9090').verdict.kind, 'no-listener');
  });
  it('IPv6 clients reach the IPv4-only containers through docker-proxy on [::]', () => {
    const r = ex(b, '2001:db8:ff::10', '[2001:db8:ff::1]:8083');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'docker-proxy');
    assert.equal(r.verdict.container, 'sec1');
    assert.equal(ex(b, '2001:db8:ff::10', '[2001:db8:ff::1]:9090').verdict.kind, 'no-listener');
  });
  it('udp 5353 from a client (forwarded), over IPv6 (proxy) and from the host (proxy)', () => {
    assert.equal(ex(b, '198.51.100.11', `${host4}:5353/udp`).verdict.route, 'forward');
    assert.equal(ex(b, '2001:db8:ff::11', '[2001:db8:ff::1]:5353/udp').verdict.route, 'docker-proxy');
    assert.equal(ex(b, '127.0.0.1', '127.0.0.1:5353/udp').verdict.route, 'docker-proxy');
  });
  it('--dst CONTAINER:PORT', () => {
    const q = resolveExplain(b.model, b.snap.addresses, { src: '203.0.113.9', dst: 'web:80' });
    assert.ok(!('error' in q));
    assert.deepEqual(q.map((x) => [x.query.dst, x.query.dport]), [[host4, 8080]]);
    // an unpublished container port: the packet is aimed at the container itself
    const d = ex(b, '203.0.113.9', 'sec2:80', 'ext0');
    assert.equal(d.query.dst, '172.19.0.3');
    assert.equal(d.verdict.kind, 'delivered', 'FORWARD policy ACCEPT in this lab lets a routed packet through');
    assert.equal(d.verdict.deciding?.kind, 'policy');
  });
  it('inter-container traffic on an ICC-off bridge is dropped by Docker', () => {
    const r = ex(b, '172.19.0.3', '172.19.0.2:80');
    assert.equal(r.query.iface, 'br-fa79e233e466');
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.text, '-i br-fa79e233e466 -o br-fa79e233e466 -j DROP');
  });
  it('isolation: from one network to another is dropped in DOCKER-ISOLATION-STAGE-2', () => {
    const r = ex(b, '172.17.0.2', '172.18.0.2:80');
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.chain, 'DOCKER-ISOLATION-STAGE-2');
  });
  it('a rule naming a container that is gone: packets to that address reach nobody', () => {
    const r = ex(b, '203.0.113.9', '172.17.0.9:80', 'ext0');
    assert.equal(r.verdict.kind, 'unreachable');
  });
  it('text output names each rule, its result and the verdict', () => {
    const r = ex(b, '203.0.113.9', `${host4}:8080`, 'ext0');
    const t = explainText(r, 'x');
    assert.match(t, /DOCKER #4 {2}! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172\.17\.0\.2:80\n\s+MATCH -> DNAT to 172\.17\.0\.2:80/);
    assert.match(t, /VERDICT: DELIVERED: delivered to container web \(172\.17\.0\.2:80\)/);
    assert.match(t, /deciding rule: filter DOCKER #1: -d 172\.17\.0\.2\/32/);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(r)));
  });
});

describe('explain on the alt lab capture (userland proxy off, ICC off, IPv6 DNAT)', () => {
  const b = build(labCapture('alt'));
  it('IPv6 is DNATed by ip6tables to the container IPv6 address', () => {
    const r = ex(b, '2001:db8:ff::10', '[2001:db8:ff::1]:8081');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'forward');
    assert.equal(r.verdict.address, '2001:db8:2::2');
  });
  it('without docker-proxy, the host reaches 127.0.0.1:8080 through the nat OUTPUT DNAT', () => {
    const r = ex(b, '127.0.0.1', '127.0.0.1:8080');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'local');
  });
  it('ICC off on docker0: web6 and peer cannot talk', () => {
    const peer = b.model.containers.find((c) => c.name === 'peer')!.networks[0]!.ipv4!;
    const web = b.model.containers.find((c) => c.name === 'web6')!.networks[0]!.ipv4!;
    const r = explain(b.model, b.host, { src: peer, dst: web, dport: 80, proto: 'tcp' });
    assert.equal(r.verdict.kind, 'dropped');
  });
});
