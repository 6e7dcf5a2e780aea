// Parser for `conntrack -L` (plain, `-o extended`, `-o id`, with accounting)
// and for `conntrack -E` event lines (optionally `-o timestamp`).
//
// Formats seen from conntrack-tools 1.4.7 (kernel 6.x), one entry a line:
//
//   tcp      6 115 TIME_WAIT src=A dst=B sport=1 dport=2 packets=7 bytes=594
//       src=B dst=A sport=2 dport=1 packets=6 bytes=1126 [ASSURED] mark=0 use=1
//   ipv4     2 udp      17 26 src=.. [UNREPLIED] src=.. mark=0 zone=3 use=1 id=3461637129
//   icmp     1 26 src=A dst=B type=8 code=0 id=4321 src=B dst=A type=0 code=0 id=4321 mark=0 use=1
//   gre      47 99 src=A dst=B srckey=0x1 dstkey=0x2 [UNREPLIED] src=.. mark=0 use=1
//   unknown  50 99 src=A dst=B [UNREPLIED] src=B dst=A mark=0 use=1
//   [1795454203.420229]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=.. [USERSPACE] portid=5827 progname=conntrack
//
// Layout: [l3name l3num] l4name l4num [timeout] [STATE] tuple [flags] tuple
// [flags] key=value... The first `src=` opens the original tuple, the second
// the reply tuple; `sport/dport/type/code/packets/bytes` belong to the open
// tuple. `id=` is the ICMP id inside an icmp tuple that has no id yet, else
// the conntrack id (`-o id`). Bracketed words become flags (USERSPACE, an
// event annotation, is left out); bracketed timestamps (`[start=Mon Nov ..]`)
// are skipped. Unknown keys (secctx=, labels=, helper=, delta-time=, zone-orig=,
// portid=, progname=, ...) are accepted and ignored. The trailing
// `conntrack v1.4.7 (conntrack-tools): N flow entries have been shown.` line
// and blank lines are ignored.
//
// Single pass: a hand-written scanner walks each line by index (no regular
// expressions, so no backtracking on hostile input, and no per-token
// strings: only addresses, protocol, state and flags are ever sliced out).
//
// Pure: text in, objects out.

import type { Family, Flow, FlowTuple, ParseIssue } from '../types.js';
import { cutText } from './json-util.js';

export type ConntrackEventKind = 'NEW' | 'UPDATE' | 'DESTROY';

/** Bracketed words that annotate an event rather than describe the flow. */
const NOT_FLAGS = new Set(['USERSPACE']);

// ---------------------------------------------------------------- scanner
//
// A line is first cut into token bounds (start/end index pairs in a reused
// Int32Array); everything after works on indices into the text, passed as
// arguments so the JIT keeps them in registers.

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** Bounds of at most MAX_TOKENS tokens of a line. */
const MAX_TOKENS = 4096;

/**
 * Token bounds of s[from, lim) into `b` (b[2k], b[2k+1]); returns the token
 * count, or -1 when the line has more than MAX_TOKENS tokens.
 */
function tokenBounds(s: string, from: number, lim: number, b: Int32Array): number {
  let n = 0;
  let i = from;
  while (i < lim) {
    let c = s.charCodeAt(i);
    while (isSpace(c) && ++i < lim) c = s.charCodeAt(i);
    if (i >= lim) break;
    if (n === MAX_TOKENS) return -1;
    b[2 * n] = i;
    while (++i < lim && !isSpace(s.charCodeAt(i)));
    b[2 * n + 1] = i;
    n++;
  }
  return n;
}

function quote(s: string, a: number, b: number): string {
  const t = s.slice(a, Math.min(b, a + 80));
  return JSON.stringify(b - a > 80 ? t + '…' : t);
}

/** Non-negative decimal integer in s[a, b), or null. */
function uintAt(s: string, a: number, b: number): number | null {
  if (b <= a || b - a > 15) return null;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** s[a, b) is [a-zA-Z0-9_-]+ (a protocol name). */
function isWordAt(s: string, a: number, b: number): boolean {
  if (b <= a || b - a > 32) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45)) return false;
  }
  return true;
}

/** s[a, b) is [A-Z0-9_]+, the shape of conntrack states and flags. */
function isUpperAt(s: string, a: number, b: number): boolean {
  if (b <= a || b - a > 32) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95)) return false;
  }
  return true;
}

/** Index of '=' in s[a, b), or -1. */
function eqAt(s: string, a: number, b: number): number {
  for (let i = a; i < b; i++) if (s.charCodeAt(i) === 61) return i;
  return -1;
}

// Keys of the key=value fields, dispatched without slicing the token.
const K_OTHER = 0, K_SRC = 1, K_DST = 2, K_SPORT = 3, K_DPORT = 4, K_PACKETS = 5, K_BYTES = 6;
const K_TYPE = 7, K_CODE = 8, K_ID = 9, K_MARK = 10, K_ZONE = 11, K_USE = 12, K_ZONE_ORIG = 13, K_GRE_KEY = 14;

function keyOf(s: string, at: number, eq: number): number {
  switch (eq - at) {
    case 2:
      return s.startsWith('id', at) ? K_ID : K_OTHER;
    case 3:
      if (s.startsWith('src', at)) return K_SRC;
      if (s.startsWith('dst', at)) return K_DST;
      if (s.startsWith('use', at)) return K_USE;
      return K_OTHER;
    case 4:
      if (s.startsWith('type', at)) return K_TYPE;
      if (s.startsWith('code', at)) return K_CODE;
      if (s.startsWith('mark', at)) return K_MARK;
      if (s.startsWith('zone', at)) return K_ZONE;
      return K_OTHER;
    case 5:
      if (s.startsWith('sport', at)) return K_SPORT;
      if (s.startsWith('dport', at)) return K_DPORT;
      if (s.startsWith('bytes', at)) return K_BYTES;
      return K_OTHER;
    case 6:
      return s.startsWith('srckey', at) || s.startsWith('dstkey', at) ? K_GRE_KEY : K_OTHER;
    case 7:
      return s.startsWith('packets', at) ? K_PACKETS : K_OTHER;
    case 9:
      return s.startsWith('zone-orig', at) ? K_ZONE_ORIG : K_OTHER;
    default:
      return K_OTHER;
  }
}

// ---------------------------------------------------------------- addresses

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * Dotted-quad IPv4 (no leading zeros). Hand-rolled because this runs four
 * times per entry: ipaddr.js is ~10x slower on 100k-entry tables. The tests
 * check it against ipaddr.js.
 */
export function isIPv4Text(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let i = 0;
  while (i <= n) {
    let v = 0;
    let digits = 0;
    const startDigit = s.charCodeAt(i);
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || v > 255 || (digits > 1 && startDigit === 48)) return false;
    parts++;
    if (i === n) break;
    if (s.charCodeAt(i) !== 46 /* . */ || parts === 4) return false;
    i++;
  }
  return parts === 4;
}

/** IPv6 text form (RFC 4291 2.2, with an optional dotted-quad tail; no zone id). */
export function isIPv6Text(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return false;
  const parts = dbl === -1 ? [s] : [s.slice(0, dbl), s.slice(dbl + 2)];
  let groups = 0;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (part === '') continue;
    const gs = part.split(':');
    for (let g = 0; g < gs.length; g++) {
      const x = gs[g]!;
      if (p === parts.length - 1 && g === gs.length - 1 && x.includes('.')) {
        if (!isIPv4Text(x)) return false;
        groups += 2;
        continue;
      }
      if (x.length < 1 || x.length > 4) return false;
      for (let k = 0; k < x.length; k++) if (!isHexDigit(x.charCodeAt(k))) return false;
      groups++;
    }
  }
  return dbl === -1 ? groups === 8 : groups <= 7;
}

function addressFamily(addr: string): Family | null {
  if (addr.includes(':')) return isIPv6Text(addr) ? 6 : null;
  return isIPv4Text(addr) ? 4 : null;
}

// ---------------------------------------------------------------- entries

function newTuple(src: string): FlowTuple {
  return { src, dst: '', sport: null, dport: null };
}

/**
 * Parse the entry made of tokens k0.. of `s` (bounds in `b`, `n` tokens;
 * after any event prefix). Returns the Flow or a message saying what was
 * wrong. `allowNoTimeout`: old kernels send DESTROY events without a
 * timeout; the flow then gets timeout 0.
 */
function parseEntry(s: string, b: Int32Array, n: number, k0: number, allowNoTimeout: boolean): Flow | string {
  let k = k0;
  let family: Family | null = null;
  // Bounds of token k, or an empty range past the end.
  const A = (j: number) => (j < n ? b[2 * j]! : 0);
  const B = (j: number) => (j < n ? b[2 * j + 1]! : 0);

  if (k >= n) return 'empty entry';
  if (B(k) - A(k) === 4 && (s.startsWith('ipv4', A(k)) || s.startsWith('ipv6', A(k)))) {
    family = s.charCodeAt(A(k) + 3) === 52 ? 4 : 6;
    if (uintAt(s, A(k + 1), B(k + 1)) === null) {
      return `expected the layer-3 protocol number after ipv${family}, got ${quote(s, A(k + 1), B(k + 1))}`;
    }
    k += 2;
  }

  if (!isWordAt(s, A(k), B(k))) return `expected a protocol name, got ${quote(s, A(k), B(k))}`;
  const proto = s.slice(A(k), B(k));
  k++;
  const protoNum = uintAt(s, A(k), B(k));
  if (protoNum === null || protoNum > 255) return `expected the protocol number after ${proto}, got ${quote(s, A(k), B(k))}`;
  k++;

  let timeout = uintAt(s, A(k), B(k));
  if (timeout !== null) k++;
  else if (allowNoTimeout) timeout = 0;
  else return `expected the timeout after "${proto} ${protoNum}", got ${quote(s, A(k), B(k))}`;

  let state: string | null = null;
  if (k < n && s.charCodeAt(A(k)) !== 91 /* [ */ && eqAt(s, A(k), B(k)) < 0) {
    if (!isUpperAt(s, A(k), B(k))) return `unexpected ${quote(s, A(k), B(k))} where a state or src= was expected`;
    state = s.slice(A(k), B(k));
    k++;
  }

  let orig: FlowTuple | null = null;
  let reply: FlowTuple | null = null;
  let cur: FlowTuple | null = null;
  /** The open tuple already has its icmp id (the next id= is the conntrack id). */
  let curIcmpId = false;
  const flags: string[] = [];
  let mark: number | null = null;
  let zone: number | null = null;
  let use: number | null = null;
  let id: number | null = null;

  for (; k < n; k++) {
    const ta = b[2 * k]!;
    const tb = b[2 * k + 1]!;
    if (s.charCodeAt(ta) === 91 /* [ */) {
      if (s.charCodeAt(tb - 1) !== 93 /* ] */ || tb - ta < 2) {
        // `[start=Mon Nov 23 17:16:59 2026]`: a bracket spanning tokens.
        let j = k + 1;
        while (j < n && s.charCodeAt(b[2 * j + 1]! - 1) !== 93) j++;
        if (j >= n) return `unterminated ${quote(s, ta, tb)}`;
        k = j;
        continue;
      }
      if (isUpperAt(s, ta + 1, tb - 1)) {
        const flag = s.slice(ta + 1, tb - 1);
        if (!NOT_FLAGS.has(flag) && !flags.includes(flag)) flags.push(flag);
      } else if (eqAt(s, ta + 1, tb - 1) < 0) return `unexpected ${quote(s, ta, tb)}`;
      continue;
    }
    const eq = eqAt(s, ta, tb);
    if (eq <= ta) return `unexpected ${quote(s, ta, tb)} (expected key=value)`;
    const key = keyOf(s, ta, eq);
    const v0 = eq + 1;
    switch (key) {
      case K_SRC:
        if (reply !== null) return 'more than two src= tuples';
        cur = { src: s.slice(v0, tb), dst: '', sport: null, dport: null };
        curIcmpId = false;
        if (orig === null) orig = cur;
        else reply = cur;
        break;
      case K_DST:
        if (cur === null) return 'dst= outside a src=/dst= tuple';
        cur.dst = s.slice(v0, tb);
        break;
      case K_SPORT:
      case K_DPORT:
      case K_TYPE:
      case K_CODE:
      case K_PACKETS:
      case K_BYTES: {
        if (cur === null) return `${s.slice(ta, eq)}= outside a src=/dst= tuple`;
        const v = uintAt(s, v0, tb);
        if (v === null) return `${quote(s, ta, tb)} is not a number`;
        if (key === K_SPORT || key === K_DPORT) {
          if (v > 65535) return `${quote(s, ta, tb)} out of range`;
          if (key === K_SPORT) cur.sport = v;
          else cur.dport = v;
        } else if (key === K_TYPE || key === K_CODE) {
          if (v > 255) return `${quote(s, ta, tb)} out of range`;
          cur.icmp ??= { type: 0, code: 0, id: 0 };
          if (key === K_TYPE) cur.icmp.type = v;
          else cur.icmp.code = v;
        } else if (key === K_PACKETS) cur.packets = v;
        else cur.bytes = v;
        break;
      }
      case K_ID: {
        const v = uintAt(s, v0, tb);
        if (v === null) return `${quote(s, ta, tb)} is not a number`;
        if (cur !== null && cur.icmp !== undefined && !curIcmpId) {
          cur.icmp.id = v;
          curIcmpId = true;
        } else id = v;
        break;
      }
      case K_MARK:
      case K_ZONE:
      case K_USE: {
        const v = uintAt(s, v0, tb);
        if (v === null) return `${quote(s, ta, tb)} is not a number`;
        if (key === K_MARK) mark = v;
        else if (key === K_ZONE) zone = v;
        else use = v;
        cur = null;
        break;
      }
      case K_ZONE_ORIG: {
        const v = uintAt(s, v0, tb);
        if (v !== null && zone === null) zone = v;
        cur = null;
        break;
      }
      case K_GRE_KEY:
        break; // gre srckey/dstkey stay inside the tuple
      default:
        cur = null; // secctx=, labels=, helper=, delta-time=, ...: the tuple is over
        break;
    }
  }

  if (orig === null) return 'no src= tuple';
  if (reply === null) return 'no reply tuple (second src=)';
  family ??= addressFamily(orig.src);
  if (family === null) return `${JSON.stringify(orig.src.slice(0, 80))} in the original tuple is not an IP address`;
  const bad =
    checkAddr(orig.src, 'original', family) ??
    checkAddr(orig.dst, 'original', family) ??
    checkAddr(reply.src, 'reply', family) ??
    checkAddr(reply.dst, 'reply', family);
  if (bad !== null) return bad;

  return { family, proto, protoNum, timeout, state, orig, reply, flags, mark, zone, use, id };
}

/** null when `addr` is an address of the entry's family, else the problem. */
function checkAddr(addr: string, tuple: string, family: Family): string | null {
  if (addr === '') return `the ${tuple} tuple has no dst=`;
  const f = addressFamily(addr);
  if (f === null) return `${JSON.stringify(addr.slice(0, 80))} in the ${tuple} tuple is not an IP address`;
  if (f !== family) return `${addr} is not IPv${family} like the rest of the entry`;
  return null;
}

// ---------------------------------------------------------------- API

/**
 * Parse `conntrack -L` output (any of plain, `-o extended`, `-o id`,
 * `-o timestamp`, with or without accounting). Every line that is not a flow
 * gives a ParseIssue and parsing goes on.
 */
export function parseConntrack(text: string, source = 'conntrack.txt'): { flows: Flow[]; issues: ParseIssue[] } {
  const flows: Flow[] = [];
  const issues: ParseIssue[] = [];
  const bounds = new Int32Array(2 * MAX_TOKENS);
  const len = text.length;
  let lineNo = 0;
  let pos = 0;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    lineNo++;
    const start = pos;
    pos = end + 1;
    const n = tokenBounds(text, start, end, bounds);
    if (n === 0) continue; // blank line
    // `conntrack v1.4.7 (conntrack-tools): N flow entries have been shown.`
    if (n > 0 && bounds[1]! - bounds[0]! === 9 && text.startsWith('conntrack v', bounds[0]!)) continue;
    const res = n < 0 ? `more than ${MAX_TOKENS} fields` : parseEntry(text, bounds, n, 0, false);
    if (typeof res === 'string') {
      issues.push({ source, line: lineNo, text: cutText(text.slice(start, Math.min(end, start + 1000)).trim()), message: res });
    } else flows.push(res);
  }
  return { flows, issues };
}

/** Token bounds reused by parseConntrackEvent (synchronous, so never shared). */
const EVENT_BOUNDS = new Int32Array(2 * MAX_TOKENS);

/**
 * Parse one `conntrack -E` line: `    [NEW] tcp 6 120 SYN_SENT src=...`,
 * optionally prefixed by the `-o timestamp` stamp
 * `[1700000000.123456]\t`. Returns null for anything else (summary lines,
 * blank lines, malformed entries).
 */
export function parseConntrackEvent(line: string): { event: ConntrackEventKind; flow: Flow } | null {
  const b = EVENT_BOUNDS;
  const n = tokenBounds(line, 0, line.length, b);
  if (n <= 0) return null;
  let k = 0;
  // `-o timestamp`: [seconds.micros]
  const c1 = line.charCodeAt(b[0]! + 1);
  if (line.charCodeAt(b[0]!) === 91 && c1 >= 48 && c1 <= 57 && line.charCodeAt(b[1]! - 1) === 93) k = 1;
  if (k >= n) return null;
  const ta = b[2 * k]!;
  const len = b[2 * k + 1]! - ta;
  let event: ConntrackEventKind;
  if (len === 5 && line.startsWith('[NEW]', ta)) event = 'NEW';
  else if (len === 8 && line.startsWith('[UPDATE]', ta)) event = 'UPDATE';
  else if (len === 9 && line.startsWith('[DESTROY]', ta)) event = 'DESTROY';
  else return null;
  const flow = parseEntry(line, b, n, k + 1, true);
  return typeof flow === 'string' ? null : { event, flow };
}
