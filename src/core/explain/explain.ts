// `explain`: follow one new connection's first packet through netfilter as
// the kernel would, over the rules in the model, and say what happens to it.
//
// Kernel order (netfilter-facts.md):
//  from outside: raw PREROUTING -> mangle PREROUTING -> nat PREROUTING (DNAT)
//    -> routing: a host address -> mangle/filter INPUT -> a listener
//                 (docker-proxy -> its own connection to the container, OUTPUT)
//              -> anything else -> mangle/filter FORWARD -> mangle/nat POSTROUTING
//                 -> the container (or out of the host)
//  from the host itself: routing -> raw/mangle/nat OUTPUT (DNAT) -> filter OUTPUT
//    -> mangle/nat POSTROUTING -> a container, or through lo into
//    raw/mangle PREROUTING (nat is not consulted again) -> filter INPUT -> a listener.
// Every backend holding rules for the family is walked at each hook (the
// kernel runs iptables-nft and iptables-legacy tables both), Docker's first.
//
// A match that cannot be evaluated (an ipset, a mark, a rate limit...) forks
// the walk: one route assumes it matches, one that it does not. When the
// routes disagree the verdict is `undecidable`, naming that rule.
import type { Address, Family, Rule, Ruleset } from '../types.js';
import { familyOf, isAnyAddr, normalizeAddr, parseCidr } from '../net/addr.js';
import { inNet, net, netIndex, type NetIndex } from './cidr.js';
import { dnatTarget } from '../parse/rule-query.js';
import type { HostModel, PublishedPort } from '../model/types.js';
import { isBuiltin, ruleBookOf, type BookChain, type BookSet, type RuleBook } from './book.js';
import { chainCandidates, compileRule, judgeRule, parseMarkSpec, ruleAnswer, type CompiledRule, type RuleCandidates } from './evaluate.js';
import { type Bits, type HostAddrs, type Iface, type Packet, ifaceText, UNKNOWN_BITS } from './packet.js';
import type { Assumption, ExplainOptions, ExplainQuery, ExplainResult, ExplainRoute, ExplainStep, RuleInfo, Verdict, VerdictKind } from './types.js';

export interface ExplainHost {
  /** The host's addresses (Snapshot.addresses): addrtype LOCAL, routing, the default interface. */
  addresses: Address[] | null;
  /**
   * The parsed rulesets (Snapshot.rulesets). HostModel keeps every rule but
   * not chain policies or empty chains; without these, built-in policies
   * other than FORWARD are taken as ACCEPT (and a note says so).
   */
  rulesets?: Ruleset[] | null;
}

const MAX_FORKS = 48;
const MAX_DEPTH = 40;

/** Targets that neither end the traversal nor change what later matches see. */
const PASSIVE_TARGETS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'TRACE', 'AUDIT', 'TCPMSS', 'TOS', 'DSCP', 'TTL', 'HL', 'CLASSIFY', 'CHECKSUM', 'SET', 'ECN',
  'IDLETIMER', 'LED', 'SECMARK', 'CONNSECMARK', 'RATEEST', 'HMARK', 'TEE', 'CLUSTERIP', 'NETMAP_LOG',
]);
const KNOWN_TARGETS = new Set([
  ...PASSIVE_TARGETS, 'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'MARK',
  'CONNMARK', 'NOTRACK', 'CT', 'QUEUE', 'NFQUEUE', 'TPROXY', 'SYNPROXY',
]);

interface State {
  pkt: Packet;
  steps: ExplainStep[];
  assumptions: Assumption[];
  /** Set once the packet's fate is sealed. */
  end: Verdict | null;
  /** The last ACCEPT (or policy) that let the packet on. */
  lastAccept: RuleInfo | null;
  /** Route decision after PREROUTING. */
  to: 'input' | 'forward' | null;
  /** What let the client's packet in through filter INPUT (for docker-proxy deliveries). */
  inputAccept?: RuleInfo | null;
}

interface Ctx {
  model: HostModel;
  book: RuleBook;
  host: HostAddrs;
  forks: number;
  notes: Set<string>;
  /** Leave out rules that do not match (ExplainOptions.steps 'decisive')... */
  quiet: boolean;
  /** ...except in these hooks. */
  keepHooks: ReadonlySet<string>;
}

// ---------------------------------------------------------------- helpers

function clone(s: State): State {
  return { ...s, steps: [...s.steps], assumptions: [...s.assumptions] };
}

function ruleInfo(ctx: Ctx, set: BookSet, r: Rule): RuleInfo {
  const ref = ctx.book.refOf(r);
  return { kind: 'rule', family: set.family, backend: set.backend, table: r.table, chain: r.chain, key: ref.key, text: r.text, position: r.position, provenance: ref.provenance };
}

/**
 * The RuleInfo of each rule of a chain, made once per chain of a rule book
 * (books are kept per model) and shared by every explain over it; frozen, as
 * they are shared between steps, verdicts and results.
 */
/** What a rule's target is, in its rule book (constant per book). */
interface TargetKind {
  /** The user chain it jumps to, if it is one of this table's chains. */
  chain: BookChain | undefined;
  isChain: boolean;
  /** Neither ends the traversal nor changes what later matches see. */
  passive: boolean;
}

interface ChainWork {
  infos: Array<RuleInfo | undefined>;
  compiled: Array<CompiledRule | undefined>;
  targets: Array<TargetKind | undefined>;
  /** For quiet walks of long chains: which rules can match a packet. */
  cands: RuleCandidates | undefined;
}
const chainWork = new WeakMap<BookChain, ChainWork>();
function chainWorkOf(ch: BookChain | undefined): ChainWork | undefined {
  if (!ch) return undefined;
  let w = chainWork.get(ch);
  if (!w) chainWork.set(ch, (w = { infos: new Array(ch.rules.length), compiled: new Array(ch.rules.length), targets: new Array(ch.rules.length), cands: undefined }));
  return w;
}
function compiledAt(w: ChainWork, ch: BookChain, i: number): CompiledRule {
  return (w.compiled[i] ??= compileRule(ch.rules[i] as Rule));
}

function targetKind(ctx: Ctx, set: BookSet, table: string, rule: Rule): TargetKind {
  const target = rule.target;
  const targetChain = target === null ? undefined : set.chain(table, target);
  const isChain = target !== null && (targetChain !== undefined || (!ctx.book.policiesKnown && !KNOWN_TARGETS.has(target) && /^[A-Za-z0-9_.:-]+$/.test(target)));
  const passive = target === null || PASSIVE_TARGETS.has(target) || (target === 'CT' && !rule.targetOptions.some((o) => o.flag === '--notrack'));
  return { chain: targetChain, isChain, passive };
}

/** Below this many rules a quiet walk just tests each rule. */
const INDEXED_CHAIN = 16;

function policyInfo(set: BookSet, table: string, chain: string, policy: string): RuleInfo {
  return { kind: 'policy', family: set.family, backend: set.backend, table, chain, key: null, text: `policy ${policy}`, position: null, provenance: null };
}

function verdict(kind: VerdictKind, summary: string, extra: Partial<Verdict> = {}): Verdict {
  return { kind, summary, route: null, container: null, address: null, port: null, deciding: null, undecidable: null, ...extra };
}

export function describeRule(r: RuleInfo): string {
  if (r.kind === 'policy') return `${r.table} ${r.chain} ${r.text}`;
  return `${r.table} ${r.chain} #${r.position}${r.backend === 'legacy' ? ' (legacy)' : ''}: ${r.text}`;
}

function applyMark(bits: Bits, rule: Rule): Bits | null {
  const o = rule.targetOptions[0];
  if (!o) return null;
  const v = o.values[0] ?? '';
  const spec = parseMarkSpec(v);
  switch (o.flag) {
    case '--set-xmark':
      if (!spec) return null;
      return { value: ((bits.value & ~spec.mask) ^ spec.value) >>> 0, known: (bits.known | spec.mask) >>> 0 };
    case '--set-mark':
      if (!spec) return null;
      return { value: ((bits.value & ~spec.mask) | spec.value) >>> 0, known: (bits.known | spec.mask | spec.value) >>> 0 };
    case '--or-mark':
      if (!spec) return null;
      return { value: (bits.value | spec.value) >>> 0, known: (bits.known | spec.value) >>> 0 };
    case '--and-mark':
      if (!spec) return null;
      return { value: (bits.value & spec.value) >>> 0, known: (bits.known | ~spec.value) >>> 0 };
    case '--xor-mark':
      if (!spec) return null;
      return { value: (bits.value ^ spec.value) >>> 0, known: bits.known };
    default:
      return null;
  }
}

/** The model's bridges as HostAddrs lists them, made once per model (and indexed once: bridgeIndex). */
const modelBridges = new WeakMap<HostModel, HostAddrs['bridges']>();
function bridgesOf(model: HostModel): HostAddrs['bridges'] {
  let b = modelBridges.get(model);
  if (!b) modelBridges.set(model, (b = model.bridges.map((x) => ({ name: x.name, subnets: x.subnets }))));
  return b;
}

/** Every bridge subnet in bridge order, with the bridge it belongs to, indexed by address. */
interface BridgeIndex {
  nets: NetIndex;
  names: string[];
}
const bridgeIndexes = new WeakMap<HostAddrs['bridges'], BridgeIndex>();
export function bridgeIndex(bridges: HostAddrs['bridges']): BridgeIndex {
  let bi = bridgeIndexes.get(bridges);
  if (!bi) {
    const subnets: string[] = [];
    const names: string[] = [];
    for (const b of bridges)
      for (const s of b.subnets) {
        subnets.push(s);
        names.push(b.name);
      }
    bridgeIndexes.set(bridges, (bi = { nets: netIndex(subnets), names }));
  }
  return bi;
}

export function hostAddrs(addresses: Address[] | null, model: HostModel, extraLocal: string[] = []): HostAddrs {
  const local = new Set<string>();
  const ifaceOf = new Map<string, string>();
  const subnets: HostAddrs['subnets'] = [];
  const broadcast = new Set<string>();
  for (const a of addresses ?? []) {
    const n = normalizeAddr(a.local);
    if (!n) continue;
    local.add(n);
    ifaceOf.set(n, a.ifname);
    const cidr = `${n}/${a.prefixlen}`;
    if (parseCidr(cidr)) subnets.push({ ifname: a.ifname, cidr, family: a.family, local: n });
    if (a.family === 4 && a.prefixlen < 31) {
      const bytes = n.split('.').map(Number);
      let bits = a.prefixlen;
      const b = bytes.map((x) => {
        const keep = Math.max(0, Math.min(8, bits));
        bits -= 8;
        return (x & ((0xff << (8 - keep)) & 0xff)) | (0xff >> keep);
      });
      broadcast.add(b.join('.'));
    }
  }
  for (const e of extraLocal) {
    const n = normalizeAddr(e);
    if (n) local.add(n);
  }
  return {
    local,
    ifaceOf,
    subnets,
    broadcast,
    complete: addresses !== null && addresses.length > 0,
    bridges: bridgesOf(model),
  };
}

/** The first bridge with a subnet holding ip (in bridge order), or null. */
/**
 * hostAddrs of the snapshot's addresses, made once per model and address list
 * (findings explain many packets on one host); never changed: explain copies
 * it before adding the queried address.
 */
const sharedAddrs = new WeakMap<HostModel, { addresses: Address[] | null; ha: HostAddrs }>();
function sharedHostAddrs(addresses: Address[] | null, model: HostModel): HostAddrs {
  const hit = sharedAddrs.get(model);
  if (hit && hit.addresses === addresses) return hit.ha;
  const ha = hostAddrs(addresses, model);
  sharedAddrs.set(model, { addresses, ha });
  return ha;
}

function bridgeOf(host: HostAddrs, ip: string | null): string | null {
  if (!ip) return null;
  const bi = bridgeIndex(host.bridges);
  const k = bi.nets.first(ip);
  return k < 0 ? null : (bi.names[k] as string);
}

function subnetIfaceOf(host: HostAddrs, ip: string | null): string | null {
  if (!ip) return null;
  let best: { ifname: string; prefix: number } | null = null;
  for (const s of host.subnets) {
    const c = net(s.cidr);
    if (!c || !inNetB(s.cidr, ip)) continue;
    if (!best || c.prefix > best.prefix) best = { ifname: s.ifname, prefix: c.prefix };
  }
  return best?.ifname ?? null;
}

function isLocalAddr(host: HostAddrs, ip: string): boolean | null {
  const c = net(ip);
  if (!c) return null;
  if (c.family === 4 && inNetB('127.0.0.0/8', c.addr)) return true;
  if (c.family === 6 && c.addr === '::1') return true;
  if (host.local.has(c.addr)) return true;
  return host.complete ? false : null;
}

const externalExcept = new WeakMap<HostAddrs['bridges'], string[]>();
function externalIface(host: HostAddrs): Iface {
  let except = externalExcept.get(host.bridges);
  if (!except) externalExcept.set(host.bridges, (except = ['lo', ...host.bridges.map((b) => b.name)]));
  return { kind: 'external', except };
}

// ---------------------------------------------------------------- chain walk

/**
 * Traverses one hook's built-in chain of one backend. Returns the states
 * that come out: accepted ones (end null) and ended ones (end set).
 */
function walkHook(ctx: Ctx, start: State, set: BookSet, table: string, chain: string): State[] {
  const hook = `${table} ${chain}`;
  const out: State[] = [];
  // A quiet walk records no rule that does not match: in a long chain it
  // visits only the rules that can match the packet (what the candidates look
  // at, addresses, ports and interfaces, does not change during one hook's
  // walk: DNAT and REDIRECT end it; MARK, CONNMARK and CT change only marks).
  const quiet = ctx.quiet && !ctx.keepHooks.has(hook);
  type Frame = { chain: string; idx: number; ch: BookChain | undefined; w: ChainWork | undefined; cand: readonly number[] | undefined; ci: number };
  type Cur = { st: State; stack: Frame[] };
  const frame = (name: string, ch: BookChain | undefined, pkt: Packet): Frame => {
    const w = chainWorkOf(ch);
    let cand: readonly number[] | undefined;
    if (quiet && ch && w && ch.rules.length >= INDEXED_CHAIN) {
      w.cands ??= chainCandidates(ch.rules);
      cand = w.cands.at(pkt);
    }
    return { chain: name, idx: 0, ch, w, cand, ci: 0 };
  };
  const work: Cur[] = [{ st: start, stack: [frame(chain, set.chain(table, chain), start.pkt)] }];
  const step = (st: State, s: Partial<ExplainStep> & { why: string; kind: ExplainStep['kind'] }, depth: number) =>
    st.steps.push({ hook, rule: null, result: null, assumed: null, action: null, depth, ...s });

  while (work.length > 0) {
    const cur = work.shift() as Cur;
    const st = cur.st;
    for (;;) {
      const depth = cur.stack.length - 1;
      const top = cur.stack[depth] as Frame;
      const ch = top.ch;
      const rules = ch?.rules ?? [];
      if (top.cand) {
        // Jump to the next rule that can match.
        const c = top.cand;
        let ci = top.ci;
        while (ci < c.length && (c[ci] as number) < top.idx) ci++;
        top.ci = ci;
        top.idx = ci < c.length ? (c[ci] as number) : rules.length;
      }
      if (top.idx >= rules.length) {
        if (depth === 0) {
          const policy = ch?.policy ?? null;
          const p = policy === null || policy === '-' ? 'ACCEPT' : policy;
          const info = policyInfo(set, table, top.chain, p);
          if (policy === null) ctx.notes.add(`the policy of ${table} ${top.chain} is not known (the model keeps no chain policies; pass the rulesets); assumed ACCEPT`);
          step(st, { kind: 'policy', rule: info, why: `end of ${top.chain}: policy ${p}`, action: p }, 0);
          if (p === 'ACCEPT') {
            if (table === 'filter') st.lastAccept = info;
            out.push(st);
          } else if (p === 'DROP') {
            st.end = verdict('dropped', `dropped by the ${table} ${top.chain} policy (DROP)`, { deciding: info });
            out.push(st);
          } else {
            st.end = verdict('undecidable', `unknown policy ${p} of ${table} ${top.chain}`, { undecidable: { rule: info, why: `policy ${p}` } });
            out.push(st);
          }
          break;
        }
        cur.stack.pop();
        step(st, { kind: 'return', why: `end of ${top.chain}: back to ${cur.stack[depth - 1]?.chain}` }, depth);
        continue;
      }
      const rule = rules[top.idx] as Rule;
      const w = top.w as ChainWork;
      const i = top.idx++;
      const cs = compiledAt(w, ch as BookChain, i);
      const target = rule.target;
      const tk = (w.targets[i] ??= targetKind(ctx, set, table, rule));
      const { chain: targetChain, isChain, passive } = tk;
      if (quiet) {
        // Work out the reason only for a rule that is recorded: one that
        // matches or may match and does something (below, the same cases
        // record a step and go on without any other effect).
        const answer = ruleAnswer(rule, st.pkt, ctx.host, cs);
        if (answer === 'no match') continue;
        if (answer === 'maybe' && ((table === 'nat' && chain === 'POSTROUTING') || passive)) continue;
        if (answer === 'match' && (target === null || (passive && !isChain))) continue;
      }
      const v = judgeRule(rule, st.pkt, ctx.host, cs);
      if (v.answer === 'no match') {
        // (keys in the order step() gives them)
        st.steps.push({ hook, rule: (w.infos[i] ??= Object.freeze(ruleInfo(ctx, set, rule))), result: 'no match', assumed: null, action: null, depth, kind: 'rule', why: v.why });
        continue;
      }
      const info = (w.infos[i] ??= Object.freeze(ruleInfo(ctx, set, rule)));
      if (v.answer === 'maybe') {
        if (table === 'nat' && chain === 'POSTROUTING') {
          // Source NAT decides nothing about delivery (the nat table cannot drop): no fork.
          step(st, { kind: 'rule', rule: info, result: 'maybe', why: `${v.why} (source NAT only: no effect on the verdict; not followed)`, action: target }, depth);
          continue;
        }
        if (passive) {
          step(st, { kind: 'rule', rule: info, result: 'maybe', why: `${v.why} (no effect on the verdict)`, action: target }, depth);
          continue;
        }
        if (ctx.forks >= MAX_FORKS) {
          step(st, { kind: 'rule', rule: info, result: 'maybe', why: v.why }, depth);
          st.end = verdict('undecidable', `cannot tell whether ${describeRule(info)} matches: ${v.why}`, { undecidable: { rule: info, why: v.why } });
          out.push(st);
          break;
        }
        ctx.forks++;
        const other = clone(st);
        other.steps.push({ hook, kind: 'rule', rule: info, result: 'maybe', assumed: 'no match', why: v.why, action: null, depth });
        other.assumptions.push({ rule: info, assumed: 'no match', why: v.why });
        work.push({ st: other, stack: cur.stack.map((f) => ({ ...f })) });
        st.assumptions.push({ rule: info, assumed: 'match', why: v.why });
      }
      const result = v.answer === 'maybe' ? 'maybe' : 'match';
      const assumed = v.answer === 'maybe' ? 'match' : null;
      const why = v.why;
      const ruleStep = (action: string | null, extraWhy = '') => st.steps.push({ hook, kind: 'rule', rule: info, result, assumed, why: why + extraWhy, action, depth });

      if (target === null) {
        ruleStep(null, ' (no target: counts only)');
        continue;
      }
      if (isChain) {
        if (cur.stack.length > MAX_DEPTH) {
          ruleStep(`${rule.goto ? 'goto' : 'jump'} ${target}`);
          st.end = verdict('undecidable', `chain calls nest too deep at ${describeRule(info)} (a loop?)`, { undecidable: { rule: info, why: 'jump loop' } });
          out.push(st);
          break;
        }
        ruleStep(`${rule.goto ? 'goto' : 'jump'} ${target}`);
        const next = frame(target, targetChain, st.pkt);
        if (rule.goto) cur.stack[depth] = next;
        else cur.stack.push(next);
        continue;
      }
      if (passive) {
        ruleStep(target);
        continue;
      }
      switch (target) {
        case 'RETURN': {
          if (depth === 0) {
            ruleStep('RETURN', ` (RETURN in a built-in chain: its policy decides)`);
            top.idx = rules.length;
          } else {
            ruleStep('RETURN');
            cur.stack.pop();
          }
          continue;
        }
        case 'ACCEPT':
          ruleStep('ACCEPT');
          if (table === 'filter') st.lastAccept = info;
          out.push(st);
          break;
        case 'DROP':
          ruleStep('DROP');
          st.end = verdict('dropped', `dropped by ${describeRule(info)}`, { deciding: info });
          out.push(st);
          break;
        case 'REJECT': {
          const how = rule.targetOptions.find((o) => o.flag === '--reject-with')?.values[0];
          ruleStep(`REJECT${how ? ` (${how})` : ''}`);
          st.end = verdict('rejected', `rejected by ${describeRule(info)}`, { deciding: info });
          out.push(st);
          break;
        }
        case 'DNAT': {
          const t = dnatTarget(rule);
          if (!t) {
            ruleStep('DNAT (unreadable target)');
            st.end = verdict('undecidable', `cannot read the DNAT target of ${describeRule(info)}`, { undecidable: { rule: info, why: 'unreadable DNAT target' } });
            out.push(st);
            break;
          }
          let ip = t.ip;
          if (ip && ip.includes('-')) {
            ctx.notes.add(`DNAT to an address range (${ip}): the first address is assumed`);
            ip = ip.split('-')[0] ?? ip;
          }
          const dst = ip ? normalizeAddr(ip) ?? ip : st.pkt.dst;
          const dport = t.port ?? st.pkt.dport;
          const local = dst ? isLocalAddr(ctx.host, dst) === true : st.pkt.dstIsHost;
          st.pkt = { ...st.pkt, dst, dport, dnat: true, dstIsHost: local };
          ruleStep(`DNAT to ${dst && dst.includes(':') ? `[${dst}]` : dst ?? 'the same address'}:${dport}`);
          out.push(st);
          break;
        }
        case 'REDIRECT': {
          const to = rule.targetOptions.find((o) => o.flag === '--to-ports')?.values[0];
          const port = to ? Number(to.split(/[-:]/)[0]) : st.pkt.dport;
          const dst = st.pkt.localOrigin ? (st.pkt.family === 4 ? '127.0.0.1' : '::1') : st.pkt.dstIsHost ? st.pkt.dst : null;
          st.pkt = { ...st.pkt, dst, dport: Number.isFinite(port) ? port : st.pkt.dport, dnat: true, dstIsHost: true };
          ruleStep(`REDIRECT to local port ${st.pkt.dport}`);
          out.push(st);
          break;
        }
        case 'SNAT':
        case 'MASQUERADE':
          st.pkt = { ...st.pkt, snat: true };
          ruleStep(target, ' (source rewritten; the verdict is unchanged)');
          out.push(st);
          break;
        case 'MARK': {
          const m = applyMark(st.pkt.mark, rule);
          st.pkt = { ...st.pkt, mark: m ?? UNKNOWN_BITS };
          ruleStep(`MARK ${rule.targetOptions.map((o) => `${o.flag} ${o.values.join(' ')}`).join(' ')}`);
          continue;
        }
        case 'CONNMARK': {
          const o = rule.targetOptions[0];
          let pkt = st.pkt;
          if (o?.flag === '--save-mark') pkt = { ...pkt, ctmark: pkt.mark };
          else if (o?.flag === '--restore-mark') pkt = { ...pkt, mark: pkt.ctmark };
          else pkt = { ...pkt, ctmark: applyMark(pkt.ctmark, rule) ?? UNKNOWN_BITS };
          st.pkt = pkt;
          ruleStep(`CONNMARK ${rule.targetOptions.map((x) => `${x.flag} ${x.values.join(' ')}`).join(' ')}`);
          continue;
        }
        case 'NOTRACK':
        case 'CT':
          st.pkt = { ...st.pkt, untracked: true };
          ruleStep('NOTRACK', ' (untracked: no NAT, conntrack state UNTRACKED)');
          continue;
        default: {
          ruleStep(target);
          const why = KNOWN_TARGETS.has(target) ? `target ${target} hands the packet elsewhere` : `unknown target or missing chain ${target}`;
          st.end = verdict('undecidable', `cannot tell what ${describeRule(info)} does: ${why}`, { undecidable: { rule: info, why } });
          out.push(st);
          break;
        }
      }
      break;
    }
  }
  return out;
}

/** Runs a hook over every backend of the family, in order; ended states pass through. */
function hook(ctx: Ctx, states: State[], table: string, chain: string): State[] {
  let cur = states;
  const family = states.find((s) => !s.end)?.pkt.family;
  if (family === undefined) return states;
  for (const set of ctx.book.sets(family)) {
    if (!set.chain(table, chain) && !(table === 'filter' && set.hasTable('filter'))) continue;
    const next: State[] = [];
    for (const s of cur) {
      if (s.end || s.pkt.family !== set.family) {
        next.push(s);
        continue;
      }
      if (table === 'nat' && (s.pkt.untracked || (s.pkt.dnat && (chain === 'PREROUTING' || chain === 'OUTPUT')))) {
        next.push(s);
        continue;
      }
      if (!set.chain(table, chain)) {
        // A filter table without this built-in chain (iptables-nft lists only what exists): accepts.
        if (!ctx.book.policiesKnown && set.primary) ctx.notes.add(`the policy of filter ${chain} is not known (the model keeps no chain policies; pass the rulesets); assumed ACCEPT`);
        next.push(s);
        continue;
      }
      next.push(...walkHook(ctx, s, set, table, chain));
    }
    cur = next;
  }
  return cur;
}

function note(st: State, kind: ExplainStep['kind'], why: string): void {
  st.steps.push({ kind, hook: null, rule: null, result: null, assumed: null, why, action: null, depth: 0 });
}

// ---------------------------------------------------------------- routes

interface ContainerAt {
  name: string | null;
  known: boolean;
}

/** Normalised address -> the container holding it: the first container with it, else the first published port's container. */
const containerNames = new WeakMap<HostModel, Map<string, string>>();
function containerNamesOf(model: HostModel): Map<string, string> {
  let m = containerNames.get(model);
  if (m) return m;
  m = new Map();
  const byContainer = new Map<string, string>();
  for (const c of model.containers)
    for (const net of c.networks)
      for (const ip of [net.ipv4, net.ipv6]) {
        const k = ip ? normalizeAddr(ip) : null;
        if (k !== null && !byContainer.has(k)) byContainer.set(k, c.name);
      }
  for (const p of model.published) {
    const k = normalizeAddr(p.containerIp);
    if (k !== null && p.container && !m.has(k)) m.set(k, p.container);
  }
  for (const [k, name] of byContainer) m.set(k, name);
  containerNames.set(model, m);
  return m;
}

function containerAt(model: HostModel, ip: string): ContainerAt {
  const n = normalizeAddr(ip) ?? ip;
  const name = containerNamesOf(model).get(n);
  if (name !== undefined) return { name, known: true };
  return { name: null, known: model.containers.length > 0 };
}

function fmtAddr(ip: string | null, port: number | null): string {
  const a = ip === null ? 'a host address' : ip.includes(':') ? `[${ip}]` : ip;
  return port === null ? a : `${a}:${port}`;
}

/** The packet reached a bridge or left the host: who gets it. */
function deliver(ctx: Ctx, st: State, route: 'forward' | 'docker-proxy' | 'local'): void {
  const { pkt } = st;
  if (st.end) return;
  const dst = pkt.dst;
  const bridge = bridgeOf(ctx.host, dst);
  const via = route === 'forward' ? 'through filter FORWARD' : route === 'docker-proxy' ? 'through docker-proxy' : 'from the host itself';
  if (dst && bridge) {
    const c = containerAt(ctx.model, dst);
    if (c.name || !c.known) {
      const who = c.name ? `container ${c.name} (${fmtAddr(dst, pkt.dport)}) on ${bridge}` : `${fmtAddr(dst, pkt.dport)} on ${bridge} (container unknown: no Docker state)`;
      note(st, 'deliver', `delivered to ${who}`);
      const deciding = route === 'docker-proxy' && (st.inputAccept !== undefined) && (st.lastAccept === null || st.lastAccept.kind === 'policy') ? st.inputAccept : st.lastAccept;
      st.end = verdict('delivered', `delivered to ${who} ${via}`, { route, container: c.name, address: dst, port: pkt.dport, deciding });
    } else {
      note(st, 'deliver', `no container holds ${dst} on ${bridge}: nothing answers`);
      st.end = verdict('unreachable', `no container holds ${dst} any more: the packet reaches ${bridge} and nothing answers`, { route, address: dst, port: pkt.dport, deciding: st.lastAccept });
    }
    return;
  }
  const out = pkt.outIface.kind === 'name' ? pkt.outIface.name : 'the default route';
  note(st, 'deliver', `leaves the host on ${out} towards ${fmtAddr(dst, pkt.dport)}`);
  st.end = verdict('forwarded', `forwarded out of the host to ${fmtAddr(dst, pkt.dport)} (not a container)`, { route, address: dst, port: pkt.dport, deciding: st.lastAccept });
}

const proxyIndexes = new WeakMap<HostModel, Map<string, PublishedPort[]>>();
function proxiesFor(model: HostModel, family: Family, proto: string, port: number | null): PublishedPort[] {
  let ix = proxyIndexes.get(model);
  if (!ix) {
    ix = new Map();
    for (const p of model.published) {
      if (!p.proxy) continue;
      const k = `${p.family}/${p.proto}/${p.hostPort}`;
      const l = ix.get(k);
      if (l) l.push(p);
      else ix.set(k, [p]);
    }
    proxyIndexes.set(model, ix);
  }
  return [...(ix.get(`${family}/${proto}/${port}`) ?? [])];
}

/** The packet was accepted by filter INPUT: is there a docker-proxy on that address and port? */
function listener(ctx: Ctx, st: State): State[] {
  if (st.end) return [st];
  const { pkt } = st;
  const proxies = proxiesFor(ctx.model, pkt.family, pkt.proto, pkt.dport);
  const dstN = pkt.dst ? normalizeAddr(pkt.dst) : null;
  let hit = proxies.find((p) => isAnyAddr(p.hostIp)) ?? (dstN ? proxies.find((p) => normalizeAddr(p.hostIp) === dstN) : undefined);
  if (!hit && dstN === null && proxies.length > 0) {
    hit = proxies[0];
    ctx.notes.add(`docker-proxy listens on ${proxies.map((p) => p.hostIp).join(', ')} only; the packet's host address was not given, ${hit?.hostIp} assumed`);
  }
  if (!hit) {
    const other = proxies.map((p) => fmtAddr(p.hostIp, p.hostPort)).join(', ');
    note(st, 'listener', `no docker-proxy listens on ${fmtAddr(pkt.dst, pkt.dport)}/${pkt.proto}${other ? ` (only on ${other})` : ''}`);
    st.end = verdict('no-listener', `accepted by the host, but no docker-proxy listens on ${fmtAddr(pkt.dst, pkt.dport)}/${pkt.proto}: ${pkt.proto === 'tcp' ? 'connection refused' : 'port unreachable'} unless another service listens there`, { address: pkt.dst, port: pkt.dport, deciding: st.lastAccept });
    return [st];
  }
  const cip = normalizeAddr(hit.containerIp) ?? hit.containerIp;
  note(st, 'listener', `docker-proxy${hit.proxyPid ? ` (pid ${hit.proxyPid})` : ''} listens on ${fmtAddr(hit.hostIp, hit.hostPort)}/${hit.proto} and opens its own connection to ${fmtAddr(cip, hit.containerPort)}`);
  // The proxy's connection: a new, locally generated packet.
  const fam = familyOf(cip) ?? pkt.family;
  const bridge = bridgeOf(ctx.host, cip);
  const srcAddr = ctx.host.subnets.find((s) => s.family === fam && inNetB(s.cidr, cip))?.local ?? null;
  const leg: State = {
    ...st,
    to: null,
    inputAccept: st.lastAccept,
    pkt: {
      family: fam,
      proto: pkt.proto,
      src: srcAddr,
      dst: cip,
      sport: null,
      dport: hit.containerPort,
      origSrc: srcAddr,
      origDst: cip,
      origSport: null,
      origDport: hit.containerPort,
      dstIsHost: false,
      inIface: { kind: 'none' },
      outIface: bridge ? { kind: 'name', name: bridge } : { kind: 'unknown' },
      dnat: false,
      snat: false,
      untracked: false,
      mark: { value: 0, known: 0xffffffff },
      ctmark: { value: 0, known: 0xffffffff },
      localOrigin: true,
    },
  };
  note(leg, 'route', `docker-proxy's connection: ${fmtAddr(srcAddr, null)} -> ${fmtAddr(cip, hit.containerPort)} (OUTPUT, out ${bridge ?? 'unknown'})`);
  let s = [leg];
  for (const [t, c] of [['raw', 'OUTPUT'], ['mangle', 'OUTPUT'], ['nat', 'OUTPUT'], ['filter', 'OUTPUT'], ['mangle', 'POSTROUTING'], ['nat', 'POSTROUTING']] as const) s = hook(ctx, s, t, c);
  for (const x of s) deliver(ctx, x, 'docker-proxy');
  return s;
}

/** After PREROUTING: INPUT (a host address) or FORWARD (anything else). */
function routeInbound(ctx: Ctx, st: State): void {
  if (st.end) return;
  const { pkt } = st;
  const local = pkt.dst === null ? pkt.dstIsHost : isLocalAddr(ctx.host, pkt.dst) === true || (pkt.dstIsHost && !pkt.dnat);
  if (local) {
    st.to = 'input';
    note(st, 'route', `routing: ${fmtAddr(pkt.dst, pkt.dport)} is a local address -> filter INPUT${pkt.dnat ? '' : ' (not DNATed)'}`);
    st.pkt = { ...pkt, outIface: { kind: 'none' }, dstIsHost: true };
    return;
  }
  if (pkt.family === 4 && pkt.dst && inNetB('127.0.0.0/8', pkt.dst)) {
    note(st, 'route', `routing: ${pkt.dst} is a loopback address arriving from outside: a martian, dropped by the kernel`);
    st.end = verdict('unreachable', `a loopback destination (${pkt.dst}) from outside is dropped by routing`, { address: pkt.dst, port: pkt.dport });
    return;
  }
  const bridge = bridgeOf(ctx.host, pkt.dst);
  const iface = bridge ?? subnetIfaceOf(ctx.host, pkt.dst);
  st.to = 'forward';
  st.pkt = { ...pkt, outIface: iface ? { kind: 'name', name: iface } : externalIface(ctx.host) };
  note(st, 'route', `routing: ${fmtAddr(pkt.dst, pkt.dport)} is not local -> filter FORWARD, out ${iface ?? 'the default route'}${bridge ? ' (Docker bridge)' : ''}`);
}

function outRoute(ctx: Ctx, pkt: Packet): Iface {
  if (pkt.dst === null ? pkt.dstIsHost : isLocalAddr(ctx.host, pkt.dst) === true) return { kind: 'name', name: 'lo' };
  const iface = bridgeOf(ctx.host, pkt.dst) ?? subnetIfaceOf(ctx.host, pkt.dst);
  return iface ? { kind: 'name', name: iface } : externalIface(ctx.host);
}

function runInbound(ctx: Ctx, init: State): State[] {
  let s = [init];
  s = hook(ctx, s, 'raw', 'PREROUTING');
  s = hook(ctx, s, 'mangle', 'PREROUTING');
  s = hook(ctx, s, 'nat', 'PREROUTING');
  for (const x of s) routeInbound(ctx, x);
  const input = s.filter((x) => !x.end && x.to === 'input');
  const fwd = s.filter((x) => !x.end && x.to === 'forward');
  const ended = s.filter((x) => x.end);
  let a = hook(ctx, input, 'mangle', 'INPUT');
  a = hook(ctx, a, 'filter', 'INPUT');
  a = a.flatMap((x) => listener(ctx, x));
  let b = hook(ctx, fwd, 'mangle', 'FORWARD');
  b = hook(ctx, b, 'filter', 'FORWARD');
  b = hook(ctx, b, 'mangle', 'POSTROUTING');
  b = hook(ctx, b, 'nat', 'POSTROUTING');
  for (const x of b) deliver(ctx, x, 'forward');
  return [...ended, ...a, ...b];
}

function runLocal(ctx: Ctx, init: State): State[] {
  init.pkt = { ...init.pkt, outIface: outRoute(ctx, init.pkt) };
  note(init, 'route', `locally generated: routing sends it out ${ifaceText(init.pkt.outIface)}`);
  let s = [init];
  s = hook(ctx, s, 'raw', 'OUTPUT');
  s = hook(ctx, s, 'mangle', 'OUTPUT');
  s = hook(ctx, s, 'nat', 'OUTPUT');
  for (const x of s) {
    if (x.end || !x.pkt.dnat) continue;
    x.pkt = { ...x.pkt, outIface: outRoute(ctx, x.pkt) };
    note(x, 'route', `rerouted after DNAT: out ${ifaceText(x.pkt.outIface)}`);
  }
  s = hook(ctx, s, 'filter', 'OUTPUT');
  s = hook(ctx, s, 'mangle', 'POSTROUTING');
  s = hook(ctx, s, 'nat', 'POSTROUTING');
  const loop = s.filter((x) => !x.end && x.pkt.outIface.kind === 'name' && x.pkt.outIface.name === 'lo');
  const away = s.filter((x) => !x.end && !loop.includes(x));
  const ended = s.filter((x) => x.end);
  for (const x of loop) {
    x.pkt = { ...x.pkt, inIface: { kind: 'name', name: 'lo' }, outIface: { kind: 'none' }, dstIsHost: true };
    note(x, 'route', 'through lo back into the host (nat PREROUTING is not consulted again: NAT was decided in OUTPUT)');
  }
  let a = hook(ctx, loop, 'raw', 'PREROUTING');
  a = hook(ctx, a, 'mangle', 'PREROUTING');
  a = hook(ctx, a, 'mangle', 'INPUT');
  a = hook(ctx, a, 'filter', 'INPUT');
  a = a.flatMap((x) => listener(ctx, x));
  for (const x of away) deliver(ctx, x, 'local');
  return [...ended, ...a, ...away];
}

// ---------------------------------------------------------------- entry

export type ExplainError = { error: string };

function sameOutcome(a: Verdict, b: Verdict): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'delivered') return a.address === b.address && a.port === b.port && a.route === b.route;
  return true;
}

/**
 * Explain what the host's rules do to the first packet of a new connection.
 * Pure: the model, the host's addresses (and optionally the rulesets, for
 * chain policies) in; every route with every rule evaluated out.
 */
export function explain(model: HostModel, host: ExplainHost, query: ExplainQuery, options: ExplainOptions = {}): ExplainResult {
  const notes = new Set<string>();
  const srcN = query.src ? normalizeAddr(query.src) : null;
  const dstN = query.dst ? normalizeAddr(query.dst) : null;
  if (query.src && !srcN) throw new Error(`--src: "${query.src}" is not an IP address`);
  if (query.dst && !dstN) throw new Error(`--dst: "${query.dst}" is not an IP address`);
  const family: Family = (srcN ? familyOf(srcN) : null) ?? (dstN ? familyOf(dstN) : null) ?? query.family ?? 4;
  if (srcN && dstN && familyOf(srcN) !== familyOf(dstN)) throw new Error(`--src ${query.src} and --dst ${query.dst} are of different address families`);
  const proto = query.proto.toLowerCase();

  let ha = sharedHostAddrs(host.addresses, model);
  const dstLocalByAddrs = dstN ? isLocalAddr(ha, dstN) : null;
  // The query's destination is a host address when the addresses say so, or
  // (without an address list) when it is not inside a Docker bridge.
  const dstIsHost = dstN === null ? true : dstLocalByAddrs === true || (dstLocalByAddrs === null && bridgeOf(ha, dstN) === null);
  if (dstN && dstIsHost && !ha.local.has(dstN)) ha = { ...ha, local: new Set(ha.local).add(dstN) };
  if (!ha.complete) notes.add('the host address list is unknown: only loopback and the queried host address count as LOCAL');

  const ctx: Ctx = { model, book: ruleBookOf(model, host.rulesets), host: ha, forks: 0, notes, quiet: options.steps === 'decisive', keepHooks: new Set(options.keepHooks ?? []) };

  const srcLocal = srcN ? isLocalAddr(ha, srcN) === true : false;
  const localOrigin = srcLocal && (query.iface == null || query.iface === 'lo');

  let inIface: Iface;
  let ifaceName: string | null = query.iface ?? null;
  if (localOrigin) inIface = { kind: 'none' };
  else if (query.iface) inIface = { kind: 'name', name: query.iface };
  else {
    const guess = bridgeOf(ha, srcN) ?? subnetIfaceOf(ha, srcN);
    if (guess) {
      inIface = { kind: 'name', name: guess };
      ifaceName = guess;
      notes.add(`input interface taken as ${guess} (${srcN} is on its subnet); pass --iface to choose`);
    } else {
      inIface = externalIface(ha);
      notes.add('input interface unknown: taken as an external interface (not lo, not a Docker bridge); pass --iface to name it');
    }
  }

  const mark: Bits = query.mark != null ? { value: query.mark >>> 0, known: 0xffffffff } : UNKNOWN_BITS;
  const pkt: Packet = {
    family,
    proto,
    src: srcN,
    dst: dstN,
    sport: query.sport ?? null,
    dport: query.dport,
    origSrc: srcN,
    origDst: dstN,
    origSport: query.sport ?? null,
    origDport: query.dport,
    dstIsHost,
    inIface,
    outIface: { kind: 'none' },
    dnat: false,
    snat: false,
    untracked: false,
    mark,
    ctmark: mark,
    localOrigin,
  };
  if (ctx.book.sets(family).length === 0) notes.add(`no IPv${family} rules were read: nothing filters IPv${family} here (every chain accepts)`);

  const init: State = { pkt, steps: [], assumptions: [], end: null, lastAccept: null, to: null };
  const finals = localOrigin ? runLocal(ctx, init) : runInbound(ctx, init);
  const routes: ExplainRoute[] = finals.map((s) => ({
    steps: s.steps,
    assumptions: s.assumptions,
    verdict: s.end ?? verdict('undecidable', 'the walk ended without a verdict'),
  }));

  const overall = combine(routes);
  const allDelivered = routes.every((r) => r.verdict.kind === 'delivered');
  const noneDelivered = routes.every((r) => r.verdict.kind !== 'delivered' && r.verdict.kind !== 'undecidable');
  const desc = `${proto} ${fmtAddr(srcN ?? (localOrigin ? 'the host' : null), query.sport ?? null).replace('a host address', 'any source')} -> ${fmtAddr(dstN, query.dport)}${localOrigin ? ' (from the host itself)' : ` (in on ${ifaceText(inIface)})`}, first packet of a new connection`;
  return {
    query: { family, proto, src: srcN, sport: query.sport ?? null, dst: dstN, dport: query.dport, iface: localOrigin ? null : ifaceName, localOrigin },
    packet: desc,
    routes,
    verdict: overall,
    delivered: allDelivered ? true : noneDelivered ? false : null,
    notes: [...notes],
  };
}

function combine(routes: ExplainRoute[]): Verdict {
  const first = routes[0]?.verdict ?? verdict('undecidable', 'no route');
  if (routes.length === 1) return first;
  if (routes.every((r) => sameOutcome(r.verdict, first))) {
    const sameRule = routes.every((r) => r.verdict.deciding?.key === first.deciding?.key && r.verdict.deciding?.text === first.deciding?.text);
    if (sameRule) return first;
    // Prefer a deciding rule that is not itself an assumption.
    const firm = routes.find((r) => !r.assumptions.some((a) => a.assumed === 'match' && a.rule.key !== null && a.rule.key === r.verdict.deciding?.key)) ?? routes[0]!;
    return { ...firm.verdict, summary: `${firm.verdict.summary} (on every route: rules explain cannot evaluate do not change the outcome)` };
  }
  // Name the first undecidable rule whose two outcomes differ.
  const seen = new Set<string>();
  for (const r of routes) {
    for (const a of r.assumptions) {
      const id = a.rule.key ?? a.rule.text;
      if (seen.has(id)) continue;
      seen.add(id);
      const m = routes.filter((x) => x.assumptions.some((y) => (y.rule.key ?? y.rule.text) === id && y.assumed === 'match'));
      const n = routes.filter((x) => x.assumptions.some((y) => (y.rule.key ?? y.rule.text) === id && y.assumed === 'no match'));
      const all = [...m, ...n];
      if (all.length > 1 && all.some((x) => !sameOutcome(x.verdict, all[0]!.verdict))) {
        const outcomes = [...new Set(routes.map((x) => x.verdict.summary))];
        return verdict('undecidable', `depends on ${describeRule(a.rule)}, which cannot be evaluated (${a.why}); possible outcomes: ${outcomes.join(' | ')}`, {
          undecidable: { rule: a.rule, why: a.why },
        });
      }
    }
  }
  const und = routes.find((r) => r.verdict.kind === 'undecidable')?.verdict;
  if (und) return und;
  return verdict('undecidable', `the routes disagree: ${[...new Set(routes.map((x) => x.verdict.summary))].join(' | ')}`);
}

export { isBuiltin };

function inNetB(cidr: string, ip: string): boolean {
  return inNet(cidr, ip) === true;
}
