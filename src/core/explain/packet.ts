// The packet `explain` follows through netfilter, and what the host knows
// about its own addresses. Every field the kernel would know is either known
// here or explicitly unknown (null), so a match on it is "cannot tell", never
// a guess.
import type { Family } from '../types.js';

/**
 * An interface as a match sees it:
 * - name: a known interface;
 * - none: no interface at this hook (`-i` in OUTPUT, `-o` in PREROUTING/INPUT):
 *   `-i X` is false and `! -i X` true, as in the kernel (empty name);
 * - external: some interface that is not one of `except` (Docker bridges,
 *   lo), when the query did not say which;
 * - unknown.
 */
export type Iface =
  | { kind: 'name'; name: string }
  | { kind: 'none' }
  | { kind: 'external'; except: string[] }
  | { kind: 'unknown' };

/** A 32-bit mark of which only the `known` bits are known. */
export interface Bits {
  value: number;
  known: number;
}

export const UNKNOWN_BITS: Bits = { value: 0, known: 0 };

export interface Packet {
  family: Family;
  /** Lower-case protocol name: tcp, udp, sctp... */
  proto: string;
  /** Current addresses/ports (after any NAT so far); null = unknown (any). */
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  /** The original tuple, for -m conntrack --ctorig*. */
  origSrc: string | null;
  origDst: string | null;
  origSport: number | null;
  origDport: number | null;
  /** dst is "one of the host's addresses" even when its value is unknown. */
  dstIsHost: boolean;
  inIface: Iface;
  outIface: Iface;
  dnat: boolean;
  snat: boolean;
  untracked: boolean;
  mark: Bits;
  ctmark: Bits;
  localOrigin: boolean;
}

/** What the host knows about its own addresses (addrtype, routing). */
export interface HostAddrs {
  /** Normalised local addresses (every interface). */
  local: Set<string>;
  /** Address -> interface, and the subnets each interface is on. */
  ifaceOf: Map<string, string>;
  subnets: Array<{ ifname: string; cidr: string; family: Family; local: string }>;
  /** Subnet broadcast addresses (IPv4). */
  broadcast: Set<string>;
  /** false when the snapshot had no address list: LOCAL is then only known for loopback and the query's host. */
  complete: boolean;
  /** Docker bridges: name and subnets, for routing and ipsets. */
  bridges: Array<{ name: string; subnets: string[] }>;
}

export function ifaceText(i: Iface): string {
  switch (i.kind) {
    case 'name':
      return i.name;
    case 'none':
      return '(none)';
    case 'external':
      return 'an external interface';
    case 'unknown':
      return 'an unknown interface';
  }
}
