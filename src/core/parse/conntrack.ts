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
import { hashStep, Interner } from './intern.js';

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

// ---------------------------------------------------------------- interning
//
// A conntrack table repeats the same few strings over and over: protocol and
// state names, flags, the host's and the containers' addresses, the clients'
// addresses. An Interner hands out one string per distinct text, looked up by
// hashing the characters in place (no slice for a text seen before), and
// remembers each text's address family, so an address is validated once per
// distinct text instead of four times per entry.

/** Family codes kept as interned addresses' tags: not computed yet, not an address, IPv4, IPv6. */
const F_UNKNOWN = -1, F_NONE = 0;

/** The interned address s[a, b); its family code (F_NONE, 4, 6) is left in `in.tag`. */
function addressAt(t: Interner, s: string, a: number, b: number): string {
  const v = t.get(s, a, b);
  if (t.tag === F_UNKNOWN) {
    const f = addressFamily(v);
    t.setTag(v, f === null ? F_NONE : f);
  }
  return v;
}

/**
 * Flag lists are shared between flows (most have [] or [ASSURED]): frozen so
 * a consumer that tried to change one would fail loudly.
 */
class FlagLists {
  private lists: Array<readonly string[]> = [];

  /** The shared list equal to scratch[0, n) (elements are interned). */
  get(scratch: string[], n: number): string[] {
    const lists = this.lists;
    for (let i = 0; i < lists.length; i++) {
      const l = lists[i]!;
      if (l.length !== n) continue;
      let same = true;
      for (let j = 0; j < n; j++) if (l[j] !== scratch[j]) { same = false; break; }
      if (same) return l as string[];
    }
    const l = Object.freeze(scratch.slice(0, n));
    if (lists.length >= 256) lists.length = 0;
    lists.push(l);
    return l as string[];
  }
}

/** What one parse shares between its entries. */
interface Shared {
  strings: Interner;
  addresses: Interner;
  flags: FlagLists;
  scratch: string[];
}

function newShared(size: number, limit: number): Shared {
  return { strings: new Interner(64, 1024), addresses: new Interner(size, limit, F_UNKNOWN), flags: new FlagLists(), scratch: [] };
}

/** Start of token j (0 past the end), end of token j. */
function tA(b: Int32Array, n: number, j: number): number {
  return j < n ? b[2 * j]! : 0;
}
function tB(b: Int32Array, n: number, j: number): number {
  return j < n ? b[2 * j + 1]! : 0;
}

/**
 * Parse the entry made of tokens k0.. of `s` (bounds in `b`, `n` tokens;
 * after any event prefix). Returns the Flow or a message saying what was
 * wrong. `allowNoTimeout`: old kernels send DESTROY events without a
 * timeout; the flow then gets timeout 0.
 */
function parseEntry(s: string, b: Int32Array, n: number, k0: number, allowNoTimeout: boolean, sh: Shared): Flow | string {
  let k = k0;
  let family: Family | null = null;

  if (k >= n) return 'empty entry';
  if (tB(b, n, k) - tA(b, n, k) === 4 && (s.startsWith('ipv4', tA(b, n, k)) || s.startsWith('ipv6', tA(b, n, k)))) {
    family = s.charCodeAt(tA(b, n, k) + 3) === 52 ? 4 : 6;
    if (uintAt(s, tA(b, n, k + 1), tB(b, n, k + 1)) === null) {
      return `expected the layer-3 protocol number after ipv${family}, got ${quote(s, tA(b, n, k + 1), tB(b, n, k + 1))}`;
    }
    k += 2;
  }

  if (!isWordAt(s, tA(b, n, k), tB(b, n, k))) return `expected a protocol name, got ${quote(s, tA(b, n, k), tB(b, n, k))}`;
  const proto = sh.strings.get(s, tA(b, n, k), tB(b, n, k));
  k++;
  const protoNum = uintAt(s, tA(b, n, k), tB(b, n, k));
  if (protoNum === null || protoNum > 255) return `expected the protocol number after ${proto}, got ${quote(s, tA(b, n, k), tB(b, n, k))}`;
  k++;

  let timeout = uintAt(s, tA(b, n, k), tB(b, n, k));
  if (timeout !== null) k++;
  else if (allowNoTimeout) timeout = 0;
  else return `expected the timeout after "${proto} ${protoNum}", got ${quote(s, tA(b, n, k), tB(b, n, k))}`;

  let state: string | null = null;
  if (k < n && s.charCodeAt(b[2 * k]!) !== 91 /* [ */ && eqAt(s, b[2 * k]!, b[2 * k + 1]!) < 0) {
    if (!isUpperAt(s, b[2 * k]!, b[2 * k + 1]!)) return `unexpected ${quote(s, b[2 * k]!, b[2 * k + 1]!)} where a state or src= was expected`;
    state = sh.strings.get(s, b[2 * k]!, b[2 * k + 1]!);
    k++;
  }

  let orig: FlowTuple | null = null;
  let reply: FlowTuple | null = null;
  let cur: FlowTuple | null = null;
  /** The open tuple already has its icmp id (the next id= is the conntrack id). */
  let curIcmpId = false;
  // Address family codes of orig.src, orig.dst, reply.src, reply.dst.
  let fOS = F_NONE, fOD = F_NONE, fRS = F_NONE, fRD = F_NONE;
  const scratch = sh.scratch;
  let nFlags = 0;
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
        const flag = sh.strings.get(s, ta + 1, tb - 1);
        if (!NOT_FLAGS.has(flag)) {
          let dup = false;
          for (let j = 0; j < nFlags; j++) if (scratch[j] === flag) dup = true;
          if (!dup) scratch[nFlags++] = flag;
        }
      } else if (eqAt(s, ta + 1, tb - 1) < 0) return `unexpected ${quote(s, ta, tb)}`;
      continue;
    }
    const eq = eqAt(s, ta, tb);
    if (eq <= ta) return `unexpected ${quote(s, ta, tb)} (expected key=value)`;
    const key = keyOf(s, ta, eq);
    const v0 = eq + 1;
    switch (key) {
      case K_SRC: {
        if (reply !== null) return 'more than two src= tuples';
        const src = addressAt(sh.addresses, s, v0, tb);
        cur = { src, dst: '', sport: null, dport: null };
        curIcmpId = false;
        if (orig === null) {
          orig = cur;
          fOS = sh.addresses.tag;
        } else {
          reply = cur;
          fRS = sh.addresses.tag;
        }
        break;
      }
      case K_DST:
        if (cur === null) return 'dst= outside a src=/dst= tuple';
        cur.dst = addressAt(sh.addresses, s, v0, tb);
        if (cur === orig) fOD = sh.addresses.tag;
        else fRD = sh.addresses.tag;
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
  if (family === null) {
    if (fOS === F_NONE) return `${JSON.stringify(orig.src.slice(0, 80))} in the original tuple is not an IP address`;
    family = fOS as Family;
  }
  const bad =
    checkAddr(orig.src, fOS, 'original', family) ??
    checkAddr(orig.dst, fOD, 'original', family) ??
    checkAddr(reply.src, fRS, 'reply', family) ??
    checkAddr(reply.dst, fRD, 'reply', family);
  if (bad !== null) return bad;

  const flags = sh.flags.get(scratch, nFlags);
  return { family, proto, protoNum, timeout, state, orig, reply, flags, mark, zone, use, id };
}

/** null when `addr` (of family code `f`) is an address of the entry's family, else the problem. */
function checkAddr(addr: string, f: number, tuple: string, family: Family): string | null {
  if (addr === '') return `the ${tuple} tuple has no dst=`;
  if (f === F_NONE) return `${JSON.stringify(addr.slice(0, 80))} in the ${tuple} tuple is not an IP address`;
  if (f !== family) return `${addr} is not IPv${family} like the rest of the entry`;
  return null;
}

// ---------------------------------------------------------------- fast path
//
// A dump is 100k lines of the same few shapes. fastEntry reads a plain,
// well-formed line in one pass over its characters: the key of each
// key=value field is recognised from its packed characters while scanning to
// the `=`, numbers are read and addresses hashed (for the interner) as they
// are scanned. It returns null on anything it does not plainly understand
// (an error, a bracket spanning tokens, an event prefix, a summary line,
// more than MAX_TOKENS fields...), and parseConntrack then reads the line
// with the tokenising parser above, which says what is wrong. Whenever
// fastEntry returns a flow it is the flow parseEntry returns for that line
// (test/unit/parse-perf-conntrack.test.ts checks it on generated lines).

/** The first (up to) four characters of a key packed into an integer, 7 bits each. */
function pack(key: string): number {
  let v = 0;
  for (let i = 0; i < key.length && i < 4; i++) v = (v << 7) | key.charCodeAt(i);
  return v;
}
const P_SRC = pack('src'), P_DST = pack('dst'), P_USE = pack('use'), P_ID = pack('id');
const P_SPOR = pack('sport'), P_DPOR = pack('dport'), P_BYTE = pack('bytes'), P_PACK = pack('packets');
const P_TYPE = pack('type'), P_CODE = pack('code'), P_MARK = pack('mark'), P_ZONE = pack('zone');
const P_SRCK = pack('srckey'), P_DSTK = pack('dstkey');

/** The key s[at, at + len) given its first four characters packed (all ASCII). */
function keyFromPacked(s: string, at: number, len: number, v: number): number {
  switch (len) {
    case 2:
      return v === P_ID ? K_ID : K_OTHER;
    case 3:
      return v === P_SRC ? K_SRC : v === P_DST ? K_DST : v === P_USE ? K_USE : K_OTHER;
    case 4:
      return v === P_TYPE ? K_TYPE : v === P_CODE ? K_CODE : v === P_MARK ? K_MARK : v === P_ZONE ? K_ZONE : K_OTHER;
    case 5: {
      const last = s.charCodeAt(at + 4);
      if (last === 116 /* t */) return v === P_SPOR ? K_SPORT : v === P_DPOR ? K_DPORT : K_OTHER;
      return last === 115 /* s */ && v === P_BYTE ? K_BYTES : K_OTHER;
    }
    case 6:
      return (v === P_SRCK || v === P_DSTK) && s.startsWith('ey', at + 4) ? K_GRE_KEY : K_OTHER;
    case 7:
      return v === P_PACK && s.startsWith('ets', at + 4) ? K_PACKETS : K_OTHER;
    case 9:
      return s.startsWith('zone-orig', at) ? K_ZONE_ORIG : K_OTHER;
    default:
      return K_OTHER;
  }
}

/** Set by scanUint: the index after the token it read. */
let scanEnd = 0;

/**
 * The non-negative decimal integer token at i (up to whitespace or lim), or
 * -1 when the token is empty, longer than 15 characters or not all digits;
 * scanEnd is the index after the token either way.
 */
function scanUint(s: string, i: number, lim: number): number {
  const a = i;
  let v = 0;
  let ok = true;
  for (; i < lim; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) break;
    if (c < 48 || c > 57) ok = false;
    else v = v * 10 + (c - 48);
  }
  scanEnd = i;
  return ok && i > a && i - a <= 15 ? v : -1;
}

/** Index of the first non-space character at or after i (lim when none). */
function skipSpace(s: string, i: number, lim: number): number {
  while (i < lim) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) break;
    i++;
  }
  return i;
}

/** Index of the whitespace (or lim) that ends the token at i. */
function tokenEnd(s: string, i: number, lim: number): number {
  while (i < lim) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) break;
    i++;
  }
  return i;
}

/** The interned address token at i; its family code is left in `t.tag`, its end in scanEnd. */
function scanAddress(t: Interner, s: string, i: number, lim: number): string {
  const a = i;
  let h = t.seed;
  for (; i < lim; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) break;
    h = hashStep(h, c);
  }
  scanEnd = i;
  const v = t.getHashed(s, a, i, h);
  if (t.tag === F_UNKNOWN) {
    const f = addressFamily(v);
    t.setTag(v, f === null ? F_NONE : f);
  }
  return v;
}

/** The flow on the line s[start, end) when it is plain and well-formed, else null (see above). */
function fastEntry(s: string, start: number, end: number, sh: Shared): Flow | null {
  let i = skipSpace(s, start, end);
  if (i >= end) return null;
  let tokens = 0;
  let family: Family | null = null;
  let c = 0;

  // [ipv4 2 | ipv6 10] proto protonum timeout
  let pa = i;
  i = tokenEnd(s, i, end);
  if (i - pa === 4 && (s.startsWith('ipv4', pa) || s.startsWith('ipv6', pa))) {
    family = s.charCodeAt(pa + 3) === 52 ? 4 : 6;
    i = skipSpace(s, i, end);
    if (scanUint(s, i, end) < 0) return null;
    pa = skipSpace(s, scanEnd, end);
    i = tokenEnd(s, pa, end);
    tokens += 2;
  }
  if (!isWordAt(s, pa, i)) return null;
  const proto = sh.strings.get(s, pa, i);
  i = skipSpace(s, i, end);
  const protoNum = scanUint(s, i, end);
  if (protoNum < 0 || protoNum > 255) return null;
  i = skipSpace(s, scanEnd, end);
  const timeout = scanUint(s, i, end);
  if (timeout < 0) return null;
  i = skipSpace(s, scanEnd, end);
  tokens += 3;

  // [STATE]: a token that is neither [bracketed] nor key=value.
  let state: string | null = null;
  if (i < end && s.charCodeAt(i) !== 91 /* [ */) {
    const a = i;
    i = tokenEnd(s, i, end);
    if (eqAt(s, a, i) < 0) {
      if (!isUpperAt(s, a, i)) return null;
      state = sh.strings.get(s, a, i);
      tokens++;
      i = skipSpace(s, i, end);
    } else i = a;
  }

  let orig: FlowTuple | null = null;
  let reply: FlowTuple | null = null;
  let cur: FlowTuple | null = null;
  let curIcmpId = false;
  let fOS = F_NONE, fOD = F_NONE, fRS = F_NONE, fRD = F_NONE;
  const scratch = sh.scratch;
  let nFlags = 0;
  let mark: number | null = null;
  let zone: number | null = null;
  let use: number | null = null;
  let id: number | null = null;
  const addrs = sh.addresses;

  while (i < end) {
    if (++tokens > MAX_TOKENS) return null;
    const ta = i;
    c = s.charCodeAt(i);
    if (c === 91 /* [ */) {
      i = tokenEnd(s, i, end);
      if (i - ta < 2 || s.charCodeAt(i - 1) !== 93 /* ] */ || !isUpperAt(s, ta + 1, i - 1)) return null;
      const flag = sh.strings.get(s, ta + 1, i - 1);
      if (!NOT_FLAGS.has(flag)) {
        let dup = false;
        for (let j = 0; j < nFlags; j++) if (scratch[j] === flag) dup = true;
        if (!dup) scratch[nFlags++] = flag;
      }
      i = skipSpace(s, i, end);
      continue;
    }
    // key=
    let packed = 0;
    let all = 0;
    while (i < end) {
      c = s.charCodeAt(i);
      if (c === 61 || c === 32 || c === 9 || c === 13) break;
      if (i - ta < 4) packed = (packed << 7) | c;
      all |= c;
      i++;
    }
    // No `=`, or an empty key: let the tokenising parser say what is wrong.
    if (c !== 61 || i === ta) return null;
    const key = all < 128 ? keyFromPacked(s, ta, i - ta, packed) : K_OTHER;
    const v0 = i + 1;
    switch (key) {
      case K_SRC: {
        if (reply !== null) return null;
        const src = scanAddress(addrs, s, v0, end);
        cur = { src, dst: '', sport: null, dport: null };
        curIcmpId = false;
        if (orig === null) {
          orig = cur;
          fOS = addrs.tag;
        } else {
          reply = cur;
          fRS = addrs.tag;
        }
        break;
      }
      case K_DST:
        if (cur === null) return null;
        cur.dst = scanAddress(addrs, s, v0, end);
        if (cur === orig) fOD = addrs.tag;
        else fRD = addrs.tag;
        break;
      case K_SPORT:
      case K_DPORT:
      case K_TYPE:
      case K_CODE:
      case K_PACKETS:
      case K_BYTES: {
        if (cur === null) return null;
        const v = scanUint(s, v0, end);
        if (v < 0) return null;
        if (key === K_SPORT || key === K_DPORT) {
          if (v > 65535) return null;
          if (key === K_SPORT) cur.sport = v;
          else cur.dport = v;
        } else if (key === K_TYPE || key === K_CODE) {
          if (v > 255) return null;
          cur.icmp ??= { type: 0, code: 0, id: 0 };
          if (key === K_TYPE) cur.icmp.type = v;
          else cur.icmp.code = v;
        } else if (key === K_PACKETS) cur.packets = v;
        else cur.bytes = v;
        break;
      }
      case K_ID: {
        const v = scanUint(s, v0, end);
        if (v < 0) return null;
        if (cur !== null && cur.icmp !== undefined && !curIcmpId) {
          cur.icmp.id = v;
          curIcmpId = true;
        } else id = v;
        break;
      }
      case K_MARK:
      case K_ZONE:
      case K_USE: {
        const v = scanUint(s, v0, end);
        if (v < 0) return null;
        if (key === K_MARK) mark = v;
        else if (key === K_ZONE) zone = v;
        else use = v;
        cur = null;
        break;
      }
      case K_ZONE_ORIG: {
        const v = scanUint(s, v0, end);
        if (v >= 0 && zone === null) zone = v;
        cur = null;
        break;
      }
      default: {
        // gre srckey/dstkey stay inside the tuple; any other key ends it.
        if (key !== K_GRE_KEY) cur = null;
        scanEnd = tokenEnd(s, v0, end);
        break;
      }
    }
    i = skipSpace(s, scanEnd, end);
  }

  if (orig === null || reply === null) return null;
  if (family === null) {
    if (fOS === F_NONE) return null;
    family = fOS as Family;
  }
  if (orig.dst === '' || reply.dst === '' || fOS !== family || fOD !== family || fRS !== family || fRD !== family) return null;
  const flags = sh.flags.get(scratch, nFlags);
  return { family, proto, protoNum, timeout, state, orig, reply, flags, mark, zone, use, id };
}

// ---------------------------------------------------------------- API

/**
 * Parse `conntrack -L` output (any of plain, `-o extended`, `-o id`,
 * `-o timestamp`, with or without accounting). Every line that is not a flow
 * gives a ParseIssue and parsing goes on.
 */
export function parseConntrack(text: string, source = 'conntrack.txt'): { flows: Flow[]; issues: ParseIssue[] } {
  const flows: Flow[] = [];
  const issues = eachConntrackFlow(text, source, (f) => flows.push(f));
  return { flows, issues };
}

/**
 * parseConntrack without the list: each flow goes to onFlow, in order, and is
 * not kept. For a caller that only counts flows (the one-shot `status` on a
 * 100k-entry table): flows nobody holds on to die young, which is what keeps
 * the garbage collector out of it. Returns the issues parseConntrack gives.
 */
export function eachConntrackFlow(text: string, source: string, onFlow: (f: Flow) => void): ParseIssue[] {
  const lines = new ConntrackLines(source, onFlow);
  lines.text(text);
  return lines.issues;
}

/**
 * The parse of eachConntrackFlow fed a line at a time, for output read as it
 * streams in: lines are numbered on from one call to the next, and parse
 * state (interned strings) is shared by all of them. Feeding the lines of a
 * text one by one (without their newlines) gives what eachConntrackFlow gives.
 */
export class ConntrackLines {
  readonly issues: ParseIssue[] = [];
  private lineNo = 0;
  private readonly bounds = new Int32Array(2 * MAX_TOKENS);
  private readonly sh = newShared(1024, 1 << 22);

  constructor(
    private readonly source: string,
    private readonly onFlow: (f: Flow) => void,
  ) {}

  /** Every line of `text` (a final newline ends the last line; it does not start another). */
  text(text: string): void {
    const len = text.length;
    let pos = 0;
    while (pos < len) {
      let end = text.indexOf('\n', pos);
      if (end === -1) end = len;
      this.line(text, pos, end);
      pos = end + 1;
    }
  }

  /** The next line: s[start, end), no newline in it. */
  line(s: string, start = 0, end = s.length): void {
    const lineNo = ++this.lineNo;
    const fast = fastEntry(s, start, end, this.sh);
    if (fast !== null) {
      this.onFlow(fast);
      return;
    }
    const bounds = this.bounds;
    const n = tokenBounds(s, start, end, bounds);
    if (n === 0) return; // blank line
    // `conntrack v1.4.7 (conntrack-tools): N flow entries have been shown.`
    if (n > 0 && bounds[1]! - bounds[0]! === 9 && s.startsWith('conntrack v', bounds[0]!)) return;
    const res = n < 0 ? `more than ${MAX_TOKENS} fields` : parseEntry(s, bounds, n, 0, false, this.sh);
    if (typeof res === 'string') {
      this.issues.push({ source: this.source, line: lineNo, text: cutText(s.slice(start, Math.min(end, start + 1000)).trim()), message: res });
    } else this.onFlow(res);
  }
}

/** Token bounds reused by parseConntrackEvent (synchronous, so never shared). */
const EVENT_BOUNDS = new Int32Array(2 * MAX_TOKENS);
/** Interned strings of event lines: bounded, so a long watch does not grow it. */
const EVENT_SHARED = newShared(1024, 8192);

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
  const flow = parseEntry(line, b, n, k + 1, true, EVENT_SHARED);
  return typeof flow === 'string' ? null : { event, flow };
}
