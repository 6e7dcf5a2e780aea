// Fast, memoised address/CIDR tests for the evaluator: a host's rules name
// the same few thousand addresses over and over, and parsing each through
// ipaddr.js on every test dominated explain's time on large rule sets.
import { parseCidr } from '../net/addr.js';
import type { Family } from '../types.js';

export interface Net {
  family: Family;
  /** Normalised address text (as parseCidr gives it). */
  addr: string;
  /** Address as 4 (IPv4) or 16 (IPv6) bytes. */
  bytes: number[];
  prefix: number;
}

const MAX = 50_000;
const cache = new Map<string, Net | null>();

/** @internal The bytes of parseCidr's address text (exported for the tests). */
export function toBytes(addr: string, family: Family): number[] | null {
  if (family === 4) {
    // parseCidr's IPv4 text is four decimal octets: read in one pass (no split).
    // (An empty part reads as 0, as Number('') does in the split reading.)
    const out: number[] = [];
    let v = 0;
    for (let i = 0; i < addr.length; i++) {
      const ch = addr.charCodeAt(i);
      if (ch === 46) {
        out.push(v);
        v = 0;
      } else if (ch >= 48 && ch <= 57) v = v * 10 + (ch - 48);
      else return toBytesSplit(addr);
    }
    out.push(v);
    return out.length === 4 ? out : null;
  }
  // normalised IPv6 text from parseCidr: expand `::`
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return null;
  const out: number[] = [];
  for (const g of groups) {
    const v = Number.parseInt(g, 16);
    out.push((v >> 8) & 0xff, v & 0xff);
  }
  return out;
}

/** @internal The IPv4 reading toBytes had before its one-pass loop (for anything but plain digits and dots; the tests' reference). */
export function toBytesSplit(addr: string): number[] | null {
  const p = addr.split('.');
  return p.length === 4 ? p.map(Number) : null;
}

/** `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32` -> its network; null when unreadable. Memoised. */
export function net(text: string): Net | null {
  let n = cache.get(text);
  if (n !== undefined) return n;
  const c = parseCidr(text);
  n = null;
  if (c) {
    const bytes = toBytes(c.addr, c.family);
    if (bytes) n = { family: c.family, addr: c.addr, bytes, prefix: c.prefix };
  }
  if (cache.size >= MAX) cache.clear();
  cache.set(text, n);
  return n;
}

/** Is address `ip` inside `cidr`? null when either is unreadable; false across families. */
export function inNet(cidr: string, ip: string): boolean | null {
  const a = net(cidr);
  const b = net(ip);
  if (!a || !b) return null;
  if (a.family !== b.family) return false;
  let bits = a.prefix;
  for (let i = 0; i < a.bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a.bytes[i] ?? 0) & mask) !== ((b.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** Is the address of `ip` inside network `a`? (inNet on parsed networks; the prefix of `ip` is ignored.) */
export function netHas(a: Net, ip: Net): boolean {
  if (a.family !== ip.family) return false;
  let bits = a.prefix;
  for (let i = 0; i < a.bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a.bytes[i] ?? 0) & mask) !== ((ip.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The network part of an address as a map key: a number for IPv4, text for IPv6. */
function maskedKey(bytes: number[], prefix: number, family: Family): number | string {
  if (family === 4) {
    const v = (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
    return prefix <= 0 ? 0 : prefix >= 32 ? v : (v & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
  }
  let k = '';
  let bits = prefix;
  for (let i = 0; i < bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    k += ((bytes[i] ?? 0) & mask).toString(16) + '.';
  }
  return k;
}

/**
 * A list of networks indexed for "which of them hold this address": the
 * answer is the same as testing `inNet(cidr, ip) === true` on each in list
 * order, without the scan (hosts with hundreds of Docker bridges ask this for
 * every address a rule names).
 */
export interface NetIndex {
  /** Positions (ascending) of the networks that hold `ip`; empty when `ip` is unreadable. */
  holders(ip: string | Net): number[];
  /** The first position holding `ip`, or -1. */
  first(ip: string | Net): number;
}

interface PrefixGroup {
  family: Family;
  prefix: number;
  at: Map<number | string, number[]>;
}

/** Indexes networks given as text (read with net()) or already read; unreadable ones hold nothing. */
export function netIndex(cidrs: ReadonlyArray<string | Net | null>): NetIndex {
  const groups: PrefixGroup[] = [];
  cidrs.forEach((c, i) => {
    const n = typeof c === 'string' ? net(c) : c;
    if (!n) return;
    let g = groups.find((x) => x.family === n.family && x.prefix === n.prefix);
    if (!g) groups.push((g = { family: n.family, prefix: n.prefix, at: new Map() }));
    const k = maskedKey(n.bytes, n.prefix, n.family);
    const l = g.at.get(k);
    if (l) l.push(i);
    else g.at.set(k, [i]);
  });
  const NONE: number[] = [];
  return {
    holders(ip) {
      const b = typeof ip === 'string' ? net(ip) : ip;
      if (!b) return [];
      let out: number[] = NONE;
      let many = false;
      for (const g of groups) {
        if (g.family !== b.family) continue;
        const l = g.at.get(maskedKey(b.bytes, g.prefix, g.family));
        if (!l) continue;
        if (out === NONE) out = l;
        else {
          out = out.concat(l);
          many = true;
        }
      }
      if (out === NONE) return [];
      return many ? out.sort((x, y) => x - y) : out.slice();
    },
    first(ip) {
      const b = typeof ip === 'string' ? net(ip) : ip;
      if (!b) return -1;
      let best = -1;
      for (const g of groups) {
        if (g.family !== b.family) continue;
        const l = g.at.get(maskedKey(b.bytes, g.prefix, g.family));
        if (l && (best === -1 || (l[0] as number) < best)) best = l[0] as number;
      }
      return best;
    },
  };
}
