// explain and findings on the seed articles' hosts (test/fixtures/seeds/,
// verbatim dumps). Where a dump is partial, the test composes the minimum
// around it and says exactly what is composed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build, capture, ex, fixture, ruleTrail } from '../fixtures/explain/harness.js';
import { buildModel } from '../../src/core/model/build.js';
import { parseIptablesS } from '../../src/core/parse/iptables-save.js';
import { explain } from '../../src/core/explain/index.js';
import { findFindings } from '../../src/core/findings/index.js';
import type { Ruleset, Snapshot } from '../../src/core/types.js';

const seed = (name: string) => fixture(`seeds/${name}`);
// The seeds never say the host's address: every query names it (--dst HOST:PORT).
const HOST = '198.51.100.1';

// ------------------------------------------------------------------ seed 002
// The dump (002-iptables-save.save.txt) has the nat table in full and the
// filter table's chain declarations, but the author elided the filter rules
// as `......`. Composed in their place, and only there:
//  - Docker 19.03's filter rules for this host's two bridges (docker0 with
//    tomcat 172.17.0.2:8080 published on host port 80, and br-0be676646756,
//    both named in the nat table), in the shapes of
//    test/fixtures/layouts/engine-20.10-stage12.save;
//  - the operator's rules from the article: the two `iptables -A INPUT`
//    commands (002-input-commands.txt, prefix stripped) and, from article
//    line 83, `iptables -I DOCKER-USER -p tcp -m tcp --dport 80 -j DROP`.
// docker-proxy.txt: the default userland proxy of that Docker for the
// binding (the article shows the same process line for its nginx variant).
const DOCKER_1903_FILTER = [
  '-A FORWARD -j DOCKER-USER',
  '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
  '-A FORWARD -o br-0be676646756 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A FORWARD -o br-0be676646756 -j DOCKER',
  '-A FORWARD -i br-0be676646756 ! -o br-0be676646756 -j ACCEPT',
  '-A FORWARD -i br-0be676646756 -o br-0be676646756 -j ACCEPT',
  '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A FORWARD -o docker0 -j DOCKER',
  '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
  '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
  '-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 8080 -j ACCEPT',
  '-A DOCKER-ISOLATION-STAGE-1 -i br-0be676646756 ! -o br-0be676646756 -j DOCKER-ISOLATION-STAGE-2',
  '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
  '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
  '-A DOCKER-ISOLATION-STAGE-2 -o br-0be676646756 -j DROP',
  '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP',
  '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
];
const ARTICLE_DOCKER_USER = '-A DOCKER-USER -p tcp -m tcp --dport 80 -j DROP'; // inserted with -I: first
const TOMCAT_PROXY = '/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 80 -container-ip 172.17.0.2 -container-port 8080\n';

function seed002(opts: { natExtra?: string[]; input?: boolean | string[]; dockerUser?: boolean } = {}) {
  const dump = seed('002-iptables-save.save.txt');
  assert.ok(dump.includes('......\n'), 'the elided filter part is where the composed rules go');
  const input = Array.isArray(opts.input) ? opts.input : opts.input === false ? [] : seed('002-input-commands.txt').replace(/^iptables /gm, '').trim().split('\n');
  const filter = [...DOCKER_1903_FILTER, ...(opts.dockerUser === false ? [] : [ARTICLE_DOCKER_USER]), '-A DOCKER-USER -j RETURN', ...input];
  let text = dump.replace('......\n', filter.join('\n') + '\n');
  if (opts.natExtra) text = text.replace(':DOCKER - [0:0]\n', `:DOCKER - [0:0]\n${opts.natExtra.join('\n')}\n`);
  return build(capture({ 'iptables-save.txt': text, 'docker-proxy.txt': TOMCAT_PROXY }));
}

describe('seed 002: "my INPUT rule on port 80 did nothing"', () => {
  const b = seed002();
  const port = b.model.published.find((p) => p.hostPort === 80)!;

  it('the model sees host port 80 published to 172.17.0.2:8080', () => {
    assert.equal(port.key, '4/tcp/0.0.0.0/80');
    assert.equal(port.containerPort, 8080);
    assert.equal(port.proxy, true);
  });

  it('explain: a client outside 172.16.0.0/24 is DNATed and delivered through FORWARD; the INPUT rules are never evaluated', () => {
    const r = ex(b, '203.0.113.9', `${HOST}:80`, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'forward');
    assert.equal(r.verdict.address, '172.17.0.2');
    assert.equal(r.verdict.port, 8080);
    assert.equal(r.verdict.deciding?.text, '-d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 8080 -j ACCEPT');
    const steps = r.routes[0]!.steps;
    assert.ok(!steps.some((s) => s.rule?.chain === 'INPUT'), 'no INPUT rule is on the path');
    assert.ok(steps.some((s) => s.action === 'DNAT to 172.17.0.2:8080'));
    // The article's DOCKER-USER rule on port 80: evaluated, and why it does not match.
    const du = steps.find((s) => s.rule?.chain === 'DOCKER-USER' && s.rule.position === 1)!;
    assert.equal(du.result, 'no match');
    assert.equal(du.why, '--dport 80: destination port is 8080 (after DNAT)');
    assert.deepEqual(ruleTrail(r).slice(0, 6), [
      'nat/PREROUTING#1:match',
      'nat/DOCKER#1:no match',
      'nat/DOCKER#2:no match',
      'nat/DOCKER#3:match',
      'filter/FORWARD#1:match',
      'filter/DOCKER-USER#1:no match',
    ]);
  });

  it('explain: the whitelisted client gets there the same way', () => {
    assert.equal(ex(b, '172.16.0.5', `${HOST}:80`, 'eth0').verdict.kind, 'delivered');
  });

  it('explain: the INPUT rules do act on the docker-proxy route (the host itself): REJECT', () => {
    const r = ex(b, '127.0.0.1', '127.0.0.1:80');
    assert.equal(r.verdict.kind, 'rejected');
    assert.equal(r.verdict.deciding?.text, '-j REJECT --reject-with icmp-host-prohibited');
  });

  it('findings: the INPUT rule on the published port, then the DOCKER-USER rule on the host port', () => {
    const f = findFindings(b.model, { rulesets: b.snap.rulesets });
    assert.deepEqual(f.slice(0, 2).map((x) => x.kind), ['input-rule-on-published-port', 'docker-user-host-port']);
    const [input, user] = f;
    assert.equal(input!.severity, 'critical');
    assert.deepEqual(input!.subject, { kind: 'port', key: '4/tcp/0.0.0.0/80' });
    assert.deepEqual(input!.rules.map((r) => r.text), ['-s 172.16.0.0/24 -p tcp -m tcp --dport 80 -j ACCEPT', '-j REJECT --reject-with icmp-host-prohibited']);
    assert.deepEqual(input!.fix, { action: 'whitelist', port: '4/tcp/0.0.0.0/80' });
    assert.match(input!.explanation, /never filter INPUT/);
    assert.equal(user!.severity, 'critical');
    assert.deepEqual(user!.rules.map((r) => r.text), ['-p tcp -m tcp --dport 80 -j DROP']);
    assert.match(user!.explanation, /exists only before DNAT/);
    assert.match(user!.explanation, /--ctorigdstport 80/);
    assert.deepEqual(user!.fix, { action: 'whitelist', port: '4/tcp/0.0.0.0/80' });
    // The same DOCKER-USER DROP also hits traffic between containers on port 8080? No: it names 80,
    // which is a port containers may use among themselves: reported as unscoped.
    assert.ok(f.some((x) => x.kind === 'docker-user-drop-unscoped'));
    // ids are stable across runs
    assert.deepEqual(findFindings(b.model, { rulesets: b.snap.rulesets }).map((x) => x.id), f.map((x) => x.id));
  });

  it('section 4: a nat PREROUTING RETURN before Docker\'s DNAT sends every client to docker-proxy', () => {
    // Article section 3/4: `-t nat -N DOCKER-FILTER`, then -I PREROUTING ... -j RETURN and
    // -I PREROUTING ... -j DOCKER-FILTER (so DOCKER-FILTER first), before any allow rule;
    // the INPUT rules of section 0 are gone ("提前先清除掉之前增加的所有自定义规则").
    const s4 = seed002({
      input: false,
      dockerUser: false,
      natExtra: [':DOCKER-FILTER - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-FILTER', '-A PREROUTING -m addrtype --dst-type LOCAL -j RETURN'],
    });
    const r = ex(s4, '203.0.113.9', `${HOST}:80`, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'docker-proxy', 'the "big pitfall": served by docker-proxy through INPUT');
    const f = findFindings(s4.model, { rulesets: s4.snap.rulesets });
    const bypass = f.find((x) => x.kind === 'proxy-bypass')!;
    assert.ok(bypass, f.map((x) => x.kind).join(','));
    assert.equal(bypass.severity, 'critical');
    assert.deepEqual(bypass.fix, { action: 'block-proxy', port: '4/tcp/0.0.0.0/80', loopback: false });
    assert.ok(bypass.rules.some((x) => x.text === '-m addrtype --dst-type LOCAL -j RETURN'));

    // Section 4d's fix: INPUT drops the host port; DOCKER-FILTER admits the whitelist into DOCKER.
    const fixed = seed002({
      input: ['-A INPUT -p tcp -m tcp --dport 80 -j DROP'],
      dockerUser: false,
      natExtra: [
        ':DOCKER-FILTER - [0:0]',
        '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-FILTER',
        '-A PREROUTING -m addrtype --dst-type LOCAL -j RETURN',
        '-A DOCKER-FILTER -s 172.16.0.0/24 -p tcp -m tcp --dport 80 -m state --state NEW,ESTABLISHED -j DOCKER',
      ],
    });
    assert.equal(ex(fixed, '172.16.0.5', `${HOST}:80`, 'eth0').verdict.route, 'forward');
    const blocked = ex(fixed, '203.0.113.9', `${HOST}:80`, 'eth0');
    assert.equal(blocked.verdict.kind, 'dropped');
    assert.equal(blocked.verdict.deciding?.chain, 'INPUT');
    const ff = findFindings(fixed.model, { rulesets: fixed.snap.rulesets });
    assert.ok(!ff.some((x) => x.kind === 'proxy-bypass'), ff.map((x) => x.title).join('; '));
    // the INPUT rule now does count (for the sources kept from the DNAT): reported as info only
    assert.equal(ff.find((x) => x.kind === 'input-rule-on-published-port')?.severity, 'info');
  });
});

// ------------------------------------------------------------------ seed 000
describe('seed 000: a fresh host, then -p 80:80', () => {
  const b = build(capture({ 'iptables-save.txt': seed('000-published-port.save.txt') }));
  it('a client reaches 172.17.0.2:80 through FORWARD', () => {
    const r = ex(b, '203.0.113.9', `${HOST}:80`, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.address, '172.17.0.2');
  });
  it('findings: open to every source; FORWARD policy is DROP so no policy finding', () => {
    const f = findFindings(b.model, { rulesets: b.snap.rulesets });
    assert.deepEqual(f.map((x) => x.kind), ['published-open']);
  });
});

// ------------------------------------------------------------------ seed 001 (-S form)
/** `-S` dumps of one host's tables, as one ruleset each family (nat and filter parsed separately). */
function fromS(parts: Array<{ text: string; table: string }>): Snapshot {
  const tables: Ruleset['tables'] = [];
  const lines: Ruleset['lines'] = [];
  for (const p of parts) {
    const rs = parseIptablesS(p.text, { family: 4, backend: 'nft', source: 'seed', table: p.table });
    tables.push(...rs.tables);
    lines.push(...rs.lines);
  }
  const rs: Ruleset = { family: 4, backend: 'nft', tables, lines, issues: [] };
  return { time: 0, meta: { time: 0, hostname: null, netns: null, dockerVersion: null, unavailable: {}, notes: [] }, rulesets: [rs], flows: null, links: null, addresses: null, containers: null, networks: null, proxies: null, containerIfaces: null, sysctls: null, issues: [] };
}

describe("seed 001: the operator's own DNAT on a Docker host (`iptables -S`)", () => {
  // The author's trailing notes on `-P`/`-N` lines (`-P FORWARD DROP #默认是DROP!!!`) make those
  // lines unreadable to iptables itself; they are stripped here so the policies are read.
  const strip = (s: string) => s.replace(/ #.*$/gm, '');
  const snap = fromS([
    { text: strip(seed('001-nat.S.txt')), table: 'nat' },
    { text: strip(seed('001-filter.S.txt')), table: 'filter' },
  ]);
  const model = buildModel(snap);
  it('port 24 is DNATed to 10.0.0.97:22 and then dropped by the FORWARD policy Docker set', () => {
    const r = explain(model, { addresses: null, rulesets: snap.rulesets }, { src: '203.0.113.9', iface: 'eth0', dst: '10.0.0.27', dport: 24, proto: 'tcp' });
    assert.ok(r.routes[0]!.steps.some((s) => s.action === 'DNAT to 10.0.0.97:22'));
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.kind, 'policy');
    assert.equal(r.verdict.deciding?.chain, 'FORWARD');
  });
  it('the DNAT rule is bound to eth0: from another interface the packet is not rewritten', () => {
    const r = explain(model, { addresses: null, rulesets: snap.rulesets }, { src: '203.0.113.9', iface: 'eth1', dst: '10.0.0.27', dport: 24, proto: 'tcp' });
    assert.ok(!r.routes[0]!.steps.some((s) => s.action?.startsWith('DNAT')));
    assert.equal(r.verdict.kind, 'no-listener');
  });
});

// ------------------------------------------------------------------ seed 004 (-S form, old engine)
describe('seed 004: ICC off with two --link ACCEPTs (single DOCKER-ISOLATION chain)', () => {
  const snap = fromS([
    { text: seed('004-nat-published.S.txt'), table: 'nat' },
    { text: seed('004-filter.S.txt'), table: 'filter' },
  ]);
  const model = buildModel(snap);
  const host = { addresses: null, rulesets: snap.rulesets };
  it('the linked container reaches port 80 of the other', () => {
    const r = explain(model, host, { src: '172.17.0.3', dst: '172.17.0.2', dport: 80, proto: 'tcp' });
    assert.equal(r.query.iface, 'docker0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.deciding?.text, '-s 172.17.0.3/32 -d 172.17.0.2/32 -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT');
  });
  it('any other container is dropped by ICC off', () => {
    const r = explain(model, host, { src: '172.17.0.9', dst: '172.17.0.2', dport: 80, proto: 'tcp' });
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.text, '-i docker0 -o docker0 -j DROP');
  });
  it('published port 32768 from outside', () => {
    const r = explain(model, host, { src: '203.0.113.9', iface: 'eth0', dst: HOST, dport: 32768, proto: 'tcp' });
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.address, '172.17.0.2');
  });
  it('findings: FORWARD policy ACCEPT; ICC off needs br_netfilter', () => {
    const f = findFindings(model, { rulesets: snap.rulesets, sysctls: { brNetfilter: false } });
    assert.ok(f.some((x) => x.kind === 'forward-policy-accept'));
    const icc = f.find((x) => x.kind === 'icc-without-br-netfilter')!;
    assert.equal(icc.severity, 'critical');
    assert.deepEqual(icc.subject, { kind: 'bridge', name: 'docker0' });
    assert.equal(findFindings(model, { rulesets: snap.rulesets, sysctls: { brNetfilter: true } }).some((x) => x.kind === 'icc-without-br-netfilter'), false);
  });
});
