// `portcullis explain` and `portcullis findings` end to end on a capture directory (--from).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.tsx', import.meta.url));
const LAB = fileURLToPath(new URL('../fixtures/lab/main', import.meta.url));

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('portcullis explain', () => {
  it('text: each rule with its result, the verdict and the deciding rule', () => {
    const r = cli(['explain', '--from', LAB, '--src', '203.0.113.9', '--iface', 'ext0', '--dst', '198.51.100.1:8080/tcp']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\[iptables nat PREROUTING\]/);
    assert.match(r.out, /no match: -i docker0: came in on ext0/);
    assert.match(r.out, /VERDICT: DELIVERED: delivered to container web \(172\.17\.0\.2:80\) on docker0 through filter FORWARD/);
    assert.match(r.out, /deciding rule: filter DOCKER #1/);
  });
  it('--brief leaves out the rules that do not match', () => {
    const r = cli(['explain', '--from', LAB, '--src', '203.0.113.9', '--iface', 'ext0', '--dst', '8080', '--brief']);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /no match/);
  });
  it('--json: an array with the verdict and every step', () => {
    const r = cli(['explain', '--from', LAB, '--src', '2001:db8:ff::10', '--dst', 'web:80', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.length, 1, 'web has one IPv6 binding: [::]:8080 (docker-proxy)');
    assert.equal(j[0].verdict.kind, 'delivered');
    assert.equal(j[0].verdict.route, 'docker-proxy');
    assert.equal(j[0].delivered, true);
    assert.ok(j[0].routes[0].steps.length > 0);
  });
  it('bad arguments exit 2', () => {
    assert.equal(cli(['explain', '--from', LAB, '--src', 'nope', '--dst', '8080']).code, 2);
    assert.equal(cli(['explain', '--from', LAB, '--src', '203.0.113.9', '--dst', '99999']).code, 2);
    assert.equal(cli(['explain', '--from', LAB, '--src', '203.0.113.9', '--dst', 'ghost:80']).code, 2);
    assert.equal(cli(['explain', '--from', LAB, '--src', '203.0.113.9', '--dst', '[2001:db8:ff::1]:80']).code, 2);
    assert.equal(cli(['explain', '--from', LAB, '--src', '203.0.113.9', '--dst', '8080', '--mark', 'x']).code, 2);
  });
});

describe('portcullis findings', () => {
  it('text and --json', () => {
    const t = cli(['findings', '--from', LAB]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /\[WARN\] FORWARD policy ACCEPT \(IPv4\)/);
    assert.match(t.out, /findings: 0 critical, 1 warn, \d+ info/);
    const j = JSON.parse(cli(['findings', '--from', LAB, '--json', '--min-severity', 'warn']).out);
    assert.deepEqual(j.findings.map((f: { kind: string }) => f.kind), ['forward-policy-accept']);
    assert.equal(cli(['findings', '--from', LAB, '--min-severity', 'loud']).code, 2);
  });
});
