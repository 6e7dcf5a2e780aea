// The full match evaluator behind `explain`: each option of a rule is true,
// false, or null (cannot be evaluated: an ipset's contents, a mark nothing
// visible set, a rate limit, an unknown module), with a plain reason. A rule
// matches when every option holds; it does not when one option fails; it
// "may match" otherwise. Unlike model/match.ts (which answers "could this
// rule be on the path" for listing), this knows the packet's full state:
// conntrack state, marks, addrtype, interfaces that are absent at a hook.
import ipaddr from 'ipaddr.js';
import type { Rule, RuleOption } from '../types.js';
import { inNet, net, netHas, netIndex, type Net } from './cidr.js';
import { ifaceMatches } from '../model/match.js';
import { canonicalFlag, parsePortList, type PortRange } from '../parse/rule-query.js';
import { type Bits, type HostAddrs, type Iface, type Packet, ifaceText } from './packet.js';

export type Tri = true | false | null;

export interface OptionVerdict {
  value: Tri;
  /** The option as written (`! -i docker0`). */
  option: string;
  why: string;
}

export type RuleAnswer = 'match' | 'no match' | 'maybe';

export interface RuleVerdict {
  answer: RuleAnswer;
  /** For 'no match': the first failing option; for 'maybe': the options that cannot be evaluated. */
  why: string;
  /** Options that could not be evaluated (for 'maybe'). */
  unknown: OptionVerdict[];
  options: OptionVerdict[];
}

export function optionText(o: RuleOption): string {
  const vals = o.values.map((v) => (/\s/.test(v) ? JSON.stringify(v) : v)).join(' ');
  return `${o.negated ? '! ' : ''}${o.flag}${vals ? ' ' + vals : ''}`;
}

const PROTO_NUM: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, dccp: 33, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132, udplite: 136 };

function protoNumber(p: string): number | null {
  const l = p.toLowerCase();
  if (/^\d+$/.test(l)) return Number(l);
  return PROTO_NUM[l] ?? null;
}

/**
 * Does protocol spec (-p/--ctproto value) admit `proto`: `all`/`0` admit
 * every protocol; names and numbers compare by number when both are known,
 * else by name. The spec is read once per option (Compiled.proto).
 */
interface ProtoSpec {
  any: boolean;
  lower: string;
  num: number | null;
}
function protoSpec(spec: string): ProtoSpec {
  const lower = spec.toLowerCase();
  return { any: lower === 'all' || lower === '0', lower, num: protoNumber(lower) };
}
let lastProto = '';
let lastProtoNum: number | null = null;
function protoMatches(p: ProtoSpec, proto: string): boolean {
  if (p.any) return true;
  if (proto !== lastProto) {
    lastProto = proto;
    lastProtoNum = protoNumber(proto);
  }
  if (p.num !== null && lastProtoNum !== null) return p.num === lastProtoNum;
  return p.lower === proto.toLowerCase();
}

/** The flags evalOption knows, as the very strings its cases compare with (a parsed flag is a fresh string). */
const KNOWN_FLAGS = new Map<string, string>(['-p', '-s', '-d', '-i', '-o', '-f', '-4', '--ipv4', '-6', '--ipv6', '--dport', '--dports', '--sport', '--sports', '--ports', '--syn', '--tcp-flags', '--tcp-option', '--icmp-type', '--icmpv6-type', '--state', '--ctstate', '--ctproto', '--ctorigsrc', '--ctorigdst', '--ctreplsrc', '--ctrepldst', '--ctorigsrcport', '--ctorigdstport', '--ctreplsrcport', '--ctrepldstport', '--ctstatus', '--ctdir', '--ctexpire', '--src-type', '--dst-type', '--limit-iface-in', '--limit-iface-out', '--comment', '--mark', '--match-set', '--return-nomatch', '--update-counters', '--update-subcounters', '--packets-eq', '--packets-lt', '--packets-gt', '--bytes-eq', '--bytes-lt', '--bytes-gt', '--src-range', '--dst-range', '--physdev-is-bridged', '--physdev-in', '--physdev-out', '--physdev-is-in', '--physdev-is-out', '--pkt-type', '--pol', '--dir'].map((f) => [f, f]));

/**
 * -s/-d value (comma list of CIDRs, parsed once per option: `parts`) against
 * an address; null when unreadable or unknown. Same answer as testing
 * `inNet(part, ip)` part by part.
 */
function addrListHas(parts: ReadonlyArray<Net | null>, ip: string | null): boolean | null {
  if (ip === null) return null;
  const b = net(ip);
  let hit = false;
  for (const a of parts) {
    if (a === null) return null;
    if (b === null) return false;
    if (netHas(a, b)) hit = true;
  }
  return hit;
}

function portSpecHas(ranges: readonly PortRange[] | null, port: number | null): boolean | null {
  if (port === null) return null;
  if (!ranges) return null;
  for (const r of ranges) if (port >= r.from && port <= r.to) return true;
  return false;
}

/** `except` of an external interface as a set (the list names every Docker bridge). */
const exceptSets = new WeakMap<readonly string[], Set<string>>();
let lastExcept: readonly string[] | null = null;
let lastExceptSet: Set<string> = new Set();
function exceptSet(except: readonly string[]): Set<string> {
  if (except === lastExcept) return lastExceptSet;
  let s = exceptSets.get(except);
  if (!s) exceptSets.set(except, (s = new Set(except)));
  lastExcept = except;
  lastExceptSet = s;
  return s;
}

function ifaceIs(pattern: string, i: Iface): boolean | null {
  switch (i.kind) {
    case 'name':
      return ifaceMatches(pattern, i.name);
    case 'none':
      // The kernel compares against an empty name: only a bare `+` matches it.
      return pattern === '+';
    case 'external':
      // Some interface other than `except`: a pattern naming only excluded
      // interfaces cannot match it; anything else might.
      if (!pattern.endsWith('+') && exceptSet(i.except).has(pattern)) return false;
      return null;
    case 'unknown':
      return null;
  }
}

function ipBytes(ip: string): number[] | null {
  try {
    const a = ipaddr.parse(ip);
    return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address().toByteArray() : a.toByteArray();
  } catch {
    return null;
  }
}

function cmpBytes(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return a.length - b.length;
}

/** -m iprange `a-b` against an address. */
function inRange(spec: string, ip: string | null): boolean | null {
  if (ip === null) return null;
  const [lo, hi] = spec.split('-');
  const x = ipBytes(ip);
  const l = lo ? ipBytes(lo) : null;
  const h = hi ? ipBytes(hi) : l;
  if (!x || !l || !h || x.length !== l.length) return x && l && x.length !== l.length ? false : null;
  return cmpBytes(x, l) >= 0 && cmpBytes(x, h) <= 0;
}

function parseNum(s: string): number | null {
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 && n <= 0xffffffff ? n >>> 0 : null;
}

/** `value[/mask]` as written by -m mark / --set-xmark. */
export function parseMarkSpec(s: string): { value: number; mask: number } | null {
  const [v, m] = s.split('/');
  const value = v !== undefined ? parseNum(v) : null;
  const mask = m !== undefined ? parseNum(m) : 0xffffffff;
  if (value === null || mask === null) return null;
  return { value, mask };
}

function markIs(spec: string, bits: Bits): boolean | null {
  const m = parseMarkSpec(spec);
  if (!m) return null;
  if ((m.mask & ~bits.known) >>> 0 !== 0) return null;
  return ((bits.value & m.mask) >>> 0) === ((m.value & m.mask) >>> 0);
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

// ---------------------------------------------------------------- addrtype

const MULTICAST4 = '224.0.0.0/4';
const MULTICAST6 = 'ff00::/8';

function isLocal(ip: string | null, pkt: Packet, host: HostAddrs, which: 'src' | 'dst'): boolean | null {
  if (ip === null) {
    if (which === 'dst' && pkt.dstIsHost) return true;
    if (which === 'src' && pkt.localOrigin) return true;
    return null;
  }
  const c = net(ip);
  if (!c) return null;
  if (c.family === 4 && inNetB('127.0.0.0/8', c.addr)) return true;
  if (c.family === 6 && c.addr === '::1') return true;
  if (host.local.has(c.addr)) return true;
  if (which === 'dst' && pkt.dstIsHost && ip === pkt.dst) return true;
  return host.complete ? false : null;
}

/** The address types an address has, as the kernel's route lookup would classify it. */
function addrTypes(ip: string | null, pkt: Packet, host: HostAddrs, which: 'src' | 'dst'): Set<string> | null {
  const local = isLocal(ip, pkt, host, which);
  if (local === true) return new Set(['LOCAL']);
  if (ip === null || local === null) return null;
  const c = net(ip);
  if (!c) return null;
  if (c.family === 4 && (c.addr === '255.255.255.255' || host.broadcast.has(c.addr))) return new Set(['BROADCAST']);
  if (inNetB(c.family === 4 ? MULTICAST4 : MULTICAST6, c.addr)) return new Set(['MULTICAST']);
  if (c.family === 4 && c.addr === '0.0.0.0') return new Set(['UNSPEC']);
  // Anything else routes as unicast (a host with a default route).
  return new Set(['UNICAST']);
}

// ---------------------------------------------------------------- conntrack

function ctStates(pkt: Packet): string[] {
  if (pkt.untracked) return ['UNTRACKED'];
  const s = ['NEW'];
  if (pkt.dnat) s.push('DNAT');
  if (pkt.snat) s.push('SNAT');
  return s;
}

function replySrc(pkt: Packet): string | null {
  return pkt.dnat ? pkt.dst : pkt.origDst;
}

function replySport(pkt: Packet): number | null {
  return pkt.dnat ? pkt.dport : pkt.origDport;
}

// ---------------------------------------------------------------- options

type Eval = { v: Tri; why: string };

const yes = (why: string): Eval => ({ v: true, why });
const no = (why: string): Eval => ({ v: false, why });
const unk = (why: string): Eval => ({ v: null, why });
const tri = (v: boolean | null, whenTrue: string, whenFalse: string, whenNull: string): Eval =>
  v === null ? unk(whenNull) : v ? yes(whenTrue) : no(whenFalse);

// Constant answers of the most frequent options, shared (an Eval is never changed).
const UNK_SRC = unk('source address unknown (any source)');
const UNK_DST = unk('destination unknown');
const UNK_DPORT = unk('destination port unknown');
const YES_COMMENT = yes('a comment');

function show(x: string | number | null, what: string): string {
  return x === null ? `${what} unknown` : String(x);
}

/** Modules whose options depend on rates, time, payload or process state: never evaluable. */
const OPAQUE_MODULES = new Set([
  'limit', 'hashlimit', 'recent', 'connlimit', 'statistic', 'string', 'u32', 'bpf', 'owner', 'socket', 'rpfilter',
  'helper', 'mac', 'time', 'cgroup', 'devgroup', 'cpu', 'realm', 'quota', 'connbytes', 'connlabel', 'ipvs', 'nfacct',
  'osf', 'rateest', 'length', 'ttl', 'hl', 'tos', 'dscp', 'ecn', 'ipv6header', 'frag', 'hbh', 'dst', 'rt', 'mh', 'eui64',
  'ah', 'esp', 'cluster', 'condition', 'geoip', 'xt_geoip',
]);

/**
 * A match option with what evaluating it needs, worked out once per option
 * object: the parser shares one frozen RuleOption between all the rules that
 * carry the same option (`-p tcp`, `-o docker0`, `--dport 80`...), so a large
 * host compiles a few thousand options instead of one per option per rule.
 * Its texts are only needed for the reasons explain writes out (a small part
 * of the options it tests), so they are made on first use.
 */
class Compiled {
  /** Canonical flag. */
  readonly flag: string;
  /** First value, '' when none. */
  readonly v: string;
  readonly mod: string | null;
  /** -s/-d/--ctorig*: the comma list as networks. */
  readonly addrs: ReadonlyArray<Net | null>;
  /** Port options: the port list (null when unreadable). */
  readonly ports: readonly PortRange[] | null;
  /** From a module whose state explain cannot see (OPAQUE_MODULES). */
  readonly opaque: boolean;
  /** -p / --ctproto: the protocol read once. */
  readonly proto: ProtoSpec | null;
  private textMemo: string | undefined = undefined;
  private headMemo: string | undefined = undefined;

  constructor(
    readonly o: RuleOption,
    canon: string,
  ) {
    const flag = KNOWN_FLAGS.get(canon) ?? canon;
    const v = o.values[0] ?? '';
    this.flag = flag;
    this.v = v;
    this.mod = o.module;
    this.addrs = ADDR_FLAGS.has(flag) ? v.split(',').map((part) => net(part)) : NO_ADDRS;
    this.ports = PORT_FLAGS.has(flag) ? parsePortList(v) : null;
    this.opaque = o.module !== null && OPAQUE_MODULES.has(o.module);
    this.proto = flag === '-p' || flag === '--ctproto' ? protoSpec(v) : null;
  }

  /** The option as written (optionText). */
  get text(): string {
    return (this.textMemo ??= optionText(this.o));
  }

  /** `${text}: `, the start of every reason given for it. */
  get head(): string {
    return (this.headMemo ??= `${this.text}: `);
  }

  /** -s/-d: the ends of their reasons. */
  get isIn(): string {
    return ` is in ${this.v}`;
  }

  get notIn(): string {
    return ` is not in ${this.v}`;
  }
}

/** A rule's match options, compiled for evaluation (compileRule). */
export type CompiledRule = readonly Compiled[];

const ADDR_FLAGS = new Set(['-s', '-d', '--ctorigsrc', '--ctorigdst', '--ctreplsrc', '--ctrepldst']);
const PORT_FLAGS = new Set(['--dport', '--dports', '--sport', '--sports', '--ports', '--ctorigsrcport', '--ctorigdstport', '--ctreplsrcport', '--ctrepldstport']);
const NO_ADDRS: ReadonlyArray<Net | null> = [];

/** Per option object; null: a -m/--match (not evaluated). */
const compiledOptions = new WeakMap<RuleOption, Compiled | null>();
/**
 * Per matches array (what a compiled rule depends on; a RuleCache shares the
 * array between parses of the same rule text, so it survives refreshes).
 */
const compiledRules = new WeakMap<readonly RuleOption[], Compiled[]>();

/** The match options of a rule (without -m), compiled once per rule: rules are never changed after parsing. */
export function compileRule(rule: Rule): CompiledRule {
  return compiled(rule);
}

/** @internal compileRule without any memo (fresh objects): the reference for the tests. */
export function compileRuleFresh(rule: Rule): CompiledRule {
  const out: Compiled[] = [];
  for (const o of rule.matches) {
    const canon = canonicalFlag(o.flag);
    if (canon !== '-m' && canon !== '--match') out.push(new Compiled(o, canon));
  }
  return out;
}

function compiled(rule: Rule): Compiled[] {
  const ms = rule.matches;
  let c = compiledRules.get(ms);
  if (c === undefined) {
    c = [];
    for (let i = 0; i < ms.length; i++) {
      const o = ms[i] as RuleOption;
      let x = compiledOptions.get(o);
      if (x === undefined) {
        const canon = canonicalFlag(o.flag);
        x = canon === '-m' || canon === '--match' ? null : new Compiled(o, canon);
        compiledOptions.set(o, x);
      }
      if (x !== null) c.push(x);
    }
    compiledRules.set(ms, c);
  }
  return c;
}

function evalOption(c: Compiled, pkt: Packet, host: HostAddrs): Eval {
  const { o, flag, v, mod } = c;
  if (c.opaque) return unk(`-m ${mod} depends on state explain cannot see`);
  switch (flag) {
    case '-p':
      return protoMatches(c.proto as ProtoSpec, pkt.proto) ? yes(`protocol is ${pkt.proto}`) : no(`packet is ${pkt.proto}`);
    // The most frequent options build only the reason they give (as tri would).
    case '-s': {
      const r = addrListHas(c.addrs, pkt.src);
      return r === null ? UNK_SRC : r ? yes(`source ${pkt.src} is in ${v}`) : no(`source ${pkt.src} is not in ${v}`);
    }
    case '-d': {
      if (pkt.dst === null && pkt.dstIsHost) return unk(`destination is "a host address" (unspecified)`);
      const r = addrListHas(c.addrs, pkt.dst);
      return r === null ? UNK_DST : r ? yes(`destination ${pkt.dst} is in ${v}`) : no(`destination ${pkt.dst} is not in ${v}`);
    }
    case '-i': {
      const r = ifaceIs(v, pkt.inIface);
      if (r === null) return unk(`input interface unknown (${ifaceText(pkt.inIface)})`);
      return r ? yes(`came in on ${ifaceText(pkt.inIface)}`) : no(pkt.inIface.kind === 'none' ? 'no input interface at this hook (locally generated)' : `came in on ${ifaceText(pkt.inIface)}`);
    }
    case '-o': {
      const r = ifaceIs(v, pkt.outIface);
      if (r === null) return unk(`output interface unknown (${ifaceText(pkt.outIface)})`);
      return r ? yes(`goes out on ${ifaceText(pkt.outIface)}`) : no(pkt.outIface.kind === 'none' ? 'no output interface yet at this hook' : `goes out on ${ifaceText(pkt.outIface)}`);
    }
    case '-f':
      return no('the first packet of a connection is not a fragment');
    case '-4':
    case '--ipv4':
      return pkt.family === 4 ? yes('IPv4') : no('IPv6 packet');
    case '-6':
    case '--ipv6':
      return pkt.family === 6 ? yes('IPv6') : no('IPv4 packet');
    case '--dport':
    case '--dports': {
      const r = portSpecHas(c.ports, pkt.dport);
      return r === null ? UNK_DPORT : r ? yes(`destination port is ${pkt.dport}`) : no(`destination port is ${pkt.dport}${pkt.dnat ? ' (after DNAT)' : ''}`);
    }
    case '--sport':
    case '--sports':
      return tri(portSpecHas(c.ports, pkt.sport), `source port is ${pkt.sport}`, `source port is ${pkt.sport}`, 'source port unknown (the client picks it; give --sport)');
    case '--ports': {
      const d = portSpecHas(c.ports, pkt.dport);
      const s = portSpecHas(c.ports, pkt.sport);
      if (d === true || s === true) return yes(`port ${d ? pkt.dport : pkt.sport} is listed`);
      if (d === false && s === false) return no(`ports ${pkt.sport}/${pkt.dport} are not listed`);
      return unk('source port unknown (the client picks it; give --sport)');
    }
    case '--syn':
      return pkt.proto === 'tcp' ? yes('the first packet of a TCP connection is a SYN') : no('not TCP');
    case '--tcp-flags': {
      if (pkt.proto !== 'tcp') return no('not TCP');
      const bitsOf = (s: string) => new Set(s.toUpperCase() === 'ALL' ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH'] : s.toUpperCase() === 'NONE' ? [] : s.toUpperCase().split(','));
      const mask = bitsOf(o.values[0] ?? '');
      const comp = bitsOf(o.values[1] ?? '');
      const set = new Set(['SYN']);
      const ok = [...mask].every((f) => set.has(f) === comp.has(f));
      return ok ? yes('flags of a SYN') : no('the first packet carries SYN only');
    }
    case '--tcp-option':
    case '--icmp-type':
    case '--icmpv6-type':
      return unk(`${flag} is not evaluated`);
    case '--state':
    case '--ctstate': {
      const have = ctStates(pkt);
      const want = v.toUpperCase().split(',');
      const hit = want.some((s) => have.includes(s));
      return hit ? yes(`state is ${have.join(',')}`) : no(`state is ${have.join(',')} (a new connection)`);
    }
    case '--ctproto':
      return protoMatches(c.proto as ProtoSpec, pkt.proto) ? yes(`protocol is ${pkt.proto}`) : no(`packet is ${pkt.proto}`);
    case '--ctorigsrc':
      return tri(addrListHas(c.addrs, pkt.origSrc), `original source ${pkt.origSrc}`, `original source is ${show(pkt.origSrc, 'source')}`, 'source unknown (any source)');
    case '--ctorigdst':
      if (pkt.origDst === null) return unk('original destination is an unspecified host address');
      return tri(addrListHas(c.addrs, pkt.origDst), `original destination ${pkt.origDst}`, `original destination is ${pkt.origDst}`, 'original destination unknown');
    case '--ctreplsrc':
      return tri(addrListHas(c.addrs, replySrc(pkt)), `reply source ${replySrc(pkt)}`, `reply source is ${replySrc(pkt)}`, 'reply source unknown');
    case '--ctrepldst':
      return tri(addrListHas(c.addrs, pkt.origSrc), `reply destination ${pkt.origSrc}`, `reply destination is ${pkt.origSrc}`, 'source unknown (any source)');
    case '--ctorigsrcport':
      return tri(portSpecHas(c.ports, pkt.origSport), `original source port ${pkt.origSport}`, `original source port is ${pkt.origSport}`, 'source port unknown');
    case '--ctorigdstport':
      return tri(portSpecHas(c.ports, pkt.origDport), `original destination port is ${pkt.origDport}`, `original destination port is ${pkt.origDport}`, 'original destination port unknown');
    case '--ctreplsrcport':
      return tri(portSpecHas(c.ports, replySport(pkt)), `reply source port ${replySport(pkt)}`, `reply source port is ${replySport(pkt)}`, 'reply source port unknown');
    case '--ctrepldstport':
      return tri(portSpecHas(c.ports, pkt.origSport), `reply destination port ${pkt.origSport}`, `reply destination port is ${pkt.origSport}`, 'source port unknown');
    case '--ctstatus': {
      const want = v.toUpperCase().split(',');
      return want.includes('NONE') ? yes('a new connection has no status bits') : no('a new connection has no status bits yet');
    }
    case '--ctdir':
      return v.toUpperCase() === 'ORIGINAL' ? yes('the packet is in the original direction') : no('the packet is in the original direction');
    case '--ctexpire':
      return unk('--ctexpire is not evaluated');
    case '--src-type':
    case '--dst-type': {
      if (mod !== 'addrtype') return unk(`${flag} of -m ${mod ?? '?'} is not evaluated`);
      const which = flag === '--src-type' ? 'src' : 'dst';
      const ip = which === 'src' ? pkt.src : pkt.dst;
      const types = addrTypes(ip, pkt, host, which);
      const want = v.toUpperCase().split(',');
      const label = ip ?? (which === 'dst' && pkt.dstIsHost ? 'the host address' : 'the address');
      if (types === null) return unk(`whether ${label} is ${want.join(',')} is unknown (no address list)`);
      const hit = want.some((t) => types.has(t));
      return hit ? yes(`${label} is ${[...types].join(',')}`) : no(`${label} is ${[...types].join(',')}`);
    }
    case '--limit-iface-in':
    case '--limit-iface-out':
      return unk(`${flag} is not evaluated`);
    case '--comment':
      return YES_COMMENT;
    case '--mark': {
      const bits = mod === 'connmark' ? pkt.ctmark : pkt.mark;
      const what = mod === 'connmark' ? 'connection mark' : 'packet mark';
      const r = markIs(v, bits);
      if (r === null) return unk(`${what} unknown${bits.known ? ` beyond bits ${hex(bits.known)}` : ''} (set outside the rules seen, e.g. by tc or native nftables; give --mark)`);
      return r ? yes(`${what} is ${hex(bits.value & bits.known)}`) : no(`${what} is ${hex(bits.value & bits.known)}`);
    }
    case '--match-set': {
      const name = o.values[0] ?? '';
      const dirs = (o.values[1] ?? '').split(',');
      const dm = /^docker-ext-bridges-v([46])$/.exec(name);
      if (dm && dirs.length === 1 && (dirs[0] === 'dst' || dirs[0] === 'src')) {
        const ip = dirs[0] === 'dst' ? pkt.dst : pkt.src;
        if (ip === null) return unk('address unknown');
        const hit = host.bridges.some((b) => b.subnets.some((s) => inNetB(s, ip)));
        return hit ? yes(`${ip} is in a Docker bridge subnet (Docker's ${name} ipset holds them)`) : no(`${ip} is not in a Docker bridge subnet (Docker's ${name} ipset holds them)`);
      }
      return unk(`ipset ${name}: its members are not in the snapshot`);
    }
    case '--return-nomatch':
    case '--update-counters':
    case '--update-subcounters':
    case '--packets-eq':
    case '--packets-lt':
    case '--packets-gt':
    case '--bytes-eq':
    case '--bytes-lt':
    case '--bytes-gt':
      return mod === 'set' && flag.startsWith('--update') ? yes('counter option') : unk(`${flag} is not evaluated`);
    case '--src-range':
      return tri(inRange(v, pkt.src), `source ${pkt.src} is in ${v}`, `source ${pkt.src} is not in ${v}`, 'source unknown (any source)');
    case '--dst-range':
      return tri(inRange(v, pkt.dst), `destination ${pkt.dst} is in ${v}`, `destination ${pkt.dst} is not in ${v}`, 'destination unknown');
    case '--physdev-is-bridged':
      return no('the packet is routed, not bridged');
    case '--physdev-in':
    case '--physdev-out':
    case '--physdev-is-in':
    case '--physdev-is-out':
      return unk(`${flag} is not evaluated`);
    case '--pkt-type': {
      const t = addrTypes(pkt.dst, pkt, host, 'dst');
      if (t === null) return unk('destination type unknown');
      const kind = t.has('BROADCAST') ? 'broadcast' : t.has('MULTICAST') ? 'multicast' : 'unicast';
      return v.toLowerCase() === kind ? yes(`a ${kind} packet`) : no(`a ${kind} packet`);
    }
    case '--pol':
      if (mod !== 'policy') return unk(`${flag} is not evaluated`);
      return v === 'none' ? yes('no IPsec policy applies (assumed)') : unk('IPsec policy is not evaluated');
    case '--dir':
      if (mod === 'policy') return yes('direction');
      return unk(`${flag} is not evaluated`);
    default:
      return unk(`${o.flag}${mod ? ` (-m ${mod})` : ''} is not evaluated`);
  }
}

export interface RuleAnswerBrief {
  answer: RuleAnswer;
  why: string;
}

/**
 * evaluateRule's answer and reason only (what a chain walk records), without
 * the per-option list: the walk asks this of every rule a packet passes.
 */
export function judgeRule(rule: Rule, pkt: Packet, host: HostAddrs, cs: CompiledRule = compiled(rule)): RuleAnswerBrief {
  // An option's reason is only spelled out when it is given: the first that
  // fails, or (when none fails) those that cannot be evaluated.
  let unknown: Compiled[] | null = null;
  for (const c of cs) {
    const raw = quickValue(c, pkt);
    let value = raw === undefined ? evalOption(c, pkt, host).v : raw;
    const given = value;
    if (value !== null && c.o.negated) value = !value;
    if (value === false) return { answer: 'no match', why: c.head + reasonOf(c, pkt, host, raw === undefined ? undefined : given) };
    if (value === null) (unknown ??= []).push(c);
  }
  if (unknown !== null) {
    const parts: string[] = [];
    for (const c of unknown) parts.push(c.head + reasonOf(c, pkt, host, quickValue(c, pkt)));
    return { answer: 'maybe', why: parts.join('; ') };
  }
  const full = evaluateRule(rule, pkt, host);
  return { answer: full.answer, why: full.why };
}

/** Reasons that depend only on the packet, made once per packet (a walk asks thousands of rules about one packet). */
interface PacketReasons {
  protoYes?: string;
  protoNo?: string;
  dportYes?: string;
  dportNo?: string;
  inYes?: string;
  inNo?: string;
  inUnknown?: string;
  outYes?: string;
  outNo?: string;
  outUnknown?: string;
  src?: string;
  dst?: string;
}
let reasonsPkt: Packet | null = null;
let reasons: PacketReasons = {};

/**
 * The reason evalOption gives for an option whose value (before negation) is
 * `value`, built from parts made once per packet or per option where it can;
 * `value` undefined (not one of quickValue's options): ask evalOption.
 */
function reasonOf(c: Compiled, pkt: Packet, host: HostAddrs, value: Tri | undefined): string {
  if (value === undefined || c.opaque) return evalOption(c, pkt, host).why;
  if (pkt !== reasonsPkt) {
    reasonsPkt = pkt;
    reasons = {};
  }
  const m = reasons;
  switch (c.flag) {
    case '-p':
      return value ? (m.protoYes ??= `protocol is ${pkt.proto}`) : (m.protoNo ??= `packet is ${pkt.proto}`);
    case '-s':
      if (value === null) return UNK_SRC.why;
      return (m.src ??= `source ${pkt.src}`) + (value ? c.isIn : c.notIn);
    case '-d':
      if (value === null) return evalOption(c, pkt, host).why;
      return (m.dst ??= `destination ${pkt.dst}`) + (value ? c.isIn : c.notIn);
    case '-i':
      if (value === null) return (m.inUnknown ??= `input interface unknown (${ifaceText(pkt.inIface)})`);
      return value ? (m.inYes ??= `came in on ${ifaceText(pkt.inIface)}`) : (m.inNo ??= pkt.inIface.kind === 'none' ? 'no input interface at this hook (locally generated)' : `came in on ${ifaceText(pkt.inIface)}`);
    case '-o':
      if (value === null) return (m.outUnknown ??= `output interface unknown (${ifaceText(pkt.outIface)})`);
      return value ? (m.outYes ??= `goes out on ${ifaceText(pkt.outIface)}`) : (m.outNo ??= pkt.outIface.kind === 'none' ? 'no output interface yet at this hook' : `goes out on ${ifaceText(pkt.outIface)}`);
    case '--dport':
    case '--dports':
      if (value === null) return UNK_DPORT.why;
      return value ? (m.dportYes ??= `destination port is ${pkt.dport}`) : (m.dportNo ??= `destination port is ${pkt.dport}${pkt.dnat ? ' (after DNAT)' : ''}`);
    default:
      return evalOption(c, pkt, host).why;
  }
}

/**
 * The value evalOption gives an option (negation not applied) for the options
 * a chain walk meets most, without building its reason; undefined: not one of
 * those (ask evalOption).
 */
function quickValue(c: Compiled, pkt: Packet): Tri | undefined {
  if (c.opaque) return null;
  switch (c.flag) {
    case '-p':
      return protoMatches(c.proto as ProtoSpec, pkt.proto);
    case '-s':
      return addrListHas(c.addrs, pkt.src);
    case '-d':
      if (pkt.dst === null && pkt.dstIsHost) return null;
      return addrListHas(c.addrs, pkt.dst);
    case '-i':
      return ifaceIs(c.v, pkt.inIface);
    case '-o':
      return ifaceIs(c.v, pkt.outIface);
    case '--dport':
    case '--dports':
      return portSpecHas(c.ports, pkt.dport);
    case '--ctorigdstport':
      return portSpecHas(c.ports, pkt.origDport);
    case '--comment':
      return true;
    default:
      return undefined;
  }
}

/** evaluateRule's answer alone: no reasons are built (a walk that records only what decides asks this first). */
export function ruleAnswer(rule: Rule, pkt: Packet, host: HostAddrs, cs: CompiledRule = compiled(rule)): RuleAnswer {
  let unknown = false;
  for (const c of cs) {
    let v = quickValue(c, pkt);
    if (v === undefined) v = evalOption(c, pkt, host).v;
    if (v !== null && c.o.negated) v = !v;
    if (v === false) return 'no match';
    if (v === null) unknown = true;
  }
  return unknown ? 'maybe' : 'match';
}

/**
 * A chain's rules that can match a packet, found without testing each: every
 * rule is filed under one plain (not negated) option that must hold for it to
 * match, the most selective it has: -d, a --dport list of single ports, -o,
 * -i or -s; a packet whose field rules that option out cannot match the rule
 * (surelyFails would say so). Rules with none of these are always candidates.
 * Lets a walk that does not record non-matching rules jump over them (chains
 * of thousands of per-port DNATs, ACCEPTs and MASQUERADEs).
 */
export interface RuleCandidates {
  /** Positions (ascending) of the rules that may match `pkt`; the others surely do not. */
  at(pkt: Packet): readonly number[];
}

type Filed = { i: number; key: string };

/** -s/-d with a value whose every part is a readable network. */
function plainNets(c: Compiled): boolean {
  if (c.v === '' || c.addrs.length === 0) return false;
  for (const a of c.addrs) if (a === null) return false;
  return true;
}

/** A --dport(s) list of single ports only. */
function singlePorts(ports: readonly PortRange[] | null): boolean {
  if (ports === null) return false;
  for (const r of ports) if (r.from !== r.to) return false;
  return true;
}

/** Where a chain's rules are filed (see RuleCandidates). */
interface Filing {
  always: number[];
  byPort: Map<number, number[]>;
  dst: Array<{ i: number; nets: Net[] }>;
  src: Array<{ i: number; nets: Net[] }>;
  inIf: Filed[];
  outIf: Filed[];
}

function newFiling(): Filing {
  return { always: [], byPort: new Map(), dst: [], src: [], inIf: [], outIf: [] };
}

function fileByPorts(f: Filing, i: number, ports: readonly PortRange[]): void {
  for (const r of ports) {
    const l = f.byPort.get(r.from);
    if (!l) f.byPort.set(r.from, [i]);
    else if (l[l.length - 1] !== i) l.push(i);
  }
}

/** The chain candidate index over compiled rules (the reference for chainCandidates). */
export function ruleCandidates(rules: readonly Rule[], comp: (i: number) => CompiledRule): RuleCandidates {
  const f = newFiling();
  // Each rule is filed under the first option of the most selective kind it
  // has (one pass over its options: the first of each kind, then by rank).
  const n = rules.length;
  for (let i = 0; i < n; i++) {
    const cs = comp(i);
    let d: Compiled | null = null;
    let p: Compiled | null = null;
    let o: Compiled | null = null;
    let inn: Compiled | null = null;
    let s: Compiled | null = null;
    for (let k = 0; k < cs.length; k++) {
      const c = cs[k] as Compiled;
      if (c.opaque || c.o.negated) continue;
      const flag = c.flag;
      if (flag === '-d' || flag === '-s') {
        if (flag === '-d' ? d !== null : s !== null) continue;
        if (!plainNets(c)) continue;
        if (flag === '-d') {
          d = c;
          break; // the first rank: nothing else is looked at
        }
        s = c;
      } else if (flag === '--dport' || flag === '--dports') {
        if (p === null && singlePorts(c.ports)) p = c;
      } else if (flag === '-o' || flag === '-i') {
        if (c.v === '' || c.v.endsWith('+')) continue;
        if (flag === '-o') o ??= c;
        else inn ??= c;
      }
    }
    if (d !== null) f.dst.push({ i, nets: d.addrs as Net[] });
    else if (p !== null) fileByPorts(f, i, p.ports as readonly PortRange[]);
    else if (o !== null) f.outIf.push({ i, key: o.v });
    else if (inn !== null) f.inIf.push({ i, key: inn.v });
    else if (s !== null) f.src.push({ i, nets: s.addrs as Net[] });
    else f.always.push(i);
  }
  return candidatesOf(f);
}

/** A -s/-d value as networks, every part readable; null otherwise. Memoised by text (bounded). */
const PLAIN_NETS_MAX = 50_000;
const plainNetsMemo = new Map<string, Net[] | null>();
function plainNetsOf(v: string): Net[] | null {
  let r = plainNetsMemo.get(v);
  if (r === undefined) {
    r = null;
    if (v !== '') {
      const parts = v.split(',').map((part) => net(part));
      if (parts.every((a) => a !== null)) r = parts as Net[];
    }
    if (plainNetsMemo.size >= PLAIN_NETS_MAX) plainNetsMemo.clear();
    plainNetsMemo.set(v, r);
  }
  return r;
}

/**
 * ruleCandidates read straight off each rule's options, without compiling
 * the rules: a quiet walk files every rule of a long chain (tens of
 * thousands on a large host) but evaluates only the few a packet can match,
 * so compiling them all for the index cost more than the walks. Files each
 * rule exactly as ruleCandidates does (a test checks they agree).
 */
export function chainCandidates(rules: readonly Rule[]): RuleCandidates {
  const f = newFiling();
  const n = rules.length;
  for (let i = 0; i < n; i++) {
    const ms = (rules[i] as Rule).matches;
    let d: Net[] | null = null;
    let p: readonly PortRange[] | null = null;
    let o: string | null = null;
    let inn: string | null = null;
    let s: Net[] | null = null;
    for (let k = 0; k < ms.length; k++) {
      const opt = ms[k] as RuleOption;
      if (opt.negated || (opt.module !== null && OPAQUE_MODULES.has(opt.module))) continue;
      const flag = canonicalFlag(opt.flag);
      if (flag === '-d' || flag === '-s') {
        if (flag === '-d' ? d !== null : s !== null) continue;
        const nets = plainNetsOf(opt.values[0] ?? '');
        if (nets === null) continue;
        if (flag === '-d') {
          d = nets;
          break;
        }
        s = nets;
      } else if (flag === '--dport' || flag === '--dports') {
        if (p !== null) continue;
        const ports = parsePortList(opt.values[0] ?? '');
        if (singlePorts(ports)) p = ports;
      } else if (flag === '-o' || flag === '-i') {
        const v = opt.values[0] ?? '';
        if (v === '' || v.endsWith('+')) continue;
        if (flag === '-o') o ??= v;
        else inn ??= v;
      }
    }
    if (d !== null) f.dst.push({ i, nets: d });
    else if (p !== null) fileByPorts(f, i, p);
    else if (o !== null) f.outIf.push({ i, key: o });
    else if (inn !== null) f.inIf.push({ i, key: inn });
    else if (s !== null) f.src.push({ i, nets: s });
    else f.always.push(i);
  }
  return candidatesOf(f);
}

function candidatesOf(f: Filing): RuleCandidates {
  const { always, byPort, dst, src, inIf, outIf } = f;
  const byName = (l: Filed[]) => {
    const m = new Map<string, number[]>();
    for (const f of l) {
      const x = m.get(f.key);
      if (x) x.push(f.i);
      else m.set(f.key, [f.i]);
    }
    return m;
  };
  const inByName = byName(inIf);
  const outByName = byName(outIf);
  const addrIndex = (l: Array<{ i: number; nets: Net[] }>) => {
    const cidrs: Net[] = [];
    const owner: number[] = [];
    for (const e of l)
      for (const n of e.nets) {
        cidrs.push(n);
        owner.push(e.i);
      }
    const ix = netIndex(cidrs);
    return (ip: string | null): number[] => {
      // An unknown address rules nothing out; an unreadable one fails every plain -s/-d.
      if (ip === null) return l.map((e) => e.i);
      return ix.holders(ip).map((k) => owner[k] as number);
    };
  };
  const dstAt = addrIndex(dst);
  const srcAt = addrIndex(src);
  // Rules a packet from/to "some external interface" can match, per except list (one per model).
  const external = new Map<Filed[], { except: readonly string[]; at: number[] }>();
  const ifaceAt = (l: Filed[], m: Map<string, number[]>, i: Iface): number[] => {
    switch (i.kind) {
      case 'name':
        return m.get(i.name) ?? [];
      case 'none':
        return []; // only a bare + matches no interface
      case 'external': {
        const hit = external.get(l);
        if (hit && hit.except === i.except) return hit.at;
        const ex = exceptSet(i.except);
        const at = l.filter((f) => !ex.has(f.key)).map((f) => f.i);
        external.set(l, { except: i.except, at });
        return at;
      }
      case 'unknown':
        return l.map((f) => f.i);
    }
  };
  const add = (out: number[], l: readonly number[]) => {
    for (const i of l) out.push(i);
  };
  return {
    at(pkt) {
      const out: number[] = always.slice();
      if (pkt.dst === null && pkt.dstIsHost) for (const e of dst) out.push(e.i);
      else add(out, dstAt(pkt.dst));
      if (pkt.dport === null) for (const l of byPort.values()) add(out, l);
      else add(out, byPort.get(pkt.dport) ?? []);
      add(out, ifaceAt(outIf, outByName, pkt.outIface));
      add(out, ifaceAt(inIf, inByName, pkt.inIface));
      add(out, srcAt(pkt.src));
      out.sort((a, b) => a - b);
      // A rule filed under several addresses can come twice.
      let w = 0;
      for (let r = 0; r < out.length; r++) if (r === 0 || out[r] !== out[r - 1]) out[w++] = out[r] as number;
      out.length = w;
      return out;
    },
  };
}

/** Evaluates every match option of a rule against the packet. */
export function evaluateRule(rule: Rule, pkt: Packet, host: HostAddrs): RuleVerdict {
  const options: OptionVerdict[] = [];
  for (const c of compiled(rule)) {
    const e = evalOption(c, pkt, host);
    let value = e.v;
    if (value !== null && c.o.negated) value = !value;
    const v: OptionVerdict = { value: value as Tri, option: c.text, why: e.why };
    options.push(v);
    // The first option that fails decides: the kernel stops there too.
    if (value === false) return { answer: 'no match', why: `${v.option}: ${v.why}`, unknown: [], options };
  }
  const unknown = options.filter((x) => x.value === null);
  if (unknown.length > 0) return { answer: 'maybe', why: unknown.map((u) => `${u.option}: ${u.why}`).join('; '), unknown, options };
  const shown = options.filter((x) => !x.option.startsWith('--comment')).slice(0, 3);
  const why = shown.length === 0 ? 'no conditions' : shown.map((x) => `${x.option}: ${x.why}`).join('; ');
  return { answer: 'match', why, unknown: [], options };
}

function inNetB(cidr: string, ip: string): boolean {
  return inNet(cidr, ip) === true;
}
