import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { isIPv4Text, isIPv6Text, parseConntrack, parseConntrackEvent } from '../../src/core/parse/conntrack.js';
import type { Flow } from '../../src/core/types.js';

const fx = (name: string) => readFileSync(new URL(`../fixtures/parsers/${name}`, import.meta.url), 'utf8');

function find(flows: Flow[], pred: (f: Flow) => boolean): Flow {
  const f = flows.find(pred);
  assert.ok(f, 'flow not found');
  return f;
}

// Real `conntrack -L` (conntrack-tools 1.4.7, kernel 6.x) from a scratch netns
// with accounting on; the summary line (stderr) was appended.
test('conntrack -L (real, accounting): every entry parses, summary ignored', () => {
  const { flows, issues } = parseConntrack(fx('conntrack-plain.txt'));
  assert.deepEqual(issues, []);
  assert.equal(flows.length, 24);

  const syn = find(flows, (f) => f.orig.src === '198.51.100.10');
  assert.equal(syn.family, 4);
  assert.equal(syn.proto, 'tcp');
  assert.equal(syn.protoNum, 6);
  assert.equal(syn.state, 'SYN_SENT');
  assert.equal(syn.mark, 42);
  assert.equal(syn.zone, 3);
  assert.equal(syn.use, 1);
  assert.equal(syn.id, null);
  assert.deepEqual(syn.orig, { src: '198.51.100.10', dst: '198.51.100.20', sport: 33333, dport: 443, packets: 0, bytes: 0 });
  assert.deepEqual(syn.reply, { src: '198.51.100.20', dst: '198.51.100.10', sport: 443, dport: 33333, packets: 0, bytes: 0 });
  assert.deepEqual(syn.flags, []);

  const tw = find(flows, (f) => f.orig.sport === 53534);
  assert.equal(tw.state, 'TIME_WAIT');
  assert.equal(tw.timeout, 108);
  assert.deepEqual(tw.flags, ['ASSURED']);
  assert.equal(tw.orig.packets, 7);
  assert.equal(tw.orig.bytes, 453);
  assert.equal(tw.reply.packets, 6);
  assert.equal(tw.reply.bytes, 1355);

  // DNAT-like entry: the reply comes from the container.
  const nat = find(flows, (f) => f.orig.src === '198.51.100.30');
  assert.equal(nat.reply.src, '172.17.0.2');
  assert.equal(nat.reply.sport, 80);
  assert.deepEqual(nat.flags, ['UNREPLIED', 'ASSURED']);

  const icmp = find(flows, (f) => f.proto === 'icmp' && f.orig.src === '198.51.100.1');
  assert.equal(icmp.state, null);
  assert.deepEqual(icmp.orig.icmp, { type: 8, code: 0, id: 4321 });
  assert.deepEqual(icmp.reply.icmp, { type: 0, code: 0, id: 4321 });
  assert.equal(icmp.orig.sport, null);

  const icmp6 = find(flows, (f) => f.proto === 'icmpv6' && f.orig.src === '2001:db8::1');
  assert.equal(icmp6.family, 6);
  assert.equal(icmp6.protoNum, 58);
  assert.deepEqual(icmp6.orig.icmp, { type: 128, code: 0, id: 777 });

  const udp6 = find(flows, (f) => f.proto === 'udp' && f.zone === 7);
  assert.equal(udp6.family, 6);
  assert.equal(udp6.orig.dst, '2001:db8::53');

  const gre = find(flows, (f) => f.proto === 'gre');
  assert.equal(gre.protoNum, 47);
  assert.equal(gre.orig.sport, null);

  const unknown = find(flows, (f) => f.proto === 'unknown');
  assert.equal(unknown.protoNum, 50);
  assert.equal(unknown.state, null);

  const sctp = find(flows, (f) => f.proto === 'sctp');
  assert.equal(sctp.state, 'ESTABLISHED');
  assert.equal(find(flows, (f) => f.proto === 'udplite').protoNum, 136);
  assert.equal(find(flows, (f) => f.proto === 'dccp').state, null);

  const big = find(flows, (f) => f.orig.src === '198.51.100.50');
  assert.equal(big.mark, 4294967295);
  assert.equal(big.zone, 65535);
});

test('conntrack -L -o extended / -o id / -o extended,id,timestamp (real) agree with plain', () => {
  const strip = (fs: Flow[]) =>
    fs.map((f) => ({ ...f, timeout: 0, id: null })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const plain = parseConntrack(fx('conntrack-plain.txt')).flows;
  for (const name of ['conntrack-extended.txt', 'conntrack-id.txt', 'conntrack-extended-id-timestamp.txt']) {
    const { flows, issues } = parseConntrack(fx(name), name);
    assert.deepEqual(issues, [], name);
    assert.equal(flows.length, 24, name);
    assert.deepEqual(strip(flows), strip(plain), name);
  }
  const withId = parseConntrack(fx('conntrack-extended-id-timestamp.txt')).flows;
  assert.ok(withId.every((f) => typeof f.id === 'number'));
  // icmp: the tuple id= and the conntrack id= are told apart.
  const icmp = find(withId, (f) => f.proto === 'icmp' && f.orig.src === '198.51.100.1');
  assert.equal(icmp.orig.icmp?.id, 4321);
  assert.equal(icmp.reply.icmp?.id, 4321);
  assert.equal(icmp.id, 3620146256);
  assert.equal(find(withId, (f) => f.orig.sport === 53534).id, 3529479878);
});

test('hand-made: secctx, helper, labels, OFFLOAD flags, zone-orig, bracketed timestamps, long IPv6', () => {
  const { flows, issues } = parseConntrack(fx('conntrack-handmade.txt'));
  assert.deepEqual(issues, []);
  assert.equal(flows.length, 5);
  assert.equal(flows[0]!.use, 2);
  assert.deepEqual(flows[1]!.flags, ['OFFLOAD']);
  assert.deepEqual(flows[2]!.flags, ['HW_OFFLOAD']);
  assert.equal(flows[2]!.zone, 4);
  assert.equal(flows[3]!.use, 1);
  assert.deepEqual(flows[3]!.flags, []);
  assert.equal(flows[4]!.family, 6);
  assert.equal(flows[4]!.orig.dst, '2001:db8:0:0:0:0:0:67');
});

test('conntrack -E (real): every event line parses', () => {
  for (const [name, counts] of [
    ['conntrack-events.txt', [25, 29, 2]],
    ['conntrack-events-timestamp-extended-id.txt', [25, 29, 2]],
    ['conntrack-events-timestamp.txt', [2, 6, 1]],
  ] as const) {
    const seen = { NEW: 0, UPDATE: 0, DESTROY: 0 };
    for (const line of fx(name).split('\n')) {
      if (line.trim() === '' || line.startsWith('conntrack v')) {
        assert.equal(parseConntrackEvent(line), null);
        continue;
      }
      const ev = parseConntrackEvent(line);
      assert.ok(ev, `${name}: ${line}`);
      seen[ev.event]++;
      assert.ok(!ev.flow.flags.includes('USERSPACE'));
    }
    assert.deepEqual([seen.NEW, seen.UPDATE, seen.DESTROY], counts, name);
  }
});

test('conntrack -E: specific lines', () => {
  const n = parseConntrackEvent(
    '    [NEW] tcp      6 120 SYN_SENT src=198.51.100.1 dst=198.51.100.2 sport=42698 dport=8080 [UNREPLIED] src=198.51.100.2 dst=198.51.100.1 sport=8080 dport=42698',
  );
  assert.equal(n?.event, 'NEW');
  assert.equal(n?.flow.state, 'SYN_SENT');
  assert.deepEqual(n?.flow.flags, ['UNREPLIED']);
  assert.equal(n?.flow.orig.packets, undefined);

  const d = parseConntrackEvent(
    '[1795454203.658282]\t[DESTROY] ipv4     2 tcp      6 120 CLOSE src=198.51.100.1 dst=198.51.100.2 sport=54134 dport=9 packets=1 bytes=60 [UNREPLIED] src=198.51.100.2 dst=198.51.100.1 sport=9 dport=54134 packets=1 bytes=40 id=136974810',
  );
  assert.equal(d?.event, 'DESTROY');
  assert.equal(d?.flow.id, 136974810);
  assert.equal(d?.flow.reply.bytes, 40);

  // Older kernels send DESTROY without a timeout.
  const old = parseConntrackEvent(
    '[DESTROY] udp      17 src=198.51.100.1 dst=198.51.100.2 sport=1 dport=2 src=198.51.100.2 dst=198.51.100.1 sport=2 dport=1',
  );
  assert.equal(old?.flow.timeout, 0);
  assert.equal(old?.flow.proto, 'udp');

  const u = parseConntrackEvent(
    ' [UPDATE] tcp      6 49 ESTABLISHED src=198.51.100.40 dst=198.51.100.41 sport=1234 dport=80 [UNREPLIED] src=198.51.100.41 dst=198.51.100.40 sport=80 dport=1234 [ASSURED] mark=7 [USERSPACE] portid=3540505483',
  );
  assert.equal(u?.flow.mark, 7);
  assert.deepEqual(u?.flow.flags, ['UNREPLIED', 'ASSURED']);

  assert.equal(parseConntrackEvent(''), null);
  assert.equal(parseConntrackEvent('[NEW] garbage'), null);
  assert.equal(parseConntrackEvent('tcp 6 120 SYN_SENT src=198.51.100.1 dst=198.51.100.2 src=198.51.100.2 dst=198.51.100.1'), null);
  assert.equal(parseConntrackEvent('\u0000\u0001[NEW]\u0000'), null);
});

test('bad lines become issues with line numbers; the rest still parses', () => {
  const good = 'udp      17 26 src=198.51.100.1 dst=198.51.100.2 sport=40000 dport=5353 src=198.51.100.2 dst=198.51.100.1 sport=5353 dport=40000 mark=0 use=1';
  const bad = [
    'tcp      6 ESTABLISHED src=198.51.100.1 dst=198.51.100.2', // no timeout
    'tcp      6 10 ESTABLISHED src=198.51.100.1 dst=198.51.100.2 sport=1 dport=2', // no reply
    'tcp      6 10 ESTABLISHED src=198.51.100.1 dst=2001:db8::1 sport=1 dport=2 src=2001:db8::1 dst=198.51.100.1 sport=2 dport=1', // mixed
    'tcp      6 10 ESTABLISHED src=198.51.100.1 dst=198.51.100.2 sport=70000 dport=2 src=198.51.100.2 dst=198.51.100.1 sport=2 dport=1',
    'tcp      6 10 ESTABLISHED src=198.51.100.300 dst=198.51.100.2 sport=1 dport=2 src=198.51.100.2 dst=198.51.100.1 sport=2 dport=1',
    'tcp      6 10 ESTABLISHED src=198.51.100.1 dst=198.51.100.2 sport=1 dport=2 src=198.51.100.2 dst=198.51.100.1 sport=2 dport=1 mark=-1',
    'ipv4     x tcp 6 10',
    'hello world',
    'tcp      6 10 ESTABLISHED src=198.51.100.1 dst=198.51.100.2 sport=1 dport=2 [UNREPLI',
  ];
  const text = [good, ...bad, good].join('\n') + '\n';
  const { flows, issues } = parseConntrack(text, 'conntrack -L');
  assert.equal(flows.length, 2);
  assert.equal(issues.length, bad.length);
  assert.deepEqual(
    issues.map((i) => i.line),
    bad.map((_, k) => k + 2),
  );
  for (const i of issues) {
    assert.equal(i.source, 'conntrack -L');
    assert.ok(i.message.length > 0);
  }
  assert.match(issues[0]!.message, /timeout/);
  assert.match(issues[1]!.message, /reply/);
  assert.match(issues[2]!.message, /IPv4/);
  assert.match(issues[3]!.message, /sport=70000/);
  assert.match(issues[4]!.message, /not an IP address/);
});

test('hostile input: 1 MB line, binary junk with NULs, CRLF, truncated mid-line', () => {
  const good = 'tcp      6 10 ESTABLISHED src=198.51.100.1 dst=198.51.100.2 sport=1 dport=2 src=198.51.100.2 dst=198.51.100.1 sport=2 dport=1 [ASSURED] mark=0 use=1';
  const huge = 'tcp 6 10 ESTABLISHED ' + 'src=198.51.100.1 '.repeat(60_000);
  const huge2 = 'x'.repeat(1_000_000);
  let seed = 7;
  const junkChars: string[] = [];
  for (let k = 0; k < 5000; k++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    junkChars.push(String.fromCharCode(seed % 256));
  }
  const junk = junkChars.join('').replace(/\n/g, '\u0000');
  const text = [good, huge, huge2, junk, good + '\r', good.slice(0, 70)].join('\n');
  const { flows, issues } = parseConntrack(text);
  assert.equal(flows.length, 2);
  assert.equal(issues.length, 4);
  for (const i of issues) {
    assert.ok(i.text.length <= 201, `issue text cut (${i.text.length})`);
    assert.ok(!i.text.includes('\u0000'));
  }
  assert.equal(issues[3]!.line, 6);
  assert.deepEqual(parseConntrack(''), { flows: [], issues: [] });
  assert.deepEqual(parseConntrack('\n\n'), { flows: [], issues: [] });
});

test('100,000 generated lines parse in one pass', () => {
  const lines: string[] = [];
  for (let k = 0; k < 100_000; k++) {
    const a = `198.51.100.${k % 250}`;
    const p = 1024 + (k % 60000);
    if (k % 10 === 0) {
      lines.push(
        `ipv6     10 tcp      6 ${k % 500} ESTABLISHED src=2001:db8::${(k % 65535).toString(16)} dst=2001:db8::1 sport=${p} dport=443 packets=${k} bytes=${k * 60} src=2001:db8::1 dst=2001:db8::${(k % 65535).toString(16)} sport=443 dport=${p} packets=${k} bytes=${k * 80} [ASSURED] mark=0 use=1 id=${k}`,
      );
    } else if (k % 3 === 0) {
      lines.push(
        `udp      17 ${k % 30} src=${a} dst=198.51.100.254 sport=${p} dport=53 packets=1 bytes=60 [UNREPLIED] src=198.51.100.254 dst=${a} sport=53 dport=${p} packets=0 bytes=0 mark=0 zone=2 use=1`,
      );
    } else {
      lines.push(
        `tcp      6 ${k % 432000} ESTABLISHED src=${a} dst=198.51.100.254 sport=${p} dport=8080 packets=10 bytes=900 src=172.17.0.2 dst=${a} sport=80 dport=${p} packets=8 bytes=4000 [ASSURED] mark=0 use=1`,
      );
    }
  }
  lines.push('conntrack v1.4.7 (conntrack-tools): 100000 flow entries have been shown.');
  const text = lines.join('\n') + '\n';
  const t0 = performance.now();
  const { flows, issues } = parseConntrack(text);
  const ms = performance.now() - t0;
  console.log(`parseConntrack: 100000 lines (${(text.length / 1e6).toFixed(1)} MB) in ${ms.toFixed(0)} ms`);
  assert.equal(issues.length, 0);
  assert.equal(flows.length, 100_000);
  assert.equal(flows.filter((f) => f.family === 6).length, 10_000);
});

test('isIPv4Text / isIPv6Text agree with ipaddr.js', async () => {
  const fc = (await import('fast-check')).default;
  const ipaddr = (await import('ipaddr.js')).default;
  const v4 = (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s) && !/(^|\.)0[0-9]/.test(s);
  const v6 = (s: string) => ipaddr.IPv6.isValid(s) && !s.includes('%');
  fc.assert(fc.property(fc.ipV4(), (s) => isIPv4Text(s) === v4(s)));
  fc.assert(fc.property(fc.ipV6(), (s) => isIPv6Text(s) === v6(s)));
  const near = fc.stringMatching(/^[0-9a-fA-F:.]{0,46}$/);
  fc.assert(fc.property(near, (s) => isIPv6Text(s) === (s.includes(':') && v6(s))), { numRuns: 3000 });
  fc.assert(fc.property(near, (s) => isIPv4Text(s) === v4(s)), { numRuns: 3000 });
  for (const s of ['1.2.3.4', '255.255.255.255', '::', '::1', '2001:db8::1', '::ffff:198.51.100.1', '1:2:3:4:5:6:7:8'])
    assert.ok(isIPv4Text(s) || isIPv6Text(s), s);
  for (const s of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', ''])
    assert.ok(!isIPv4Text(s) && !isIPv6Text(s), s);
});

// Real captures from the Docker lab (scripts/lab capture), when present.
for (const lab of ['main', 'alt']) {
  const at = new URL(`../fixtures/lab/${lab}/conntrack.txt`, import.meta.url);
  test(`lab ${lab} capture: conntrack.txt parses without issues`, { skip: !existsSync(at) }, () => {
    const text = readFileSync(at, 'utf8');
    const { flows, issues } = parseConntrack(text);
    assert.deepEqual(issues, []);
    const entries = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('conntrack v')).length;
    assert.equal(flows.length, entries);
    // Published ports: DNATed flows whose reply comes from a container address.
    assert.ok(flows.some((f) => f.family === 4 && f.reply.src.startsWith('172.') && f.orig.dst !== f.reply.src));
    for (const f of flows) {
      assert.ok(f.orig.src !== '' && f.reply.dst !== '');
      if (f.proto === 'tcp') assert.ok(f.state !== null && f.orig.sport !== null);
    }
  });
}
