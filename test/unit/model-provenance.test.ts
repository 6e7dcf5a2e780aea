// Who wrote each rule: every provenance class on one hand-made ruleset, with
// the shapes each tool really writes (chain names and jumps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import { provenanceOf } from '../../src/core/model/provenance.js';

const dump = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:DOCKER-USER - [0:0]
:DOCKER - [0:0]
:PORTCULLIS-FWD - [0:0]
:ufw-user-input - [0:0]
:INPUT_direct - [0:0]
:IN_public_allow - [0:0]
:KUBE-SERVICES - [0:0]
:f2b-sshd - [0:0]
:custom-chain - [0:0]
-A INPUT -j ufw-user-input
-A INPUT -j INPUT_direct
-A INPUT -j KUBE-SERVICES
-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
-A INPUT -p tcp -m tcp --dport 8080 -j DROP
-A INPUT -j custom-chain
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i br-0123456789ab ! -o br-0123456789ab -j ACCEPT
-A DOCKER-USER -j PORTCULLIS-FWD
-A DOCKER-USER -s 203.0.113.0/24 -j ACCEPT
-A DOCKER-USER -j RETURN
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A PORTCULLIS-FWD -j RETURN
-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT_direct -p tcp --dport 9000 -j ACCEPT
-A IN_public_allow -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -j KUBE-SVC-X
-A f2b-sshd -s 192.0.2.66/32 -j REJECT --reject-with icmp-port-unreachable
-A custom-chain -j RETURN
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A POSTROUTING -s 10.0.0.0/8 -o eth0 -j MASQUERADE
COMMIT
`;

const expected: Array<[string, string, string]> = [
  ['INPUT', '-j ufw-user-input', 'ufw'],
  ['INPUT', '-j INPUT_direct', 'firewalld'],
  ['INPUT', '-j KUBE-SERVICES', 'kube'],
  ['INPUT', '-p tcp -m multiport --dports 22 -j f2b-sshd', 'fail2ban'],
  ['INPUT', '-p tcp -m tcp --dport 8080 -j DROP', 'operator'],
  ['INPUT', '-j custom-chain', 'operator'],
  ['FORWARD', '-j DOCKER-USER', 'docker'],
  ['FORWARD', '-o docker0 -j DOCKER', 'docker'],
  ['FORWARD', '-i br-0123456789ab ! -o br-0123456789ab -j ACCEPT', 'docker'],
  ['DOCKER-USER', '-j PORTCULLIS-FWD', 'portcullis'],
  ['DOCKER-USER', '-s 203.0.113.0/24 -j ACCEPT', 'operator'],
  ['DOCKER-USER', '-j RETURN', 'docker'],
  ['DOCKER', '-d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT', 'docker'],
  ['PORTCULLIS-FWD', '-j RETURN', 'portcullis'],
  ['ufw-user-input', '-p tcp -m tcp --dport 22 -j ACCEPT', 'ufw'],
  ['INPUT_direct', '-p tcp --dport 9000 -j ACCEPT', 'firewalld'],
  ['IN_public_allow', '-p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT', 'firewalld'],
  ['KUBE-SERVICES', '-d 10.96.0.1/32 -p tcp -j KUBE-SVC-X', 'kube'],
  ['f2b-sshd', '-s 192.0.2.66/32 -j REJECT --reject-with icmp-port-unreachable', 'fail2ban'],
  ['custom-chain', '-j RETURN', 'unknown'],
  ['POSTROUTING', '-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', 'docker'],
  ['POSTROUTING', '-s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE', 'docker'],
  ['POSTROUTING', '-s 10.0.0.0/8 -o eth0 -j MASQUERADE', 'operator'],
];

test('every rule gets the provenance of the tool that writes that shape', () => {
  const rs = parseIptablesSave(dump, { family: 4, backend: 'nft', source: 'test' });
  assert.deepEqual(rs.issues, []);
  const rules = rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
  assert.equal(rules.length, expected.length);
  for (const [chain, text, prov] of expected) {
    const r = rules.find((x) => x.chain === chain && x.text === text);
    assert.ok(r, `${chain} ${text}`);
    assert.equal(provenanceOf(r), prov, `${chain} ${text}`);
  }
});
