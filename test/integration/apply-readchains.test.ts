// Reading only the chains a transaction compares (`iptables -S CHAIN` each,
// src/apply/host.ts readChains) must give exactly what the whole filter
// table gives for those chains, on both backends' rule syntax Docker and
// operators write; a missing chain gives null (the caller reads the whole
// table). Root: a throwaway `pca-*` namespace, deleted in after().
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { readChains, readFilter } from '../../src/apply/host.js';
import { chainsText, isEmptyTransition, ownedStateOf, transitionOf } from '../../src/core/plan/owned.js';

const isRoot = process.getuid?.() === 0;
const NS = `pca-rc-${process.pid}`;

const RULES = [
  '*filter',
  ':INPUT DROP [0:0]',
  ':FORWARD DROP [0:0]',
  ':DOCKER-USER - [0:0]',
  ':PORTCULLIS-FWD - [0:0]',
  ':PORTCULLIS-IN - [0:0]',
  ':OTHER - [0:0]',
  '-A INPUT -j PORTCULLIS-IN',
  '-A INPUT -i lo -j ACCEPT',
  '-A INPUT -p tcp -m multiport --dports 22,80:90 -m conntrack --ctstate NEW -j ACCEPT',
  '-A FORWARD -j DOCKER-USER',
  '-A FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A DOCKER-USER -j PORTCULLIS-FWD',
  '-A DOCKER-USER ! -s 10.0.0.0/8 -i eth0 -p udp -m udp --dport 53 -m comment --comment "operator: dns from outside" -j DROP',
  '-A DOCKER-USER -j RETURN',
  '-A PORTCULLIS-FWD -s 203.0.113.0/24 -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -m conntrack --ctorigdstport 8080 -m comment --comment portcullis:whitelist:4/tcp/0.0.0.0/8080 -j RETURN',
  '-A PORTCULLIS-FWD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW --ctorigdstport 8080 -m comment --comment portcullis:whitelist:4/tcp/0.0.0.0/8080 -j DROP',
  '-A PORTCULLIS-IN -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -m comment --comment portcullis:block-proxy:4/tcp/0.0.0.0/8080 -j REJECT --reject-with tcp-reset',
  '-A OTHER -m limit --limit 5/min -j LOG --log-prefix "other: "',
  'COMMIT',
  '',
].join('\n');

describe('readChains (apply + verify read only the watched chains)', { skip: isRoot ? false : 'needs root (a network namespace)' }, () => {
  before(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['netns', 'exec', NS, 'iptables-restore'], { input: RULES });
  });
  after(() => {
    execFileSync('ip', ['netns', 'del', NS]);
  });

  it('gives the same chains, rules, policies and owned state as the whole table', async () => {
    const names = ['DOCKER-USER', 'FORWARD', 'INPUT', 'PORTCULLIS-FWD', 'PORTCULLIS-IN'];
    const full = (await readFilter(4, 'nft', { netns: NS })).ruleset;
    const part = await readChains(4, 'nft', names, { netns: NS });
    assert.ok(part, 'every chain exists, so no fallback');
    assert.equal(chainsText(part.ruleset, names), chainsText(full, names));
    assert.match(chainsText(part.ruleset, names), /:INPUT DROP\n-A INPUT -j PORTCULLIS-IN\n/);
    const a = ownedStateOf(full);
    const b = ownedStateOf(part.ruleset);
    assert.deepEqual(b.chains, a.chains);
    // chains come in the order asked for, so the jumps may too: compare them as sets
    const byParent = (js: typeof a.jumps) => [...js].sort((x, y) => x.parent.localeCompare(y.parent));
    assert.deepEqual(byParent(b.jumps), byParent(a.jumps));
    assert.equal(b.dockerUser, true);
    // and what verify decides is the same: no change needed to reach the current owned chains
    assert.ok(isEmptyTransition(transitionOf(b, a.chains)));
    assert.ok(!isEmptyTransition(transitionOf(b, { ...a.chains, 'PORTCULLIS-FWD': [] })));
  });

  it('a chain that does not exist gives null, not an empty chain', async () => {
    assert.equal(await readChains(4, 'nft', ['DOCKER-USER', 'PORTCULLIS-LOCK'], { netns: NS }), null);
  });
});
