// Rule texts exactly as `iptables-save` prints them back (checked against
// iptables 1.8.9, nft and legacy, in the lab), so that a re-read after apply
// compares byte-for-byte with the plan: `-s`, `-d`, `-i`, `-o`, `-p`, then
// the matches in order, the comment, the target.
import ipaddr from 'ipaddr.js';
import type { Family } from '../types.js';
import { PlanError } from './types.js';

export const PROTOS = ['tcp', 'udp', 'sctp'] as const;
export type Proto = (typeof PROTOS)[number];

export interface RuleSpec {
  src?: string;
  dst?: string;
  inIf?: string;
  notInIf?: boolean;
  outIf?: string;
  proto?: string;
  dport?: number;
  /** Further matches, already written (`-m conntrack --ctstate NEW`). */
  matches?: string[];
  comment: string;
  target: string;
}

export function ruleText(s: RuleSpec): string {
  const p: string[] = [];
  if (s.src) p.push(`-s ${s.src}`);
  if (s.dst) p.push(`-d ${s.dst}`);
  if (s.inIf) p.push(`${s.notInIf ? '! ' : ''}-i ${s.inIf}`);
  if (s.outIf) p.push(`-o ${s.outIf}`);
  if (s.proto) {
    p.push(`-p ${s.proto}`);
    if (s.dport !== undefined) p.push(`-m ${s.proto} --dport ${s.dport}`);
  }
  if (s.matches) p.push(...s.matches);
  p.push(`-m comment --comment "${s.comment}"`);
  p.push(`-j ${s.target}`);
  return p.join(' ');
}

/** `-m conntrack` options in the order iptables prints them. */
export function conntrackMatch(o: { state?: string; origDst?: string; origDport?: number }): string {
  const p = ['-m conntrack'];
  if (o.state) p.push(`--ctstate ${o.state}`);
  if (o.origDst) p.push(`--ctorigdst ${o.origDst}`);
  if (o.origDport !== undefined) p.push(`--ctorigdstport ${o.origDport}`);
  return p.join(' ');
}

// ---------------------------------------------------------------- addresses

export interface Addr {
  family: Family;
  /** iptables' own spelling: `198.51.100.0/24`, `2001:db8::10/128` (host bits cleared). */
  cidr: string;
  /** The address alone, as iptables prints it in --ctorigdst. */
  ip: string;
  prefix: number;
  /** The input had host bits set (198.51.100.10/24): the rule covers the whole network. */
  hostBitsCleared: boolean;
}

function ipText(ip: ipaddr.IPv4 | ipaddr.IPv6): string {
  return ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
}

/**
 * Validate an address or CIDR for a rule; throws a usage PlanError naming
 * `arg`. IPv4-mapped IPv6 addresses and zone ids are refused: iptables would
 * not match them the way the operator means.
 */
export function parseAddr(text: string, arg: string): Addr {
  const bad = (why: string): never => {
    throw new PlanError('usage', `${arg} ${JSON.stringify(text)}: ${why}`, arg);
  };
  if (text.length === 0 || text.length > 64 || /\s/.test(text)) bad('not an IP address or CIDR');
  const slash = text.indexOf('/');
  const addrPart = slash === -1 ? text : text.slice(0, slash);
  if (addrPart.includes('%')) bad('zone ids are not allowed');
  // ipaddr.isValid accepts shorthand like "10.1" or "0x0a000001"; insist on dotted quads / colons.
  if (!/^[0-9a-fA-F:.]+$/.test(addrPart) || (!addrPart.includes(':') && !/^\d{1,3}(\.\d{1,3}){3}$/.test(addrPart))) {
    bad('not an IP address or CIDR');
  }
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (slash === -1) {
      if (!ipaddr.isValid(addrPart)) bad('not an IP address or CIDR');
      ip = ipaddr.parse(addrPart);
      prefix = ip.kind() === 'ipv4' ? 32 : 128;
    } else {
      const pfx = text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(pfx)) bad('the prefix length must be a number');
      if (!ipaddr.isValidCIDR(text)) bad('not a valid CIDR (prefix length out of range?)');
      [ip, prefix] = ipaddr.parseCIDR(text);
    }
  } catch (e) {
    if (e instanceof PlanError) throw e;
    return bad('not an IP address or CIDR');
  }
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) bad('IPv4-mapped IPv6 addresses are not allowed: give the IPv4 address');
  const family: Family = ip.kind() === 'ipv4' ? 4 : 6;
  const bytes = ip.toByteArray();
  let bits = prefix;
  let cleared = false;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits));
    const mask = (0xff << (8 - keep)) & 0xff;
    const b = bytes[i] ?? 0;
    if ((b & mask) !== b) cleared = true;
    bytes[i] = b & mask;
    bits -= 8;
  }
  const net = ipaddr.fromByteArray(bytes);
  return { family, cidr: `${ipText(net)}/${prefix}`, ip: ipText(ip), prefix, hostBitsCleared: cleared };
}

/** A single host address (no prefix) in iptables' spelling; usage error otherwise. */
export function parseHostAddr(text: string, arg: string): Addr {
  const a = parseAddr(text, arg);
  if (text.includes('/') && a.prefix !== (a.family === 4 ? 32 : 128)) {
    throw new PlanError('usage', `${arg} ${JSON.stringify(text)}: give a single address, not a network`, arg);
  }
  return a;
}

/** A container/host address as iptables writes it in -s/-d: `172.17.0.2/32`. */
export function hostCidr(ip: string): string {
  const a = parseHostAddr(ip, 'address');
  return a.cidr;
}

export function validatePort(port: number, arg = '--port'): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PlanError('usage', `${arg} ${String(port)}: a port is a whole number from 1 to 65535`, arg);
  }
}

export function validateProto(proto: string, arg = '--proto'): Proto {
  const p = proto.toLowerCase();
  if (!(PROTOS as readonly string[]).includes(p)) {
    throw new PlanError('usage', `${arg} ${JSON.stringify(proto)}: must be one of ${PROTOS.join(', ')}`, arg);
  }
  return p as Proto;
}

const IFNAME_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;
export function isIfName(name: string): boolean {
  return IFNAME_RE.test(name) && name !== '.' && name !== '..';
}
