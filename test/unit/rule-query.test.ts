import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseIptablesSave } from '../../src/core/parse/iptables-save.js';
import {
  dnatTarget,
  dports,
  opt,
  optValue,
  parseDnatValue,
  parsePortList,
  portMatches,
  sports,
  targetOpt,
} from '../../src/core/parse/rule-query.js';
import type { Rule } from '../../src/core/types.js';

/** Parse one rule's text as it would appear after `-A X `. */
function r(text: string, family: 4 | 6 = 4): Rule {
  const rs = parseIptablesSave(`*filter\n-A X ${text}\nCOMMIT\n`, { family, backend: 'nft', source: 'test' });
  assert.deepEqual(rs.issues, []);
  const rule = rs.tables[0]?.chains[0]?.rules[0];
  assert.ok(rule);
  return rule;
}

describe('opt / targetOpt', () => {
  it('finds options by any spelling', () => {
    const rule = r('--source 10.0.0.0/8 -d 10.1.0.0/16 --in-interface eth0 -o docker0 --protocol tcp -m tcp --destination-port 80 --sport 1024 -j ACCEPT');
    assert.equal(opt(rule, '-s')?.values[0], '10.0.0.0/8');
    assert.equal(opt(rule, '--source')?.values[0], '10.0.0.0/8');
    assert.equal(opt(rule, '--destination')?.values[0], '10.1.0.0/16');
    assert.equal(opt(rule, '-i')?.values[0], 'eth0');
    assert.equal(opt(rule, '--out-interface')?.values[0], 'docker0');
    assert.equal(opt(rule, '-p')?.values[0], 'tcp');
    assert.equal(opt(rule, '--dport')?.values[0], '80');
    assert.equal(opt(rule, '--source-port')?.values[0], '1024');
    assert.equal(optValue(rule, '-m'), 'tcp');
    assert.equal(opt(rule, '--ctstate'), undefined);
    assert.equal(optValue(rule, '--ctstate'), null);
  });

  it('reads target options separately from matches', () => {
    const rule = r('-p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80');
    assert.equal(targetOpt(rule, '--to-destination')?.values[0], '172.17.0.2:80');
    assert.equal(opt(rule, '--to-destination'), undefined);
    assert.equal(targetOpt(rule, '--dport'), undefined);
  });
});

describe('dnatTarget', () => {
  it('parses the forms of --to-destination', () => {
    assert.deepEqual(dnatTarget(r('-j DNAT --to-destination 172.17.0.2:80')), { ip: '172.17.0.2', port: 80, portEnd: null });
    assert.deepEqual(dnatTarget(r('-j DNAT --to-destination [2001:db8::2]:80', 6)), { ip: '2001:db8::2', port: 80, portEnd: null });
    assert.deepEqual(dnatTarget(r('-j DNAT --to-destination 1.2.3.4')), { ip: '1.2.3.4', port: null, portEnd: null });
    assert.deepEqual(dnatTarget(r('-j DNAT --to-destination 1.2.3.4:80-81')), { ip: '1.2.3.4', port: 80, portEnd: 81 });
    assert.deepEqual(dnatTarget(r('-j DNAT --to-destination 2001:db8::2', 6)), { ip: '2001:db8::2', port: null, portEnd: null });
    assert.deepEqual(dnatTarget(r('-j DNAT --to-destination [2001:db8::2]', 6)), { ip: '2001:db8::2', port: null, portEnd: null });
    assert.deepEqual(parseDnatValue(':8080'), { ip: null, port: 8080, portEnd: null });
    assert.deepEqual(parseDnatValue('1.2.3.4-1.2.3.9:1000-2000/100'), { ip: '1.2.3.4-1.2.3.9', port: 1000, portEnd: 2000 });
  });

  it('is null without a DNAT destination or for unreadable values', () => {
    assert.equal(dnatTarget(r('-j ACCEPT')), null);
    assert.equal(dnatTarget(r('-j MASQUERADE')), null);
    for (const bad of ['', '1.2.3.4:', '1.2.3.4:http', '1.2.3.4:70000', '[2001:db8::2', '[::1]x', ':']) {
      assert.equal(parseDnatValue(bad), null, bad);
    }
  });
});

describe('dports / sports', () => {
  it('reads single ports, ranges and multiport lists', () => {
    assert.deepEqual(dports(r('-p tcp -m tcp --dport 80 -j ACCEPT')), { ranges: [{ from: 80, to: 80 }], negated: false, flag: '--dport' });
    assert.deepEqual(dports(r('-p tcp -m tcp --dport 7000:7002 -j ACCEPT'))?.ranges, [{ from: 7000, to: 7002 }]);
    assert.deepEqual(dports(r('-p tcp -m multiport --dports 80,443,8000:8010 -j ACCEPT')), {
      ranges: [{ from: 80, to: 80 }, { from: 443, to: 443 }, { from: 8000, to: 8010 }],
      negated: false,
      flag: '--dports',
    });
    assert.deepEqual(dports(r('-p udp -m udp --destination-port 53 -j ACCEPT'))?.ranges, [{ from: 53, to: 53 }]);
    assert.deepEqual(dports(r('-p tcp -m multiport --destination-ports 1,2 -j ACCEPT'))?.ranges, [{ from: 1, to: 1 }, { from: 2, to: 2 }]);
    assert.deepEqual(dports(r('-p tcp -m tcp --dport :1024 -j ACCEPT'))?.ranges, [{ from: 0, to: 1024 }]);
    assert.deepEqual(dports(r('-p tcp -m tcp --dport 1024: -j ACCEPT'))?.ranges, [{ from: 1024, to: 65535 }]);
    assert.deepEqual(sports(r('-p tcp -m tcp --sport 80 -j ACCEPT'))?.ranges, [{ from: 80, to: 80 }]);
    assert.equal(sports(r('-p tcp -m tcp --dport 80 -j ACCEPT')), null);
  });

  it('reads negation in both positions', () => {
    assert.equal(dports(r('-p tcp -m tcp ! --dport 22 -j DROP'))?.negated, true);
    assert.equal(dports(r('-p tcp -m tcp --dport ! 22 -j DROP'))?.negated, true);
    assert.equal(dports(r('-p tcp -m multiport ! --dports 22,80 -j DROP'))?.negated, true);
  });

  it('is null without ports or with unreadable ones', () => {
    assert.equal(dports(r('-j ACCEPT')), null);
    assert.equal(dports(r('-p tcp -m tcp --dport http -j ACCEPT')), null);
    assert.equal(parsePortList('80,,81'), null);
    assert.equal(parsePortList('99999'), null);
  });

  it('tests a port against a match, negation included', () => {
    const m = dports(r('-p tcp -m multiport --dports 80,8000:8010 -j ACCEPT'));
    assert.ok(m);
    assert.deepEqual([80, 81, 8000, 8005, 8010, 8011].map((p) => portMatches(m, p)), [true, false, true, true, true, false]);
    const neg = dports(r('-p tcp -m tcp ! --dport 22 -j DROP'));
    assert.ok(neg);
    assert.deepEqual([portMatches(neg, 22), portMatches(neg, 80)], [false, true]);
  });
});
