import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseDockerProxyArgv, parseDockerProxyLines } from '../../src/core/parse/docker-proxy.js';

const fx = (name: string) => readFileSync(new URL(`../fixtures/parsers/${name}`, import.meta.url), 'utf8');

test('argv: classic single-dash flags', () => {
  const argv = '/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80'.split(' ');
  assert.deepEqual(parseDockerProxyArgv(argv, 1234), {
    pid: 1234,
    proto: 'tcp',
    hostIp: '0.0.0.0',
    hostPort: 8080,
    containerIp: '172.17.0.2',
    containerPort: 80,
    argv,
  });
});

test('argv: any order, --double dashes, -flag=value, -use-listen-fd, IPv6, defaults', () => {
  const p1 = parseDockerProxyArgv(
    ['docker-proxy', '-container-port', '53', '-use-listen-fd', '-container-ip', '172.17.0.5', '-host-port', '53', '-proto', 'udp', '-host-ip', '::'],
    null,
  );
  assert.equal(p1?.proto, 'udp');
  assert.equal(p1?.hostIp, '::');
  assert.equal(p1?.hostPort, 53);
  assert.equal(p1?.containerPort, 53);
  assert.equal(p1?.pid, null);

  const p2 = parseDockerProxyArgv(
    ['/usr/libexec/docker/docker-proxy', '--proto=sctp', '--host-ip=198.51.100.1', '--host-port=9000', '--container-ip=2001:db8:1::3', '--container-port=9001', '--use-listen-fd=true'],
    7,
  );
  assert.deepEqual([p2?.proto, p2?.hostIp, p2?.hostPort, p2?.containerIp, p2?.containerPort], ['sctp', '198.51.100.1', 9000, '2001:db8:1::3', 9001]);

  // Go defaults: proto tcp, host-ip 0.0.0.0. Flags alone (no program name) are fine too.
  const p3 = parseDockerProxyArgv(['-host-port', '1', '-container-ip', '172.17.0.9', '-container-port', '2'], null);
  assert.deepEqual([p3?.proto, p3?.hostIp], ['tcp', '0.0.0.0']);

  // Unknown flags from future engines are skipped; parsing stops at the first non-flag.
  const p4 = parseDockerProxyArgv(
    ['docker-proxy', '-new-flag', 'x', '-host-port', '1', '-container-ip', '172.17.0.9', '-container-port', '2', 'extra', '-host-port', '99'],
    null,
  );
  assert.equal(p4?.hostPort, 1);
});

test('argv: not a docker-proxy or missing/bad values give null', () => {
  const ok = ['-host-port', '1', '-container-ip', '172.17.0.9', '-container-port', '2'];
  assert.ok(parseDockerProxyArgv(['docker-proxy', ...ok], null));
  for (const argv of [
    [],
    ['nginx', ...ok],
    ['docker-proxy'],
    ['docker-proxy', '-host-port', '1', '-container-ip', '172.17.0.9'],
    ['docker-proxy', '-host-port', '70000', '-container-ip', '172.17.0.9', '-container-port', '2'],
    ['docker-proxy', '-host-port', '-1', '-container-ip', '172.17.0.9', '-container-port', '2'],
    ['docker-proxy', '-host-port', '1', '-container-ip', '172.17.0.999', '-container-port', '2'],
    ['docker-proxy', '-host-ip', 'localhost', ...ok],
    ['docker-proxy', '-proto', 'tcp;rm', ...ok],
    ['docker-proxy', ...ok, '-container-port'],
    ['docker-proxy', '---x', ...ok],
  ]) {
    assert.equal(parseDockerProxyArgv(argv, null), null, argv.join(' '));
  }
});

test('docker-proxy.txt (hand-made): pid prefix, comments, all variants', () => {
  const { proxies, issues } = parseDockerProxyLines(fx('docker-proxy.txt'));
  assert.deepEqual(issues, []);
  assert.deepEqual(
    proxies.map((p) => `${p.pid ?? '-'} ${p.proto} ${p.hostIp}:${p.hostPort} -> ${p.containerIp}:${p.containerPort}`),
    [
      '4301 tcp 0.0.0.0:8080 -> 172.17.0.2:80',
      '4302 tcp :::8080 -> 172.17.0.2:80',
      '4303 tcp 127.0.0.1:8443 -> 172.17.0.2:443',
      '4501 udp 198.51.100.7:53 -> 172.17.0.5:53',
      '- tcp 198.51.100.7:53 -> 172.17.0.5:53',
      '4600 tcp :::9000 -> 2001:db8:1::3:9000',
    ],
  );
  assert.equal(proxies[0]!.argv[0], '/usr/bin/docker-proxy');
  assert.equal(proxies[0]!.argv.length, 11);
});

test('docker-proxy.txt: bad lines become issues; junk, CRLF, 1 MB line, truncated', () => {
  const good = '/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80';
  const text = [
    good + '\r',
    'pid=abc ' + good,
    '/usr/bin/sleep 100',
    'x'.repeat(1_000_000),
    '\u0000\u0001\u0002 -host-port \u0000',
    good.slice(0, 60),
    '',
    'pid=9  ' + good,
  ].join('\n');
  const { proxies, issues } = parseDockerProxyLines(text, 'ps');
  assert.deepEqual(
    proxies.map((p) => p.pid),
    [null, 9],
  );
  assert.deepEqual(
    issues.map((i) => i.line),
    [2, 3, 4, 5, 6],
  );
  assert.match(issues[0]!.message, /bad pid prefix/);
  assert.match(issues[1]!.message, /not a docker-proxy command/);
  assert.match(issues[4]!.message, /no -container-ip|needs a value|no -host-port/);
  for (const i of issues) {
    assert.equal(i.source, 'ps');
    assert.ok(i.text.length <= 201);
    assert.ok(!i.text.includes('\u0000'));
  }
  assert.deepEqual(parseDockerProxyLines(''), { proxies: [], issues: [] });
});

for (const lab of ['main', 'alt']) {
  const at = new URL(`../fixtures/lab/${lab}/docker-proxy.txt`, import.meta.url);
  test(`lab ${lab} capture: docker-proxy.txt parses without issues`, { skip: !existsSync(at) }, () => {
    const text = readFileSync(at, 'utf8');
    const { proxies, issues } = parseDockerProxyLines(text);
    assert.deepEqual(issues, []);
    assert.equal(proxies.length, text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length);
    for (const p of proxies) assert.ok(p.hostPort > 0 && p.containerPort > 0 && ['tcp', 'udp', 'sctp'].includes(p.proto));
  });
}
