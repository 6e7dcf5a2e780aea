// findFindings: each kind on a host that has it, and not on one that does not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { build, capture, fixture, ipAddrJson, labCapture, withRules, type Built } from '../fixtures/explain/harness.js';
import { findFindings, findingsText, type Finding, type FindingKind } from '../../src/core/findings/index.js';

const BASE = fixture('explain/base.save');
const PROXY = fixture('explain/base-proxy.txt');
const ADDRS = ipAddrJson({ lo: ['127.0.0.1/8', '::1/128'], eth0: ['198.51.100.1/24', '2001:db8:ff::1/64'], docker0: ['172.17.0.1/16'] });

const findings = (b: Built, sysctls: { brNetfilter: boolean | null } | null = null) =>
  findFindings(b.model, { addresses: b.snap.addresses, rulesets: b.snap.rulesets, sysctls });
const ofKind = (f: Finding[], k: FindingKind) => f.filter((x) => x.kind === k);

function lab(filter: { prepend?: string[]; append?: string[] } = {}): Built {
  const save = fixture('lab/main/iptables-save.txt');
  return build(labCapture('main', { 'iptables-save.txt': withRules(save, 'filter', filter) }));
}

function base(opts: { filter?: { prepend?: string[]; append?: string[] }; nat?: { prepend?: string[]; append?: string[] }; legacy?: string } = {}): Built {
  let save = BASE;
  if (opts.filter) save = withRules(save, 'filter', opts.filter);
  if (opts.nat) save = withRules(save, 'nat', opts.nat);
  return build(capture({ 'iptables-save.txt': save, 'docker-proxy.txt': PROXY, 'ip-addr.json': ADDRS, ...(opts.legacy ? { 'iptables-legacy-save.txt': opts.legacy } : {}) }));
}

describe('findings on the main lab as captured', () => {
  const f = findings(lab());
  it('FORWARD policy ACCEPT, ports open to everyone, ICC unverifiable; nothing else', () => {
    assert.deepEqual([...new Set(f.map((x) => x.kind))].sort(), ['forward-policy-accept', 'icc-without-br-netfilter', 'published-open']);
    assert.equal(ofKind(f, 'forward-policy-accept')[0]!.severity, 'warn');
    assert.deepEqual(ofKind(f, 'published-open').map((x) => (x.subject.kind === 'port' ? x.subject.key : '')).sort(), [
      '4/tcp/0.0.0.0/7000', '4/tcp/0.0.0.0/7001', '4/tcp/0.0.0.0/7002', '4/tcp/0.0.0.0/8080', '4/tcp/0.0.0.0/8081', '4/tcp/0.0.0.0/8082', '4/tcp/0.0.0.0/8083', '4/tcp/0.0.0.0/8084', '4/udp/0.0.0.0/5353',
    ]);
    assert.ok(ofKind(f, 'published-open').every((x) => x.severity === 'info' && x.fix?.action === 'whitelist'));
    assert.match(ofKind(f, 'published-open')[0]!.explanation, /over IPv6 too, through docker-proxy/);
  });
  it('sorted most severe first, every finding complete', () => {
    const rank = { critical: 0, warn: 1, info: 2 };
    for (let i = 1; i < f.length; i++) assert.ok(rank[f[i - 1]!.severity] <= rank[f[i]!.severity]);
    for (const x of f) {
      assert.ok(x.id.startsWith(`${x.kind}:`));
      assert.ok(x.title.length > 0 && x.explanation.length > 0);
    }
    assert.equal(new Set(f.map((x) => x.id)).size, f.length, 'ids are unique');
  });
  it('br_netfilter known: on -> no ICC finding; off -> critical', () => {
    const b = lab();
    assert.equal(ofKind(findings(b, { brNetfilter: true }), 'icc-without-br-netfilter').length, 0);
    const off = ofKind(findings(b, { brNetfilter: false }), 'icc-without-br-netfilter');
    assert.deepEqual(off.map((x) => [x.severity, x.subject]), [['critical', { kind: 'bridge', name: 'br-fa79e233e466' }]]);
    assert.deepEqual(off[0]!.rules.map((r) => r.text), ['-i br-fa79e233e466 -o br-fa79e233e466 -j DROP']);
  });
});

describe('findings: the operator scenario of the lab test (DOCKER-USER -s 198.51.100.11 -j DROP, INPUT on 8081)', () => {
  const b = lab({ prepend: ['-A DOCKER-USER -s 198.51.100.11/32 -j DROP', '-A INPUT -p tcp -m tcp --dport 8081 -j DROP'] });
  const f = findings(b);
  it('the INPUT rule on 8081', () => {
    const x = ofKind(f, 'input-rule-on-published-port');
    assert.deepEqual(x.map((y) => [y.severity, y.subject]), [['critical', { kind: 'port', key: '4/tcp/0.0.0.0/8081' }]]);
  });
  it('the source drop is scoped (an outside address), so not "unscoped"; ports are no longer open to everyone', () => {
    assert.equal(ofKind(f, 'docker-user-drop-unscoped').length, 0);
    assert.equal(ofKind(f, 'published-open').length, 0);
  });
  it('restricted for IPv4, open to IPv6 clients through docker-proxy; and from the host itself', () => {
    const v6 = ofKind(f, 'proxy-bypass').filter((x) => x.severity === 'critical');
    assert.ok(v6.some((x) => x.subject.kind === 'port' && x.subject.key === '4/tcp/0.0.0.0/8080' && /IPv6 clients/.test(x.explanation)));
    assert.deepEqual(v6.find((x) => x.subject.kind === 'port' && x.subject.key === '4/tcp/0.0.0.0/8080')!.fix, { action: 'block-proxy', port: '6/tcp/::/8080', loopback: false });
    const lo = ofKind(f, 'proxy-bypass').filter((x) => x.severity === 'info');
    assert.ok(lo.some((x) => x.subject.kind === 'port' && x.subject.key === '4/tcp/0.0.0.0/8080' && x.fix?.action === 'block-proxy' && x.fix.loopback));
    // 8081 from the host is dropped by the INPUT rule: no loopback finding there
    assert.ok(!lo.some((x) => x.subject.kind === 'port' && x.subject.key === '4/tcp/0.0.0.0/8081'));
  });
  it('the two proxy-bypass findings on one port have different ids (ids are React keys)', () => {
    const ids = f.map((x) => x.id);
    assert.equal(new Set(ids).size, ids.length, ids.join(' '));
  });
});

describe('findings: DOCKER-USER rules', () => {
  it('ACCEPT: warn when scoped, critical when it accepts everything', () => {
    const scoped = ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -s 203.0.113.0/24 -j ACCEPT'] } })), 'docker-user-accept');
    assert.deepEqual(scoped.map((x) => x.severity), ['warn']);
    const bare = ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -j ACCEPT'] } })), 'docker-user-accept');
    assert.deepEqual(bare.map((x) => x.severity), ['critical']);
  });
  it('an unscoped DROP is reported; one scoped by interface or to outside sources is not', () => {
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -p tcp -m tcp --dport 80 -j DROP'] } })), 'docker-user-drop-unscoped').length, 1);
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -i eth0 -p tcp -m tcp --dport 80 -j DROP'] } })), 'docker-user-drop-unscoped').length, 0);
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER ! -i docker0 -p tcp -m tcp --dport 80 -j DROP'] } })), 'docker-user-drop-unscoped').length, 0);
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -s 198.51.100.11/32 -j DROP'] } })), 'docker-user-drop-unscoped').length, 0);
    const egress = ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -o eth0 -j DROP'] } })), 'docker-user-drop-unscoped');
    assert.equal(egress.length, 1);
    assert.match(egress[0]!.explanation, /outgoing connections/);
    assert.doesNotMatch(egress[0]!.explanation, /same bridge/);
  });
  it('a host-port rule; a rule on the container port or on --ctorigdstport is fine', () => {
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP'] } })), 'docker-user-host-port').length, 1);
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -p tcp -m tcp --dport 80 -j DROP'] } })), 'docker-user-host-port').length, 0);
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP'] } })), 'docker-user-host-port').length, 0);
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -p udp -m udp --dport 8080 -j DROP'] } })), 'docker-user-host-port').length, 0);
  });
});

describe('findings: published ports', () => {
  it('a database port open to everyone is a warning', () => {
    const b = base({
      nat: { append: ['-A DOCKER ! -i docker0 -p tcp -m tcp --dport 6379 -j DNAT --to-destination 172.17.0.5:6379'] },
      filter: { append: ['-A DOCKER -d 172.17.0.5/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 6379 -j ACCEPT'] },
    });
    const open = ofKind(findings(b), 'published-open');
    const redis = open.find((x) => x.subject.kind === 'port' && x.subject.key === '4/tcp/0.0.0.0/6379')!;
    assert.equal(redis.severity, 'warn');
    assert.match(redis.explanation, /Redis/);
  });
  it('a nat rule returning before the DNAT: proxy-bypass, critical', () => {
    const b = base({ nat: { prepend: ['-A PREROUTING -s 203.0.113.0/24 -j RETURN'] } });
    const x = ofKind(findings(b), 'proxy-bypass').filter((y) => y.severity === 'critical');
    assert.deepEqual(x.map((y) => (y.subject.kind === 'port' ? y.subject.key : '')).sort(), ['4/tcp/0.0.0.0/8080', '4/udp/0.0.0.0/5353']);
    assert.deepEqual(x[0]!.rules.map((r) => r.text), ['-s 203.0.113.0/24 -j RETURN']);
    assert.match(x[0]!.title, /some sources reach it through docker-proxy/);
  });
  it('an INPUT rule that also catches the nat-bypass traffic is only info', () => {
    const b = base({ nat: { prepend: ['-A PREROUTING -s 203.0.113.0/24 -j RETURN'] }, filter: { append: ['-A INPUT -p tcp -m tcp --dport 8080 -j DROP'] } });
    const f = findings(b);
    assert.equal(ofKind(f, 'input-rule-on-published-port')[0]?.severity, 'info');
    const nat = ofKind(f, 'proxy-bypass').filter((y) => /nat rule skips/.test(y.title));
    assert.deepEqual(nat.map((y) => (y.subject.kind === 'port' ? y.subject.key : '')), ['4/udp/0.0.0.0/5353'], 'only the udp port still bypasses the DNAT');
    // ...and IPv6 clients still reach 8080 through docker-proxy on [::] (ip6tables has no rule)
    assert.ok(ofKind(f, 'proxy-bypass').some((y) => /IPv6 clients/.test(y.title) && y.subject.kind === 'port' && y.subject.key === '4/tcp/0.0.0.0/8080'));
  });
  it('an INPUT rule for multicast on the same port number is not about the published port', () => {
    const b = base({ filter: { append: ['-A INPUT -d 224.0.0.251/32 -p udp -m udp --dport 5353 -j ACCEPT'] } });
    assert.equal(ofKind(findings(b), 'input-rule-on-published-port').length, 0);
  });
});

describe('findings: stale addresses, backends, owned chains', () => {
  it('a rule naming a container address nobody holds', () => {
    const f = findings(lab({ prepend: ['-A DOCKER-USER -s 198.51.100.20/32 -d 172.17.0.9/32 -j ACCEPT'] }));
    const x = ofKind(f, 'stale-container-address');
    assert.deepEqual(x.map((y) => y.subject), [{ kind: 'address', address: '172.17.0.9' }]);
    assert.match(x[0]!.explanation, /inherits/);
    assert.equal(ofKind(findings(lab()), 'stale-container-address').length, 0, 'gateways and live containers are not stale');
  });
  it('no Docker state: no stale-address guesses', () => {
    assert.equal(ofKind(findings(base({ filter: { prepend: ['-A DOCKER-USER -d 172.17.0.9/32 -j ACCEPT'] } })), 'stale-container-address').length, 0);
  });
  it('rules in both iptables-nft and iptables-legacy', () => {
    const legacy = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.66/32 -j DROP\nCOMMIT\n';
    const x = ofKind(findings(base({ legacy })), 'both-backends');
    assert.equal(x.length, 1);
    assert.deepEqual(x[0]!.rules.map((r) => [r.backend, r.text]), [['legacy', '-s 192.0.2.66/32 -j DROP']]);
    assert.equal(ofKind(findings(base()), 'both-backends').length, 0);
  });
  it('FORWARD policy DROP: no policy finding', () => {
    assert.equal(ofKind(findings(base()), 'forward-policy-accept').length, 0);
  });
  it('a Portcullis chain with rules but no jump (mixed-ufw-kube without its DOCKER-USER -> PORTCULLIS-FWD jump)', () => {
    const save = fixture('layouts/mixed-ufw-kube.save');
    const withJump = build(capture({ 'iptables-save.txt': save }));
    assert.equal(ofKind(findings(withJump), 'portcullis-jump-missing').length, 0);
    const cut = save.replace(/^\[\d+:\d+\] -A DOCKER-USER -j PORTCULLIS-FWD\n/m, '');
    assert.notEqual(cut, save);
    const x = ofKind(findings(build(capture({ 'iptables-save.txt': cut }))), 'portcullis-jump-missing');
    assert.equal(x.length, 1);
    assert.equal(x[0]!.severity, 'critical');
    assert.deepEqual(x[0]!.fix, { action: 'reapply', chain: 'PORTCULLIS-FWD', family: 4 });
    assert.equal(x[0]!.rules.length, 3);
  });
});

describe('findings on the layout fixtures', () => {
  const dir = new URL('../fixtures/layouts/', import.meta.url);
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.save'))) {
    it(`${name}: runs, and the text lists them`, () => {
      const text = fixture(`layouts/${name}`);
      const file = name.startsWith('ipv6') ? 'ip6tables-save.txt' : 'iptables-save.txt';
      const b = build(capture({ [file]: text }));
      const f = findings(b);
      assert.match(findingsText(f), /findings/);
    });
  }
  it('mixed-ufw-kube: the INPUT DROP on 8080, the DOCKER-USER ACCEPT and the unscoped DROP', () => {
    const f = findings(build(capture({ 'iptables-save.txt': fixture('layouts/mixed-ufw-kube.save') })));
    const input = ofKind(f, 'input-rule-on-published-port');
    assert.deepEqual(input.map((x) => [x.severity, x.rules[0]!.text]), [['critical', '-p tcp -m tcp --dport 8080 -j DROP']]);
    assert.deepEqual(ofKind(f, 'docker-user-accept').map((x) => x.rules[0]!.text), ['-s 203.0.113.0/24 -j ACCEPT']);
    assert.deepEqual(ofKind(f, 'docker-user-drop-unscoped').map((x) => x.rules[0]!.text), ['-p tcp -m tcp --dport 80 -j DROP']);
  });
});
