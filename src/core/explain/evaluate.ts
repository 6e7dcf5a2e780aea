// The full match evaluator behind `explain`: each option of a rule is true,
// false, or null (cannot be evaluated: an ipset's contents, a mark nothing
// visible set, a rate limit, an unknown module), with a plain reason. A rule
// matches when every option holds; it does not when one option fails; it
// "may match" otherwise. Unlike model/match.ts (which answers "could this
// rule be on the path" for listing), this knows the packet's full state:
// conntrack state, marks, addrtype, interfaces that are absent at a hook.
import ipaddr from 'ipaddr.js';
import type { Rule, RuleOption } from '../types.js';
import { inNet, net } from './cidr.js';
import { ifaceMatches } from '../model/match.js';
import { canonicalFlag, parsePortList } from '../parse/rule-query.js';
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

function protoIs(spec: string, proto: string): boolean {
  const s = spec.toLowerCase();
  if (s === 'all' || s === '0') return true;
  const a = protoNumber(s);
  const b = protoNumber(proto);
  if (a !== null && b !== null) return a === b;
  return s === proto.toLowerCase();
}

/** -s/-d value (comma list of CIDRs) against an address; null when unreadable or unknown. */
function addrListHas(spec: string, ip: string | null): boolean | null {
  if (ip === null) return null;
  let hit = false;
  for (const part of spec.split(',')) {
    const r = inNet(part, ip);
    if (r === null) return net(part) ? false : null;
    if (r) hit = true;
  }
  return hit;
}

function portSpecHas(spec: string, port: number | null): boolean | null {
  if (port === null) return null;
  const ranges = parsePortList(spec);
  if (!ranges) return null;
  return ranges.some((r) => port >= r.from && port <= r.to);
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
      if (!pattern.endsWith('+') && i.except.includes(pattern)) return false;
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

function evalOption(o: RuleOption, pkt: Packet, host: HostAddrs): Eval {
  const flag = canonicalFlag(o.flag);
  const v = o.values[0] ?? '';
  const mod = o.module;
  if (mod !== null && OPAQUE_MODULES.has(mod)) return unk(`-m ${mod} depends on state explain cannot see`);
  switch (flag) {
    case '-p':
      return protoIs(v, pkt.proto) ? yes(`protocol is ${pkt.proto}`) : no(`packet is ${pkt.proto}`);
    case '-s':
      return tri(addrListHas(v, pkt.src), `source ${pkt.src} is in ${v}`, `source ${pkt.src} is not in ${v}`, 'source address unknown (any source)');
    case '-d':
      if (pkt.dst === null && pkt.dstIsHost) return unk(`destination is "a host address" (unspecified)`);
      return tri(addrListHas(v, pkt.dst), `destination ${pkt.dst} is in ${v}`, `destination ${pkt.dst} is not in ${v}`, 'destination unknown');
    case '-i':
      return tri(ifaceIs(v, pkt.inIface), `came in on ${ifaceText(pkt.inIface)}`, pkt.inIface.kind === 'none' ? 'no input interface at this hook (locally generated)' : `came in on ${ifaceText(pkt.inIface)}`, `input interface unknown (${ifaceText(pkt.inIface)})`);
    case '-o':
      return tri(ifaceIs(v, pkt.outIface), `goes out on ${ifaceText(pkt.outIface)}`, pkt.outIface.kind === 'none' ? 'no output interface yet at this hook' : `goes out on ${ifaceText(pkt.outIface)}`, `output interface unknown (${ifaceText(pkt.outIface)})`);
    case '-f':
      return no('the first packet of a connection is not a fragment');
    case '-4':
    case '--ipv4':
      return pkt.family === 4 ? yes('IPv4') : no('IPv6 packet');
    case '-6':
    case '--ipv6':
      return pkt.family === 6 ? yes('IPv6') : no('IPv4 packet');
    case '--dport':
    case '--dports':
      return tri(portSpecHas(v, pkt.dport), `destination port is ${pkt.dport}`, `destination port is ${pkt.dport}${pkt.dnat ? ' (after DNAT)' : ''}`, 'destination port unknown');
    case '--sport':
    case '--sports':
      return tri(portSpecHas(v, pkt.sport), `source port is ${pkt.sport}`, `source port is ${pkt.sport}`, 'source port unknown (the client picks it; give --sport)');
    case '--ports': {
      const d = portSpecHas(v, pkt.dport);
      const s = portSpecHas(v, pkt.sport);
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
      return protoIs(v, pkt.proto) ? yes(`protocol is ${pkt.proto}`) : no(`packet is ${pkt.proto}`);
    case '--ctorigsrc':
      return tri(addrListHas(v, pkt.origSrc), `original source ${pkt.origSrc}`, `original source is ${show(pkt.origSrc, 'source')}`, 'source unknown (any source)');
    case '--ctorigdst':
      if (pkt.origDst === null) return unk('original destination is an unspecified host address');
      return tri(addrListHas(v, pkt.origDst), `original destination ${pkt.origDst}`, `original destination is ${pkt.origDst}`, 'original destination unknown');
    case '--ctreplsrc':
      return tri(addrListHas(v, replySrc(pkt)), `reply source ${replySrc(pkt)}`, `reply source is ${replySrc(pkt)}`, 'reply source unknown');
    case '--ctrepldst':
      return tri(addrListHas(v, pkt.origSrc), `reply destination ${pkt.origSrc}`, `reply destination is ${pkt.origSrc}`, 'source unknown (any source)');
    case '--ctorigsrcport':
      return tri(portSpecHas(v, pkt.origSport), `original source port ${pkt.origSport}`, `original source port is ${pkt.origSport}`, 'source port unknown');
    case '--ctorigdstport':
      return tri(portSpecHas(v, pkt.origDport), `original destination port is ${pkt.origDport}`, `original destination port is ${pkt.origDport}`, 'original destination port unknown');
    case '--ctreplsrcport':
      return tri(portSpecHas(v, replySport(pkt)), `reply source port ${replySport(pkt)}`, `reply source port is ${replySport(pkt)}`, 'reply source port unknown');
    case '--ctrepldstport':
      return tri(portSpecHas(v, pkt.origSport), `reply destination port ${pkt.origSport}`, `reply destination port is ${pkt.origSport}`, 'source port unknown');
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
      return yes('a comment');
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

/** Evaluates every match option of a rule against the packet. */
export function evaluateRule(rule: Rule, pkt: Packet, host: HostAddrs): RuleVerdict {
  const options: OptionVerdict[] = [];
  for (const o of rule.matches) {
    const flag = canonicalFlag(o.flag);
    if (flag === '-m' || flag === '--match') continue;
    const e = evalOption(o, pkt, host);
    let value = e.v;
    if (value !== null && o.negated) value = !value;
    const v: OptionVerdict = { value: value as Tri, option: optionText(o), why: e.why };
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
