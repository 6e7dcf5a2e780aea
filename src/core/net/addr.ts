// Address and CIDR helpers over ipaddr.js. The model compares addresses
// written by iptables (`172.17.0.2/32`), conntrack, Docker and ip -j; all of
// them go through here so that every comparison normalises the same way.
import ipaddr from 'ipaddr.js';
import type { Family } from '../types.js';

export interface Cidr {
  family: Family;
  /** Normalised network address (host bits as given; use `contains` to test). */
  addr: string;
  prefix: number;
}

// Parsing through ipaddr.js costs microseconds and the model asks about the
// same few thousand strings over and over (every rule's -s/-d for every
// published port's path): results are memoised. The caches only ever hold
// strings seen in rules, addresses and flows, and are dropped whole when they
// grow past CACHE_MAX, so memory stays bounded on any host.
const CACHE_MAX = 200_000;
const cidrCache = new Map<string, Readonly<Cidr> | null>();
/** IPv4 network of a Cidr as [base, mask] 32-bit unsigned integers. */
const v4Cache = new WeakMap<Readonly<Cidr>, [number, number]>();
const ipCache = new Map<string, ipaddr.IPv4 | ipaddr.IPv6 | null>();

/** Parses `1.2.3.4`, `1.2.3.4/24`, `2001:db8::1`, `2001:db8::/64`; null when invalid. */
export function parseCidr(text: string): Cidr | null {
  let c = cidrCache.get(text);
  if (c === undefined) {
    if (cidrCache.size >= CACHE_MAX) cidrCache.clear();
    const parsed = parseCidrUncached(text);
    c = parsed === null ? null : Object.freeze(parsed);
    cidrCache.set(text, c);
  }
  return c as Cidr | null;
}

/**
 * The common case read by hand: a dotted quad of plain decimal octets (no
 * leading zeros), optionally `/prefix` (decimal, no leading zero, <= 32).
 * ipaddr.js gives exactly this for such text (its toString prints the same
 * octets back), but it first tries the text as IPv6, which made parsing the
 * ~10k distinct addresses of a large host's rules a tenth of buildModel.
 * undefined: not of that form (octal, hex, short forms, IPv6...): ask ipaddr.js.
 */
function parseV4Plain(text: string): Cidr | undefined {
  const n = text.length;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= n || text.charCodeAt(i) !== 46) return undefined;
      i++;
    }
    const start = i;
    let v = 0;
    while (i < n) {
      const ch = text.charCodeAt(i);
      if (ch < 48 || ch > 57) break;
      v = v * 10 + (ch - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && text.charCodeAt(start) === 48)) return undefined;
  }
  if (i === n) return { family: 4, addr: text, prefix: 32 };
  if (text.charCodeAt(i) !== 47) return undefined;
  const addrEnd = i++;
  const start = i;
  let prefix = 0;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch < 48 || ch > 57) return undefined;
    prefix = prefix * 10 + (ch - 48);
    i++;
  }
  const len = i - start;
  if (len === 0 || len > 2 || prefix > 32 || (len > 1 && text.charCodeAt(start) === 48)) return undefined;
  return { family: 4, addr: text.slice(0, addrEnd), prefix };
}

/** @internal parseCidr without the cache (the tests compare it with parseCidrIpaddr). */
export function parseCidrUncached(text: string): Cidr | null {
  return parseV4Plain(text) ?? parseCidrIpaddr(text);
}

/** @internal parseCidr through ipaddr.js alone (the reference for parseV4Plain). */
export function parseCidrIpaddr(text: string): Cidr | null {
  try {
    if (text.includes('/')) {
      if (!ipaddr.isValidCIDR(text)) return null;
      const [ip, prefix] = ipaddr.parseCIDR(text);
      return { family: ip.kind() === 'ipv4' ? 4 : 6, addr: normalizeIp(ip), prefix };
    }
    if (!ipaddr.isValid(text)) return null;
    const ip = ipaddr.parse(text);
    const family: Family = ip.kind() === 'ipv4' ? 4 : 6;
    return { family, addr: normalizeIp(ip), prefix: family === 4 ? 32 : 128 };
  } catch {
    return null;
  }
}

function normalizeIp(ip: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toString();
  }
  return ip.toString();
}

/** Canonical text of a single address (`2001:db8:0::2` -> `2001:db8::2`), or null. */
export function normalizeAddr(text: string): string | null {
  const c = parseCidr(text);
  if (!c) return null;
  return c.addr;
}

export function familyOf(text: string): Family | null {
  return parseCidr(text)?.family ?? null;
}

/** Dotted quad (already validated by parseCidr) as an unsigned 32-bit integer. */
function v4Int(addr: string): number {
  let v = 0;
  let part = 0;
  for (let i = 0; i < addr.length; i++) {
    const ch = addr.charCodeAt(i);
    if (ch === 46) {
      v = v * 256 + part;
      part = 0;
    } else part = part * 10 + (ch - 48);
  }
  return v * 256 + part;
}

function v4Net(c: Readonly<Cidr>): [number, number] {
  let n = v4Cache.get(c);
  if (n === undefined) {
    const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    n = [(v4Int(c.addr) & mask) >>> 0, mask];
    v4Cache.set(c, n);
  }
  return n;
}

function parsedIp(addr: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  let ip = ipCache.get(addr);
  if (ip === undefined) {
    if (ipCache.size >= CACHE_MAX) ipCache.clear();
    try {
      ip = ipaddr.parse(addr);
    } catch {
      ip = null;
    }
    ipCache.set(addr, ip);
  }
  return ip;
}

/** Is `ip` inside `cidr`? Mismatched families are simply not contained. */
export function contains(cidr: Cidr | string, ip: string): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const a = parseCidr(ip);
  if (!c || !a || c.family !== a.family) return false;
  if (c.family === 4) {
    const [base, mask] = v4Net(c);
    return ((v4Int(a.addr) & mask) >>> 0) === base;
  }
  const ia = parsedIp(a.addr);
  const ic = parsedIp(c.addr);
  if (!ia || !ic) return false;
  try {
    return ia.match(ic, c.prefix);
  } catch {
    return false;
  }
}

/** A single host written as CIDR: `172.17.0.2/32` -> `172.17.0.2`; a network -> null. */
export function hostOf(cidrText: string): string | null {
  const c = parseCidr(cidrText);
  if (!c) return null;
  return c.prefix === (c.family === 4 ? 32 : 128) ? c.addr : null;
}

const networkCache = new Map<string, string | null>();

/** Canonical `addr/prefix` text with host bits cleared. Memoised (thousands of rules name the same few hundred subnets). */
export function networkText(cidrText: string): string | null {
  let n = networkCache.get(cidrText);
  if (n === undefined) {
    if (networkCache.size >= CACHE_MAX) networkCache.clear();
    n = networkTextUncached(cidrText);
    networkCache.set(cidrText, n);
  }
  return n;
}

/** @internal networkText without the cache and the IPv4 shortcut (the reference for the tests). */
export function networkTextIpaddr(cidrText: string): string | null {
  const c = parseCidr(cidrText);
  if (!c) return null;
  return networkOfBytes(c);
}

function networkTextUncached(cidrText: string): string | null {
  const c = parseCidr(cidrText);
  if (!c) return null;
  if (c.family === 4 && c.prefix <= 32) {
    // The masked address as a dotted quad, as ipaddr.js would print it (the
    // prefix test only guards the shift: family 4 always has one <= 32).
    const [base] = v4Net(c);
    return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${c.prefix}`;
  }
  return networkOfBytes(c);
}

function networkOfBytes(c: Cidr): string | null {
  try {
    const net = ipaddr.parse(c.addr);
    const bytes = net.toByteArray();
    let bits = c.prefix;
    for (let i = 0; i < bytes.length; i++) {
      const keep = Math.max(0, Math.min(8, bits));
      bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
      bits -= 8;
    }
    return `${normalizeIp(ipaddr.fromByteArray(bytes))}/${c.prefix}`;
  } catch {
    return null;
  }
}

export function isAnyAddr(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

export function isLoopback(ip: string): boolean {
  const c = parseCidr(ip);
  if (!c) return false;
  return c.family === 4 ? contains('127.0.0.0/8', c.addr) : c.addr === '::1';
}
