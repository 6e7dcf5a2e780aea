// The conntrack dump parser reads plain lines on a one-pass fast path and
// interns repeated strings (src/core/parse/conntrack.ts). Whatever path a line
// takes, the result must be what a straightforward parse of its
// whitespace-separated tokens gives. The reference below is written from the
// format description at the top of conntrack.ts, with split() and plain
// string operations, and no shared code; it answers Flow or null (a line the
// parser must report as an issue).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { parseConntrack, parseConntrackEvent } from '../../src/core/parse/conntrack.js';
import type { Flow, FlowTuple } from '../../src/core/types.js';

function refFamily(a: string): 4 | 6 | null {
  if (a.includes(':')) {
    if (a.includes('%') || !ipaddr.IPv6.isValid(a)) return null;
    // ipaddr accepts forms the kernel never prints; keep to RFC 4291 text.
    return /^[0-9a-fA-F:.]+$/.test(a) && a.length <= 45 && !/:::/.test(a) ? 6 : null;
  }
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(a) ? 4 : null;
}

const uint = (t: string | undefined): number | null => (t !== undefined && /^\d{1,15}$/.test(t) ? Number(t) : null);

/** Reference parse of one `conntrack -L` line (no event prefix). */
function reference(line: string): Flow | null {
  const tok = line.split(/[ \t\r]+/).filter((t) => t !== '');
  if (tok.length === 0 || tok.length > 4096) return null;
  let k = 0;
  let family: 4 | 6 | null = null;
  if (tok[0] === 'ipv4' || tok[0] === 'ipv6') {
    family = tok[0] === 'ipv4' ? 4 : 6;
    if (uint(tok[1]) === null) return null;
    k = 2;
  }
  const proto = tok[k++];
  if (proto === undefined || !/^[a-zA-Z0-9_-]{1,32}$/.test(proto)) return null;
  const protoNum = uint(tok[k++]);
  if (protoNum === null || protoNum > 255) return null;
  const timeout = uint(tok[k++]);
  if (timeout === null) return null;
  let state: string | null = null;
  const st = tok[k];
  if (st !== undefined && !st.startsWith('[') && !st.includes('=')) {
    if (!/^[A-Z0-9_]{1,32}$/.test(st)) return null;
    state = st;
    k++;
  }
  let orig: FlowTuple | null = null;
  let reply: FlowTuple | null = null;
  let cur: FlowTuple | null = null;
  let curIcmpId = false;
  const flags: string[] = [];
  let mark: number | null = null;
  let zone: number | null = null;
  let use: number | null = null;
  let id: number | null = null;
  for (; k < tok.length; k++) {
    const t = tok[k]!;
    if (t.startsWith('[')) {
      if (!t.endsWith(']') || t.length < 2) {
        // a bracket spanning tokens: skipped up to the token ending in ]
        let j = k + 1;
        while (j < tok.length && !tok[j]!.endsWith(']')) j++;
        if (j >= tok.length) return null;
        k = j;
        continue;
      }
      const inner = t.slice(1, -1);
      if (/^[A-Z0-9_]{1,32}$/.test(inner)) {
        if (inner !== 'USERSPACE' && !flags.includes(inner)) flags.push(inner);
      } else if (!inner.includes('=')) return null;
      continue;
    }
    const eq = t.indexOf('=');
    if (eq <= 0) return null;
    const key = t.slice(0, eq);
    const val = t.slice(eq + 1);
    if (key === 'src') {
      if (reply !== null) return null;
      cur = { src: val, dst: '', sport: null, dport: null };
      curIcmpId = false;
      if (orig === null) orig = cur;
      else reply = cur;
    } else if (key === 'dst') {
      if (cur === null) return null;
      cur.dst = val;
    } else if (['sport', 'dport', 'type', 'code', 'packets', 'bytes'].includes(key)) {
      if (cur === null) return null;
      const v = uint(val);
      if (v === null) return null;
      if (key === 'sport' || key === 'dport') {
        if (v > 65535) return null;
        cur[key] = v;
      } else if (key === 'type' || key === 'code') {
        if (v > 255) return null;
        cur.icmp ??= { type: 0, code: 0, id: 0 };
        cur.icmp[key] = v;
      } else cur[key as 'packets' | 'bytes'] = v;
    } else if (key === 'id') {
      const v = uint(val);
      if (v === null) return null;
      if (cur !== null && cur.icmp !== undefined && !curIcmpId) {
        cur.icmp.id = v;
        curIcmpId = true;
      } else id = v;
    } else if (key === 'mark' || key === 'zone' || key === 'use') {
      const v = uint(val);
      if (v === null) return null;
      if (key === 'mark') mark = v;
      else if (key === 'zone') zone = v;
      else use = v;
      cur = null;
    } else if (key === 'zone-orig') {
      const v = uint(val);
      if (v !== null && zone === null) zone = v;
      cur = null;
    } else if (key !== 'srckey' && key !== 'dstkey') cur = null;
  }
  if (orig === null || reply === null) return null;
  family ??= refFamily(orig.src);
  if (family === null) return null;
  for (const a of [orig.src, orig.dst, reply.src, reply.dst]) if (a === '' || refFamily(a) !== family) return null;
  return { family, proto, protoNum, timeout, state, orig, reply, flags, mark, zone, use, id };
}

/** parseConntrack of one line: the flow, or null when it gave an issue instead. */
function parsed(line: string): Flow | null {
  const { flows, issues } = parseConntrack(line);
  assert.equal(flows.length + issues.length, line.trim() === '' ? 0 : 1, `one flow or one issue for ${JSON.stringify(line)}`);
  return flows[0] ?? null;
}

function check(line: string): void {
  const want = reference(line);
  const got = parsed(line);
  assert.deepStrictEqual(got === null ? null : { ...got, flags: [...got.flags] }, want, JSON.stringify(line));
  // The event parser (token by token, no fast path) agrees whenever the line has a timeout.
  if (want !== null) {
    const ev = parseConntrackEvent(`[NEW] ${line}`);
    assert.ok(ev, JSON.stringify(line));
    assert.deepStrictEqual({ ...ev.flow, flags: [...ev.flow.flags] }, want);
  }
}

test('every line of every conntrack fixture parses as the reference does', () => {
  const dirs = ['../fixtures/parsers/', '../fixtures/lab/main/', '../fixtures/lab/alt/'];
  let n = 0;
  for (const d of dirs) {
    const dir = new URL(d, import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.startsWith('conntrack') && !x.includes('events'))) {
      for (const line of readFileSync(new URL(f, dir), 'utf8').split('\n')) {
        if (line.trim() === '' || line.startsWith('conntrack v')) continue;
        check(line);
        n++;
      }
    }
  }
  assert.ok(n > 50, `${n} lines checked`);
});

// Lines built from the real shapes, with every part that the fast path
// handles specially (prefix, state, flags, keys, numbers, addresses) varied
// and, now and then, broken.
const rarely = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });
const sp = rarely(fc.constantFrom(' ', '  ', '      '), fc.constantFrom('\t', ' \r '));
const port = rarely(fc.nat(65535).map(String), fc.constantFrom('', '007', '99999999999999999', '1e3', '-1', '65536', '4294967295'));
const small = rarely(fc.nat(255).map(String), fc.constantFrom('256', '', 'x'));
const v4 = rarely(
  fc.oneof(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')), fc.constantFrom('172.17.0.2', '203.0.113.130', '198.51.100.1')),
  fc.constantFrom('10.0.0.01', '1.2.3', '256.1.1.1', '1.2.3.4.5', '', 'x', '2001:db8::1'),
);
const v6 = rarely(fc.constantFrom('2001:db8::1', '2001:db8::2', 'fe80::1', '::1', '::', '2001:db8:0:0:0:0:0:1', '::ffff:1.2.3.4'), fc.constantFrom('2001:db8:::1', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '1.2.3.4'));
const ports = fc.tuple(port, port).map(([a, b]) => [`sport=${a}`, `dport=${b}`]);
const icmp = fc.tuple(small, small, fc.nat(65535)).map(([t, c, i]) => [`type=${t}`, `code=${c}`, `id=${i}`]);
const acct = fc.option(fc.tuple(fc.nat(1e9), fc.nat(1e12)).map(([p, b]) => [`packets=${p}`, `bytes=${b}`]), { nil: [] as string[] });
const odd = fc.constantFrom('srckey=0x1', 'dstkey=0x2', 'spor=1', 'sportx=1', 'bytesx=1', 'packetz=1', 'helper=ftp', 'zone-orix=1', 'ïd=1', 'sp\u00f6rt=1', 'secctx=system_u', '[UNREPLIED]', '[start=Mon', 'Nov', '23]', '=5', 'noequals', 'dst=', 'src=', '[]', '[assured]');
const extra = fc.array(rarely(fc.constantFrom('[ASSURED]', '[OFFLOAD]', '[USERSPACE]', '[UNREPLIED]'), odd), { maxLength: 2 });
const lineOf = (family: 4 | 6) => {
  const a = family === 4 ? v4 : v6;
  return fc
    .record({
      l3: fc.constantFrom(null, null, family === 4 ? ['ipv4', '2'] : ['ipv6', '10'], ['ipv4', 'x'], ['ipv6']),
      proto: rarely(fc.constantFrom(['tcp', '6'], ['udp', '17'], ['sctp', '132'], ['gre', '47'], ['unknown', '50'], ['icmp', '1']), fc.constantFrom(['tcp', '300'], ['t@p', '6'], ['tcp'])),
      timeout: rarely(fc.nat(432000).map((t) => [String(t)]), fc.constantFrom([], ['x'])),
      state: rarely(fc.constantFrom([], ['ESTABLISHED'], ['TIME_WAIT'], ['SYN_SENT']), fc.constantFrom(['Established'], ['[NEW]'])),
      body: fc.oneof(ports, icmp),
      o: fc.tuple(a, a, acct, extra),
      r: fc.option(fc.tuple(a, a, acct, extra), { freq: 12 }),
      rbody: fc.oneof(ports, icmp),
      tail: fc.array(rarely(fc.constantFrom('mark=0', 'use=1', 'zone=3', 'id=12345', 'zone-orig=4', 'mark=4294967295'), fc.constantFrom('src=1.2.3.4', 'mark=x', 'labels=0x1')), { maxLength: 4 }),
    })
    .map((r) => [
      ...(r.l3 ?? []), ...r.proto, ...r.timeout, ...r.state,
      `src=${r.o[0]}`, `dst=${r.o[1]}`, ...r.body, ...r.o[2], ...r.o[3],
      ...(r.r ? [`src=${r.r[0]}`, `dst=${r.r[1]}`, ...r.rbody, ...r.r[2], ...r.r[3]] : []),
      ...r.tail,
    ]);
};
const arbLine = fc.oneof({ weight: 4, arbitrary: lineOf(4) }, { weight: 1, arbitrary: lineOf(6) }).chain((toks) =>
  fc.array(sp, { minLength: toks.length, maxLength: toks.length }).map((seps) => toks.map((t, i) => (i === 0 ? t : seps[i]! + t)).join('')),
);

test('generated lines parse as the reference does (fast path or not)', () => {
  fc.assert(fc.property(arbLine, (line) => check(line)), { numRuns: 4000 });
});

test('many well-formed lines in one dump: the same flows as line by line, strings interned', () => {
  const lines = fc.sample(arbLine, { numRuns: 3000, seed: 42 }).filter((l) => reference(l) !== null);
  assert.ok(lines.length > 300, `${lines.length} well-formed lines`);
  const { flows, issues } = parseConntrack(lines.join('\n'));
  assert.equal(issues.length, 0);
  assert.equal(flows.length, lines.length);
  flows.forEach((f, i) => assert.deepStrictEqual({ ...f, flags: [...f.flags] }, reference(lines[i]!)));
  // Shared flag lists cannot be changed through one flow.
  const withFlag = flows.find((f) => f.flags.length > 0);
  if (withFlag) assert.throws(() => (withFlag.flags as string[]).push('X'));
});
