// Small helpers to ask questions of a parsed iptables Rule: find an option by
// any of its spellings, read a DNAT target, read destination/source ports.

import type { Rule, RuleOption } from '../types.js';

/** Each spelling -> the group of equivalent spellings. */
const ALIASES: ReadonlyMap<string, readonly string[]> = (() => {
  const groups: string[][] = [
    ['-s', '--source', '--src'],
    ['-d', '--destination', '--dst'],
    ['-i', '--in-interface'],
    ['-o', '--out-interface'],
    ['-p', '--protocol'],
    ['-m', '--match'],
    ['-j', '--jump'],
    ['-g', '--goto'],
    ['-f', '--fragment'],
    ['--dport', '--destination-port'],
    ['--sport', '--source-port'],
    ['--dports', '--destination-ports'],
    ['--sports', '--source-ports'],
  ];
  const m = new Map<string, readonly string[]>();
  for (const g of groups) for (const f of g) m.set(f, g);
  return m;
})();

function find(options: readonly RuleOption[], flag: string): RuleOption | undefined {
  const names = ALIASES.get(flag);
  for (const o of options) {
    if (o.flag === flag || (names !== undefined && names.includes(o.flag))) return o;
  }
  return undefined;
}

/** The short spelling of a flag (`--source` -> `-s`, `--destination-port` -> `--dport`). */
export function canonicalFlag(flag: string): string {
  return ALIASES.get(flag)?.[0] ?? flag;
}

/** First match option with this flag or one of its aliases (`-s`/`--source`...). */
export function opt(rule: Rule, flag: string): RuleOption | undefined {
  return find(rule.matches, flag);
}

/** First target option with this flag (e.g. `--to-destination`, `--reject-with`). */
export function targetOpt(rule: Rule, flag: string): RuleOption | undefined {
  return find(rule.targetOptions, flag);
}

/** First value of a match option, or null. */
export function optValue(rule: Rule, flag: string): string | null {
  return opt(rule, flag)?.values[0] ?? null;
}

// ------------------------------------------------------------ DNAT

export interface DnatTarget {
  /** Address or address range as written (IPv6 without brackets); null for `:port` only. */
  ip: string | null;
  port: number | null;
  /** Last port of a range `80-81`; null for a single port. */
  portEnd: number | null;
}

function parsePort(s: string): number | null {
  if (s.length === 0 || s.length > 5) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const n = Number(s);
  return n <= 65535 ? n : null;
}

/** `80`, `80-81` (an optional `/base` suffix of shifted port maps is ignored). */
function parsePortRange(s: string): { port: number; portEnd: number | null } | null {
  const slash = s.indexOf('/');
  const body = slash === -1 ? s : s.slice(0, slash);
  const dash = body.indexOf('-');
  if (dash === -1) {
    const p = parsePort(body);
    return p === null ? null : { port: p, portEnd: null };
  }
  const a = parsePort(body.slice(0, dash));
  const b = parsePort(body.slice(dash + 1));
  return a === null || b === null ? null : { port: a, portEnd: b };
}

/**
 * Parse a DNAT `--to-destination` value: `172.17.0.2:80`,
 * `[2001:db8::2]:80`, `2001:db8::2`, `1.2.3.4`, `1.2.3.4:80-81`, `:80`.
 * Null when the value is unreadable.
 */
export function parseDnatValue(v: string): DnatTarget | null {
  if (v.length === 0) return null;
  let ip: string;
  let rest: string;
  if (v.charCodeAt(0) === 91 /* [ */) {
    const close = v.indexOf(']');
    if (close === -1) return null;
    ip = v.slice(1, close);
    rest = v.slice(close + 1);
    if (rest.length > 0 && rest.charCodeAt(0) !== 58 /* : */) return null;
  } else {
    const first = v.indexOf(':');
    if (first !== -1 && v.indexOf(':', first + 1) !== -1) {
      // Bare IPv6 address: ip6tables writes no brackets when there is no port.
      return { ip: v, port: null, portEnd: null };
    }
    ip = first === -1 ? v : v.slice(0, first);
    rest = first === -1 ? '' : v.slice(first);
  }
  if (rest.length === 0) return ip.length === 0 ? null : { ip, port: null, portEnd: null };
  const pr = parsePortRange(rest.slice(1));
  if (pr === null) return null;
  return { ip: ip.length === 0 ? null : ip, port: pr.port, portEnd: pr.portEnd };
}

// Derived data of a rule is asked for over and over (every published port's
// checks ask every rule for its ports): parsed once per option (rules carrying
// the same option share one object, see iptables-tokens.ts) or option text,
// not per Rule object: a memo entry for each of ~20k rules, new objects on
// every parse, cost more on a cold build than the parsing it saved. Options
// are never changed after parsing, and the results are frozen, so sharing
// them is safe.
const DNAT_MAX = 50_000;
const dnatMemo = new Map<string, DnatTarget | null>();

/** The DNAT destination of a rule (`-j DNAT --to-destination ...`), else null. Memoised per value. */
export function dnatTarget(rule: Rule): DnatTarget | null {
  const v = targetOpt(rule, '--to-destination')?.values[0];
  if (v === undefined) return null;
  let t = dnatMemo.get(v);
  if (t === undefined) {
    const parsed = parseDnatValue(v);
    t = parsed === null ? null : Object.freeze(parsed);
    if (dnatMemo.size >= DNAT_MAX) dnatMemo.clear();
    dnatMemo.set(v, t);
  }
  return t;
}

// ------------------------------------------------------------ ports

export interface PortRange {
  from: number;
  to: number;
}

export interface PortMatch {
  /** Ports matched, as inclusive ranges (a single port is {from: p, to: p}). */
  ranges: PortRange[];
  negated: boolean;
  /** The flag it came from, e.g. `--dport` or `--dports` (multiport). */
  flag: string;
}

/** `80`, `7000:7002`, `:1024` (0-1024), `1024:` (1024-65535). */
function parseIptPortRange(s: string): PortRange | null {
  const colon = s.indexOf(':');
  if (colon === -1) {
    const p = parsePort(s);
    return p === null ? null : { from: p, to: p };
  }
  const a = colon === 0 ? 0 : parsePort(s.slice(0, colon));
  const b = colon === s.length - 1 ? 65535 : parsePort(s.slice(colon + 1));
  if (a === null || b === null) return null;
  return { from: a, to: b };
}

const PORT_LIST_MAX = 20_000;
const portListMemo = new Map<string, readonly PortRange[] | null>();

function parsePortListUncached(v: string): PortRange[] | null {
  const out: PortRange[] = [];
  for (const part of v.split(',')) {
    const r = parseIptPortRange(part);
    if (r === null) return null;
    out.push(Object.freeze(r));
  }
  return out;
}

/**
 * Parse `80,443,8000:8010` into ranges; null when any part is unreadable.
 * Memoised by text (bounded: dropped whole past a size), the result frozen.
 */
export function parsePortList(v: string): readonly PortRange[] | null {
  let r = portListMemo.get(v);
  if (r === undefined) {
    const parsed = parsePortListUncached(v);
    r = parsed === null ? null : Object.freeze(parsed);
    if (portListMemo.size >= PORT_LIST_MAX) portListMemo.clear();
    portListMemo.set(v, r);
  }
  return r;
}

/** The first option of a rule spelling `single` or `multi` (aliases understood), as portMatch reads them. */
function portOption(rule: Rule, single: string, multi: string): RuleOption | undefined {
  const singles = ALIASES.get(single);
  const multis = ALIASES.get(multi);
  for (const o of rule.matches) {
    const f = o.flag;
    if (f === single || f === multi || singles?.includes(f) === true || multis?.includes(f) === true) return o;
  }
  return undefined;
}

/** What a port option says: its ranges, negation and flag; null when it has no value or it is unreadable. */
function portMatchOf(o: RuleOption, multi: string): PortMatch | null {
  const isMulti = o.flag === multi || ALIASES.get(multi)?.includes(o.flag) === true;
  const v = o.values[0];
  if (v === undefined) return null;
  const ranges = isMulti ? parsePortListUncached(v) : (() => {
    const r = parseIptPortRange(v);
    return r === null ? null : [r];
  })();
  if (ranges === null) return null;
  return { ranges, negated: o.negated, flag: o.flag };
}

/** The plain reading, option by option (the tests' reference for the memoised one). */
function portMatch(rule: Rule, single: string, multi: string): PortMatch | null {
  for (const o of rule.matches) {
    const isSingle = o.flag === single || ALIASES.get(single)?.includes(o.flag) === true;
    const isMulti = o.flag === multi || ALIASES.get(multi)?.includes(o.flag) === true;
    if (isSingle || isMulti) return portMatchOf(o, multi);
  }
  return null;
}

/** @internal portMatch without any memo (the reference for the tests). */
export function portMatchUncached(rule: Rule, which: 'dports' | 'sports'): PortMatch | null {
  return which === 'dports' ? portMatch(rule, '--dport', '--dports') : portMatch(rule, '--sport', '--sports');
}

const dportsMemo = new WeakMap<RuleOption, PortMatch | null>();
const sportsMemo = new WeakMap<RuleOption, PortMatch | null>();

function memoPorts(memo: WeakMap<RuleOption, PortMatch | null>, rule: Rule, single: string, multi: string): PortMatch | null {
  const o = portOption(rule, single, multi);
  if (o === undefined) return null;
  let m = memo.get(o);
  if (m === undefined) {
    const pm = portMatchOf(o, multi);
    if (pm) for (const r of pm.ranges) Object.freeze(r);
    m = pm === null ? null : Object.freeze({ ...pm, ranges: Object.freeze(pm.ranges) as PortRange[] });
    memo.set(o, m);
  }
  return m;
}

/**
 * Destination ports of a rule: `--dport 80`, `--dport 7000:7002`,
 * `-m multiport --dports 80,443,8000:8010` (and long spellings); null when the
 * rule has none (or they are unreadable). Memoised per option; the result is frozen.
 */
export function dports(rule: Rule): PortMatch | null {
  return memoPorts(dportsMemo, rule, '--dport', '--dports');
}

/** Source ports, as dports. */
export function sports(rule: Rule): PortMatch | null {
  return memoPorts(sportsMemo, rule, '--sport', '--sports');
}

/** Whether a port match (from dports/sports) matches this port, negation included. */
export function portMatches(m: PortMatch, port: number): boolean {
  let hit = false;
  for (const r of m.ranges) {
    if (port >= r.from && port <= r.to) {
      hit = true;
      break;
    }
  }
  return m.negated ? !hit : hit;
}
