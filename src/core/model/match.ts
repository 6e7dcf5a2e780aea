// Conservative "could this rule match this packet?" over the matches the
// model understands. It answers 'no' only when a match provably excludes the
// packet (protocol, address, port, interface); anything it cannot evaluate
// (unknown modules, marks, ipsets) leaves the answer at 'maybe'. The model
// uses it to list the rules on a published port's path; `explain` builds on it.
import type { Rule, RuleOption } from '../types.js';
import { contains, parseCidr } from '../net/addr.js';
import { canonicalFlag, opt, parsePortList } from '../parse/rule-query.js';

export interface PacketShape {
  proto?: string;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  inIface?: string;
  outIface?: string;
  /** Original (pre-DNAT) destination, for -m conntrack --ctorigdst/--ctorigdstport. */
  origDst?: string;
  origDport?: number;
}

export type MatchAnswer = 'yes' | 'no' | 'maybe';

/** iptables interface match: a trailing `+` is a prefix wildcard. */
export function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function portIn(spec: string, port: number): boolean | null {
  const ranges = parsePortList(spec);
  if (!ranges) return null;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as { from: number; to: number };
    if (port >= r.from && port <= r.to) return true;
  }
  return false;
}

function addrIn(spec: string, ip: string): boolean | null {
  // A single address or network (nearly every rule): no split, parsed once.
  if (spec.indexOf(',') === -1) {
    const c = parseCidr(spec);
    return c ? contains(c, ip) : null;
  }
  // iptables allows a comma list of addresses for -s/-d.
  const parts = spec.split(',');
  let any = false;
  for (const p of parts) {
    if (!parseCidr(p)) return null;
    if (contains(p, ip)) any = true;
  }
  return any;
}

/** Applies negation to a definite answer; null (cannot tell) stays null. */
function neg(opt: RuleOption, v: boolean | null): boolean | null {
  if (v === null) return null;
  return opt.negated ? !v : v;
}

/**
 * Evaluates one option against the packet: true (matches), false (excluded),
 * null (cannot tell: unknown option, or the packet field is not known).
 */
function evalOption(opt: RuleOption, pkt: PacketShape): boolean | null {
  const flag = canonicalFlag(opt.flag);
  const v = opt.values[0];
  switch (flag) {
    case '-p': {
      if (!v || pkt.proto === undefined) return null;
      const p = v.toLowerCase();
      if (p === 'all' || p === '0') return neg(opt, true);
      return neg(opt, p === pkt.proto.toLowerCase());
    }
    case '-s':
      return v && pkt.src ? neg(opt, addrIn(v, pkt.src)) : null;
    case '-d':
      return v && pkt.dst ? neg(opt, addrIn(v, pkt.dst)) : null;
    case '-i':
      return v && pkt.inIface ? neg(opt, ifaceMatches(v, pkt.inIface)) : null;
    case '-o':
      return v && pkt.outIface ? neg(opt, ifaceMatches(v, pkt.outIface)) : null;
    case '--dport':
    case '--dports':
      return v && pkt.dport !== undefined ? neg(opt, portIn(v, pkt.dport)) : null;
    case '--sport':
    case '--sports':
      return v && pkt.sport !== undefined ? neg(opt, portIn(v, pkt.sport)) : null;
    case '--ports':
      if (!v || pkt.dport === undefined) return null;
      return neg(opt, portIn(v, pkt.dport) || (pkt.sport !== undefined && portIn(v, pkt.sport) === true));
    case '--ctorigdstport':
      return v && pkt.origDport !== undefined ? neg(opt, portIn(v, pkt.origDport)) : null;
    case '--ctorigdst':
      return v && pkt.origDst ? neg(opt, addrIn(v, pkt.origDst)) : null;
    case '--comment':
    case '--ctdir':
      return true;
    default:
      return null;
  }
}

/** 'no' when some match excludes the packet, 'yes' when every match holds, else 'maybe'. */
export function mayMatch(rule: Rule, pkt: PacketShape): MatchAnswer {
  let unsure = false;
  for (const opt of rule.matches) {
    if (opt.flag === '-m') continue;
    const r = evalOption(opt, pkt);
    if (r === false) return 'no';
    if (r === null) unsure = true;
  }
  return unsure ? 'maybe' : 'yes';
}

// The spellings of the options the model asks about most (rule-query.ts's
// alias groups for them; test/unit/model-equiv-paths.test.ts checks that they
// agree with canonicalFlag): a loop over a rule's options with these is what
// opt() does, without a Map lookup per option.
const SPELLINGS = new Map<string, readonly string[]>();
for (const g of [
  ['-s', '--source', '--src'],
  ['-d', '--destination', '--dst'],
  ['-i', '--in-interface'],
  ['-o', '--out-interface'],
  ['-p', '--protocol'],
  ['--dport', '--destination-port'],
  ['--sport', '--source-port'],
]) {
  for (const f of g) SPELLINGS.set(f, g);
}

/** @internal The spelling groups optionValue knows without rule-query (for the tests). */
export const OPTION_SPELLINGS: ReadonlyMap<string, readonly string[]> = SPELLINGS;

function firstOption(rule: Rule, flag: string): RuleOption | undefined {
  const names = SPELLINGS.get(flag);
  if (names === undefined) return opt(rule, flag);
  const a = names[0];
  const b = names[1];
  const c = names.length > 2 ? names[2] : a;
  const ms = rule.matches;
  for (let i = 0; i < ms.length; i++) {
    const f = ms[i]!.flag;
    if (f === a || f === b || f === c) return ms[i];
  }
  return undefined;
}

/**
 * The option optionValue reads (first by flag, aliases understood), when it
 * has a value; undefined otherwise. For passes over every rule that would
 * otherwise allocate an answer per rule and flag.
 */
export function valuedOption(rule: Rule, flag: string): RuleOption | undefined {
  const o = firstOption(rule, flag);
  return o !== undefined && o.values[0] !== undefined ? o : undefined;
}

/** First value of an option by flag (aliases understood) with its negation, or undefined. */
export function optionValue(rule: Rule, flag: string): { value: string; negated: boolean } | undefined {
  const o = firstOption(rule, flag);
  const value = o?.values[0];
  return o && value !== undefined ? { value, negated: o.negated } : undefined;
}
