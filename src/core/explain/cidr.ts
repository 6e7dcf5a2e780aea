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

function toBytes(addr: string, family: Family): number[] | null {
  if (family === 4) {
    const p = addr.split('.');
    return p.length === 4 ? p.map(Number) : null;
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

function maskedKey(bytes: number[], prefix: number): string {
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
  holders(ip: string): number[];
  /** The first position holding `ip`, or -1. */
  first(ip: string): number;
}

/** Indexes networks given as text (read with net()) or already read; unreadable ones hold nothing. */
export function netIndex(cidrs: ReadonlyArray<string | Net | null>): NetIndex {
  // family -> prefix -> masked network -> positions
  const groups = new Map<Family, Map<number, Map<string, number[]>>>();
  cidrs.forEach((c, i) => {
    const n = typeof c === 'string' ? net(c) : c;
    if (!n) return;
    let byPrefix = groups.get(n.family);
    if (!byPrefix) groups.set(n.family, (byPrefix = new Map()));
    let byKey = byPrefix.get(n.prefix);
    if (!byKey) byPrefix.set(n.prefix, (byKey = new Map()));
    const k = maskedKey(n.bytes, n.prefix);
    const l = byKey.get(k);
    if (l) l.push(i);
    else byKey.set(k, [i]);
  });
  const holders = (ip: string): number[] => {
    const b = net(ip);
    if (!b) return [];
    const byPrefix = groups.get(b.family);
    if (!byPrefix) return [];
    let out: number[] | null = null;
    let many = false;
    for (const [prefix, byKey] of byPrefix) {
      const l = byKey.get(maskedKey(b.bytes, prefix));
      if (!l) continue;
      if (out === null) out = l;
      else {
        out = [...out, ...l];
        many = true;
      }
    }
    if (out === null) return [];
    return many ? out.sort((x, y) => x - y) : out.slice();
  };
  return {
    holders,
    first(ip) {
      const h = holders(ip);
      return h.length === 0 ? -1 : (h[0] as number);
    },
  };
}
