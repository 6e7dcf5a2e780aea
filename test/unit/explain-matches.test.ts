// explain on hand-made rulesets: one scenario per match type and target the
// walk must handle (policies, RETURN/jump/goto, negations, interface
// wildcards, addrtype LOCAL from the host's addresses, multiport, conntrack,
// comments, unknown matches, ipsets, marks, both backends, raw/NOTRACK, REDIRECT).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build, capture, ex, fixture, ipAddrJson, ruleTrail, withRules, type Built } from '../fixtures/explain/harness.js';
import { explain } from '../../src/core/explain/index.js';

const BASE = fixture('explain/base.save');
const PROXY = fixture('explain/base-proxy.txt');
const ADDRS = ipAddrJson({ lo: ['127.0.0.1/8', '::1/128'], eth0: ['198.51.100.1/24', '2001:db8:ff::1/64'], docker0: ['172.17.0.1/16'] });

function host(opts: { filter?: { prepend?: string[]; append?: string[] }; nat?: { prepend?: string[]; append?: string[] }; raw?: { prepend?: string[]; append?: string[] }; mangle?: { prepend?: string[]; append?: string[] }; edit?: (s: string) => string; legacy?: string } = {}): Built {
  let save = BASE;
  if (opts.filter) save = withRules(save, 'filter', opts.filter);
  if (opts.nat) save = withRules(save, 'nat', opts.nat);
  if (opts.raw) save = withRules(save, 'raw', opts.raw);
  if (opts.mangle) save = withRules(save, 'mangle', opts.mangle);
  if (opts.edit) save = opts.edit(save);
  return build(capture({ 'iptables-save.txt': save, 'docker-proxy.txt': PROXY, 'ip-addr.json': ADDRS, ...(opts.legacy ? { 'iptables-legacy-save.txt': opts.legacy } : {}) }));
}

const WEB = '198.51.100.1:8080/tcp';
const OUT = '203.0.113.9';

describe('explain: the plain published port', () => {
  const b = host();
  it('is DNATed in nat PREROUTING, crosses FORWARD and is accepted by Docker', () => {
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'forward');
    assert.equal(r.verdict.address, '172.17.0.2');
    assert.equal(r.verdict.port, 80);
    assert.equal(r.delivered, true);
    assert.equal(r.verdict.deciding?.text, '-d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT');
    const hooks = [...new Set(r.routes[0]!.steps.filter((s) => s.hook).map((s) => s.hook))];
    assert.deepEqual(hooks, ['raw PREROUTING', 'mangle PREROUTING', 'nat PREROUTING', 'mangle FORWARD', 'filter FORWARD', 'mangle POSTROUTING', 'nat POSTROUTING']);
    assert.ok(!r.routes[0]!.steps.some((s) => s.hook === 'filter INPUT'), 'INPUT is not on the forwarded path');
    const dnat = r.routes[0]!.steps.find((s) => s.action?.startsWith('DNAT'));
    assert.equal(dnat?.action, 'DNAT to 172.17.0.2:80');
  });
  it('udp: 5353 is DNATed to dns:53', () => {
    const r = ex(b, OUT, '198.51.100.1:5353/udp', 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.port, 53);
  });
  it('the host itself to 127.0.0.1:8080: not DNATed (nat OUTPUT excludes 127/8), filter INPUT, docker-proxy', () => {
    const r = ex(b, '127.0.0.1', '127.0.0.1:8080');
    assert.equal(r.query.localOrigin, true);
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'docker-proxy');
    assert.ok(r.routes[0]!.steps.some((s) => s.hook === 'filter INPUT'));
    assert.match(r.routes[0]!.steps.find((s) => s.kind === 'listener')!.why, /docker-proxy listens on 0\.0\.0\.0:8080\/tcp/);
  });
  it('the host itself to its own address: DNATed in nat OUTPUT, no FORWARD', () => {
    const r = ex(b, '198.51.100.1', WEB);
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'local');
    assert.ok(!r.routes[0]!.steps.some((s) => s.hook === 'filter FORWARD'));
  });
  it('IPv6 client with no ip6tables rules: docker-proxy on [::]:8080', () => {
    const r = ex(b, '2001:db8:ff::10', '[2001:db8:ff::1]:8080');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'docker-proxy');
    assert.ok(r.notes.some((n) => /no IPv6 rules/.test(n)));
  });
  it('a port nobody listens on: no-listener', () => {
    const r = ex(b, OUT, '198.51.100.1:9999', 'eth0');
    assert.equal(r.verdict.kind, 'no-listener');
    assert.equal(r.delivered, false);
  });
  it('--dst CONTAINER:PORT needs Docker state (none here)', () => {
    assert.throws(() => ex(b, OUT, 'web:80', 'eth0'), /no container named "web"/);
  });
  it('--iface guessed from the address list when omitted', () => {
    const r = ex(b, '198.51.100.10', WEB);
    assert.equal(r.query.iface, 'eth0');
  });
});

describe('explain: policies', () => {
  it('FORWARD policy DROP decides a direct packet to an unpublished container port', () => {
    const r = ex(host(), OUT, '172.17.0.2:81', 'eth0');
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.kind, 'policy');
    assert.equal(r.verdict.deciding?.chain, 'FORWARD');
  });
  it('INPUT policy DROP drops the docker-proxy route; an -i lo ACCEPT lets it through', () => {
    const drop = (s: string) => s.replace(':INPUT ACCEPT [0:0]\n:FORWARD DROP', ':INPUT DROP [0:0]\n:FORWARD DROP');
    const r = ex(host({ edit: drop }), '127.0.0.1', '127.0.0.1:8080');
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.text, 'policy DROP');
    const r2 = ex(host({ edit: drop, filter: { append: ['-A INPUT -i lo -j ACCEPT'] } }), '127.0.0.1', '127.0.0.1:8080');
    assert.equal(r2.verdict.kind, 'delivered');
    assert.equal(r2.verdict.deciding?.text, '-i lo -j ACCEPT');
  });
  it('without the rulesets (model only), unknown policies are assumed ACCEPT and said so', () => {
    const b = host({ edit: (s) => s.replace(':INPUT ACCEPT [0:0]\n:FORWARD DROP', ':INPUT DROP [0:0]\n:FORWARD DROP'), filter: { append: ['-A INPUT -p tcp --dport 22 -j ACCEPT'] } });
    const r = explain(b.model, { addresses: b.snap.addresses }, { src: '127.0.0.1', dst: '127.0.0.1', dport: 8080, proto: 'tcp' });
    assert.equal(r.verdict.kind, 'delivered');
    assert.ok(r.notes.some((n) => /policy of filter INPUT is not known/.test(n)));
    // FORWARD's policy is in the model (FamilyInfo.forwardPolicy).
    const f = explain(b.model, { addresses: b.snap.addresses }, { src: OUT, iface: 'eth0', dst: '172.17.0.2', dport: 81, proto: 'tcp' });
    assert.equal(f.verdict.kind, 'dropped');
  });
});

describe('explain: RETURN, jump, goto', () => {
  const chk = (how: '-j' | '-g') =>
    host({
      edit: (s) => s.replace(':DOCKER-USER - [0:0]', ':DOCKER-USER - [0:0]\n:CHK - [0:0]'),
      filter: { prepend: [`-A DOCKER-USER ${how} CHK`, '-A DOCKER-USER -j DROP', '-A CHK -s 203.0.113.0/24 -j RETURN', '-A CHK -j DROP'] },
    });
  it('a jump returns to the rule after it; RETURN in the called chain goes back', () => {
    const b = chk('-j');
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.chain, 'DOCKER-USER');
    assert.deepEqual(ruleTrail(r).filter((x) => /DOCKER-USER|CHK/.test(x)), ['filter/DOCKER-USER#1:match', 'filter/CHK#1:match', 'filter/DOCKER-USER#2:match']);
    const other = ex(b, '192.0.2.5', WEB, 'eth0');
    assert.equal(other.verdict.deciding?.chain, 'CHK');
  });
  it('a goto: RETURN in the target chain returns to the caller of the chain that did the goto', () => {
    const r = ex(chk('-g'), OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.ok(!ruleTrail(r).includes('filter/DOCKER-USER#2:match'));
  });
  it('RETURN in a built-in chain applies the policy', () => {
    const r = ex(host({ filter: { prepend: ['-A FORWARD -s 203.0.113.9 -j RETURN'] } }), OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.kind, 'policy');
  });
});

describe('explain: match types', () => {
  const user = (...rules: string[]) => host({ filter: { prepend: rules.map((x) => `-A DOCKER-USER ${x}`) } });
  const verdictOf = (b: Built, src = OUT, dst = WEB, iface = 'eth0') => ex(b, src, dst, iface).verdict.kind;

  it('negated source', () => {
    const b = user('! -s 198.51.100.0/24 -j DROP');
    assert.equal(verdictOf(b), 'dropped');
    assert.equal(verdictOf(b, '198.51.100.10'), 'delivered');
  });
  it('negated multiport (post-DNAT port 80 is listed, so not dropped)', () => {
    assert.equal(verdictOf(user('-p tcp -m multiport ! --dports 80,443 -j DROP')), 'delivered');
    assert.equal(verdictOf(user('-p tcp -m multiport ! --dports 443 -j DROP')), 'dropped');
  });
  it('multiport ranges', () => {
    assert.equal(verdictOf(user('-p tcp -m multiport --dports 22,79:81 -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-p tcp -m multiport --dports 8080 -j DROP')), 'delivered', 'FORWARD sees the container port');
  });
  it('interface wildcards', () => {
    const b = user('-i eth+ -j DROP');
    assert.equal(verdictOf(b), 'dropped');
    assert.equal(verdictOf(b, OUT, WEB, 'ens3'), 'delivered');
    assert.equal(verdictOf(user('! -i docker+ -o docker0 -j DROP')), 'dropped');
  });
  it('conntrack: ctstate NEW / RELATED,ESTABLISHED / DNAT, ctorigdst, ctorigdstport, ctdir', () => {
    assert.equal(verdictOf(user('-m conntrack --ctstate NEW -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-m conntrack --ctstate RELATED,ESTABLISHED -j DROP')), 'delivered');
    assert.equal(verdictOf(user('-m conntrack --ctstate DNAT -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-m state --state NEW -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-p tcp -m conntrack --ctorigdstport 8081 --ctdir ORIGINAL -j DROP')), 'delivered');
    assert.equal(verdictOf(user('-m conntrack --ctdir REPLY -j DROP')), 'delivered');
    assert.equal(verdictOf(user('-m conntrack --ctorigdst 198.51.100.1/32 -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-m conntrack --ctorigdst 198.51.100.2/32 -j DROP')), 'delivered');
    assert.equal(verdictOf(user('-m conntrack --ctorigsrc 203.0.113.0/24 -j DROP')), 'dropped');
  });
  it('the DOCKER-USER host-port mistake: --dport 8080 never matches after DNAT', () => {
    const r = ex(user('-p tcp -m tcp --dport 8080 -j DROP'), OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    const step = r.routes[0]!.steps.find((s) => s.rule?.chain === 'DOCKER-USER' && s.rule.position === 1)!;
    assert.equal(step.result, 'no match');
    assert.match(step.why, /destination port is 80 \(after DNAT\)/);
  });
  it('comments are ignored for matching', () => {
    assert.equal(verdictOf(user('-s 203.0.113.9/32 -m comment --comment "block the scanner" -j DROP')), 'dropped');
  });
  it('tcp flags of a first packet (SYN)', () => {
    assert.equal(verdictOf(user('-p tcp -m tcp --syn -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-p tcp -m tcp --tcp-flags SYN,ACK ACK -j DROP')), 'delivered');
  });
  it('iprange', () => {
    assert.equal(verdictOf(user('-m iprange --src-range 203.0.113.1-203.0.113.20 -j DROP')), 'dropped');
    assert.equal(verdictOf(user('-m iprange --src-range 203.0.113.10-203.0.113.20 -j DROP')), 'delivered');
  });
  it('REJECT', () => {
    const r = ex(user('-p tcp -j REJECT --reject-with tcp-reset'), OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'rejected');
    assert.equal(r.delivered, false);
  });
  it('protocol: udp rules do not touch tcp', () => {
    assert.equal(verdictOf(user('-p udp -m udp --dport 80 -j DROP')), 'delivered');
    assert.equal(verdictOf(user('-p udp -m udp --dport 53 -j DROP'), OUT, '198.51.100.1:5353/udp'), 'dropped');
  });
  it('--sport: undecidable unless the query gives it', () => {
    const b = user('-p tcp -m tcp --sport 1024:65535 -j DROP');
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'undecidable');
    assert.equal(r.delivered, null);
    assert.equal(r.verdict.undecidable?.rule.text, '-p tcp -m tcp --sport 1024:65535 -j DROP');
    assert.equal(ex(b, OUT, WEB, 'eth0', { sport: 40000 }).verdict.kind, 'dropped');
    assert.equal(ex(b, OUT, WEB, 'eth0', { sport: 1000 }).verdict.kind, 'delivered');
  });
});

describe('explain: what cannot be evaluated', () => {
  it('an ipset: undecidable, naming the rule; both outcomes listed', () => {
    const b = host({ filter: { prepend: ['-A DOCKER-USER -m set --match-set blocklist src -j DROP'] } });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'undecidable');
    assert.equal(r.verdict.undecidable?.rule.text, '-m set --match-set blocklist src -j DROP');
    assert.match(r.verdict.undecidable!.why, /ipset blocklist/);
    assert.deepEqual(r.routes.map((x) => x.verdict.kind).sort(), ['delivered', 'dropped']);
    assert.deepEqual(r.routes.map((x) => x.assumptions[0]?.assumed).sort(), ['match', 'no match']);
  });
  it("Docker's own docker-ext-bridges ipset is read from the bridges", () => {
    const b = host({ filter: { prepend: ['-A DOCKER-USER -m set ! --match-set docker-ext-bridges-v4 dst -j DROP'] } });
    assert.equal(ex(b, OUT, WEB, 'eth0').verdict.kind, 'delivered');
  });
  it('a mark: undecidable; --mark decides; a MARK target seen earlier makes it decidable', () => {
    const rule = '-A DOCKER-USER -m mark --mark 0x1/0x1 -j DROP';
    const b = host({ filter: { prepend: [rule] } });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'undecidable');
    assert.match(r.verdict.undecidable!.why, /packet mark unknown/);
    assert.equal(ex(b, OUT, WEB, 'eth0', { mark: 0 }).verdict.kind, 'delivered');
    assert.equal(ex(b, OUT, WEB, 'eth0', { mark: 1 }).verdict.kind, 'dropped');
    const marked = host({ filter: { prepend: [rule] }, mangle: { prepend: ['-A PREROUTING -s 203.0.113.0/24 -j MARK --set-xmark 0x1/0xffffffff'] } });
    assert.equal(ex(marked, OUT, WEB, 'eth0').verdict.kind, 'dropped');
  });
  it('an unknown match module: undecidable, naming the rule', () => {
    const b = host({ filter: { prepend: ['-A DOCKER-USER -m recent --rcheck --seconds 60 --name scanners -j DROP'] } });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'undecidable');
    assert.equal(r.verdict.undecidable?.rule.chain, 'DOCKER-USER');
  });
  it('a rule that cannot be evaluated but cannot change the verdict (LOG) leaves it decided', () => {
    const b = host({ filter: { prepend: ['-A DOCKER-USER -m limit --limit 3/min -j LOG --log-prefix "x "'] } });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.routes.length, 1);
  });
  it('an undecidable rule whose outcomes agree still gives the verdict', () => {
    const b = host({ filter: { prepend: ['-A DOCKER-USER -m set --match-set friends src -j RETURN'] } });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.routes.length, 2);
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.delivered, true);
  });
});

describe('explain: addrtype, raw, nat tricks, backends', () => {
  it('addrtype LOCAL comes from the host addresses: a non-local destination is not DNATed', () => {
    const r = ex(host(), OUT, '192.0.2.77:8080', 'eth0');
    assert.ok(!r.routes[0]!.steps.some((s) => s.action?.startsWith('DNAT')));
    assert.equal(r.verdict.kind, 'dropped');
    const step = r.routes[0]!.steps.find((s) => s.rule?.chain === 'PREROUTING' && s.rule.table === 'nat')!;
    assert.match(step.why, /192\.0\.2\.77 is UNICAST/);
    // the docker0 gateway address is local too
    const gw = ex(host(), OUT, '172.17.0.1:8080', 'eth0');
    assert.equal(gw.verdict.kind, 'delivered');
  });
  it('addrtype LOCAL in INPUT blocks the docker-proxy route but not the forwarded one', () => {
    const b = host({ filter: { append: ['-A INPUT -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -j DROP'] } });
    assert.equal(ex(b, '127.0.0.1', '127.0.0.1:8080').verdict.kind, 'dropped');
    assert.equal(ex(b, OUT, WEB, 'eth0').verdict.kind, 'delivered');
  });
  it('raw NOTRACK: no conntrack, no DNAT: the packet goes to INPUT and docker-proxy', () => {
    const b = host({ raw: { prepend: ['-A PREROUTING -p tcp -m tcp --dport 8080 -j CT --notrack'] } });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'docker-proxy');
  });
  it('raw DROP of direct container access (Engine 28): published traffic still passes', () => {
    const b = host({ raw: { prepend: ['-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP'] } });
    assert.equal(ex(b, OUT, WEB, 'eth0').verdict.kind, 'delivered');
    const d = ex(b, OUT, '172.17.0.2:80', 'eth0');
    assert.equal(d.verdict.kind, 'dropped');
    assert.equal(d.verdict.deciding?.table, 'raw');
  });
  it('a nat rule that returns before Docker\'s DNAT sends the packet to docker-proxy (seed 002, section 4)', () => {
    const b = host({ nat: { prepend: ['-A PREROUTING -m addrtype --dst-type LOCAL -j RETURN'] } });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.route, 'docker-proxy');
    assert.ok(r.routes[0]!.steps.some((s) => s.hook === 'filter INPUT'));
  });
  it('REDIRECT to a local port', () => {
    const b = host({ nat: { prepend: ['-A PREROUTING -p tcp -m tcp --dport 9999 -j REDIRECT --to-ports 8080'] } });
    const r = ex(b, OUT, '198.51.100.1:9999', 'eth0');
    assert.equal(r.verdict.kind, 'delivered');
    assert.equal(r.verdict.route, 'docker-proxy');
  });
  it('rules in iptables-legacy run too: a DROP there wins', () => {
    const legacy = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -s 203.0.113.9/32 -j DROP\nCOMMIT\n';
    const b = host({ legacy });
    const r = ex(b, OUT, WEB, 'eth0');
    assert.equal(r.verdict.kind, 'dropped');
    assert.equal(r.verdict.deciding?.backend, 'legacy');
    assert.equal(ex(b, '198.51.100.10', WEB, 'eth0').verdict.kind, 'delivered');
  });
});
