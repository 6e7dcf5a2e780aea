// sysctl.txt parsing and the br_netfilter fact the ICC finding relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeNetfilter, parseSysctl } from '../../src/core/parse/sysctl.js';

test('sysctl -e output parses to key/value, junk lines become issues', () => {
  const r = parseSysctl('net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 0\n\x00junk\n');
  assert.deepEqual(r.values, { 'net.bridge.bridge-nf-call-iptables': '1', 'net.ipv4.ip_forward': '0' });
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.line, 3);
});

test('br_netfilter: 1 -> on, 0 or absent (module not loaded) -> off, not read -> unknown', () => {
  assert.equal(bridgeNetfilter({ 'net.bridge.bridge-nf-call-iptables': '1' }), true);
  assert.equal(bridgeNetfilter({ 'net.bridge.bridge-nf-call-iptables': '0' }), false);
  assert.equal(bridgeNetfilter({ 'net.ipv4.ip_forward': '1' }), false);
  assert.equal(bridgeNetfilter(null), null);
  assert.equal(bridgeNetfilter({ 'net.bridge.bridge-nf-call-ip6tables': '1' }, 6), true);
});
