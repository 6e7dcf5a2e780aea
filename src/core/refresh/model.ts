// Incremental RawCapture -> Snapshot -> HostModel, for a poller that reads
// the same host every second or two. It gives exactly what
// buildModel(buildSnapshot(raw)) gives (test/unit/refresh-model.test.ts
// checks it), doing only the work the new read calls for:
//
//  - rulesets are parsed with a RuleCache per file (an unchanged rule costs a
//    Map lookup), not at all when the text did not change, and patched from
//    the last parse when only counters and `#` lines changed (iptables-patch);
//  - every other source is parsed again only when its text changed;
//  - flows can come from a FlowTable (conntrack events) instead of a dump;
//  - the join (bridges, published ports, paths, provenance) is redone only
//    when its inputs changed: same rule texts in the same chains, same Docker
//    and proxy files, same interfaces. Otherwise the previous model is carried
//    over with the new counters, interface stats and flows (the "counters
//    only" refresh that most ticks are);
//  - flows are joined to ports again only for ports whose bucket changed.
//
// Pure: no I/O, no clock (time comes from the capture's meta).
import { buildModel, snapshotFields } from '../model/build.js';
import { flowsOfPort, indexFlows } from '../model/flows.js';
import type { HostModel, PathRule, PublishedPort, RuleRef } from '../model/types.js';
import { createRuleCache, parseIptablesSave, type RuleCache } from '../parse/iptables-save.js';
import { patchCounters } from '../parse/iptables-patch.js';
import { CONNTRACK_COUNT } from '../parse/sysctl.js';
import { buildSnapshot } from '../snapshot.js';
import type { CaptureFile, Flow, Link, ParseIssue, RawCapture, Rule, Ruleset, Snapshot } from '../types.js';

/** What a FlowTable offers the builder (see core/flows/table.ts). */
export interface FlowSource {
  /** Bumped on every change. */
  readonly version: number;
  flows(): Flow[];
  /** proto/dport -> flows; an unchanged bucket keeps its array. */
  portIndex(): ReadonlyMap<string, Flow[]>;
}

export type BuildKind = 'full' | 'counters' | 'flows';

/**
 * A carried model ('counters' or 'flows' build) -> the model whose join it
 * carries. Everything but counters, interface stats and flows is that
 * model's (canCarry checked every input of the join), so whatever is derived
 * from those alone (findings) can be keyed by the root: no need to
 * fingerprint 20,000 rule texts on every refresh to find out.
 */
const carriedFrom = new WeakMap<HostModel, HostModel>();

/** The model whose join `m` carries (`m` itself after a full build or outside the incremental builder). */
export function joinRootOf(m: HostModel): HostModel {
  return carriedFrom.get(m) ?? m;
}

export interface BuildResult {
  snapshot: Snapshot;
  model: HostModel;
  /** full: the join ran; counters: the previous join was carried over; flows: only flows changed. */
  kind: BuildKind;
  /** Milliseconds: parse (text -> snapshot) and join (snapshot -> model). */
  parseMs: number;
  joinMs: number;
}

interface Parsed<T> {
  text: string;
  value: T;
  issues: ParseIssue[];
}

type Clock = () => number;

/** What the previous join depended on, to tell whether it can be carried over. */
interface JoinInputs {
  rulesets: Ruleset[];
  texts: Partial<Record<CaptureFile, string | undefined>>;
  linkShape: string;
  unavailable: string;
  flowsFromTable: boolean;
}

// Files whose text, when unchanged, leaves the join unchanged.
const JOIN_FILES: CaptureFile[] = ['containers.json', 'networks.json', 'docker-proxy.txt', 'container-ifaces.json', 'ip-addr.json', 'sysctl.txt'];

/**
 * sysctl.txt as far as the join cares: without nf_conntrack_count, a gauge
 * that moves with every connection. It is read with every conntrack resync,
 * and while it counted as a join input each resync of a busy host (every
 * 5 minutes, and after every lost-events overflow) rebuilt the whole join
 * and findings (~1 s on the UI thread of a 20,000-rule host). The carried
 * model still shows the new count (snapshotFields takes the new sysctls);
 * nothing in the join or the findings reads it.
 */
export function joinedSysctls(text: string | undefined): string | undefined {
  return text?.split('\n').filter((l) => !l.startsWith(`${CONNTRACK_COUNT} =`)).join('\n');
}

function sameRulesets(a: readonly Ruleset[], b: readonly Ruleset[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.family !== y.family || x.backend !== y.backend || x.tables.length !== y.tables.length) return false;
    for (let t = 0; t < x.tables.length; t++) {
      const tx = x.tables[t]!;
      const ty = y.tables[t]!;
      if (tx.name !== ty.name || tx.chains.length !== ty.chains.length) return false;
      for (let c = 0; c < tx.chains.length; c++) {
        const cx = tx.chains[c]!;
        const cy = ty.chains[c]!;
        if (cx.name !== cy.name || cx.policy !== cy.policy || cx.rules.length !== cy.rules.length) return false;
        for (let r = 0; r < cx.rules.length; r++) {
          const rx = cx.rules[r]!;
          const ry = cy.rules[r]!;
          // A RuleCache hands identical texts the same matches array; else compare the text.
          if (rx.matches !== ry.matches && rx.text !== ry.text) return false;
        }
      }
    }
  }
  return true;
}

/** Interfaces as far as the join cares (stats aside). */
function linkShape(links: readonly Link[] | null): string {
  if (!links) return '-';
  let s = '';
  for (const l of links) s += `${l.ifindex}:${l.name}:${l.kind ?? ''}:${l.master ?? ''}:${l.peerIfindex ?? ''};`;
  return s;
}

const PORT_FIELDS = 17;

/** A PublishedPort with new counters, DNAT ref, path and flows (a literal: spreading 17 fields is slow). */
function clonePort(p: PublishedPort, counters: PublishedPort['counters'], dnat: RuleRef | null, path: PathRule[], flows: Flow[]): PublishedPort {
  return {
    key: p.key,
    family: p.family,
    proto: p.proto,
    hostIp: p.hostIp,
    hostPort: p.hostPort,
    containerIp: p.containerIp,
    containerPort: p.containerPort,
    bridge: p.bridge,
    container: p.container,
    containerId: p.containerId,
    proxy: p.proxy,
    proxyPid: p.proxyPid,
    sources: p.sources,
    counters,
    dnat,
    path,
    flows,
  };
}

/** Where each port's DNAT and path rules, and each direct access rule, sit in model.rules. */
function ruleIndices(m: HostModel): { portRules: Array<{ dnat: number; path: Int32Array }>; directRules: Int32Array; plainPorts: boolean } {
  const at = new Map<RuleRef, number>();
  m.rules.forEach((r, i) => at.set(r, i));
  const portRules = m.published.map((p) => ({
    dnat: p.dnat ? (at.get(p.dnat) ?? -1) : -1,
    path: Int32Array.from(p.path, (s) => at.get(s.ref) ?? -1),
  }));
  const directRules = Int32Array.from(m.directAccess, (d) => at.get(d.ref) ?? -1);
  const plainPorts = m.published.every((p) => Object.keys(p).length === PORT_FIELDS);
  return { portRules, directRules, plainPorts };
}

function allRules(rulesets: readonly Ruleset[]): Rule[] {
  const out: Rule[] = [];
  for (const rs of rulesets) for (const t of rs.tables) for (const c of t.chains) for (const r of c.rules) out.push(r);
  return out;
}

export class IncrementalBuilder {
  private ruleCaches = new Map<CaptureFile, RuleCache>();
  private rulesetMemo = new Map<CaptureFile, Parsed<Ruleset>>();
  private jsonMemo = new Map<CaptureFile, Parsed<unknown>>();
  private last: {
    model: HostModel;
    snapshot: Snapshot;
    inputs: JoinInputs;
    portBuckets: Map<string, Flow[] | undefined>;
    /** Per published port (model order): index in model.rules of its DNAT rule (-1: none) and path rules. */
    portRules: Array<{ dnat: number; path: Int32Array }>;
    /** Per direct access entry: index of its rule. */
    directRules: Int32Array;
    /** The ports' objects have exactly the fields clonePort writes. */
    plainPorts: boolean;
  } | null = null;
  private lastFlowVersion = -1;
  private readonly now: Clock;

  constructor(opts: { now?: Clock } = {}) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** The last model built (null before the first build). */
  get model(): HostModel | null {
    return this.last?.model ?? null;
  }

  /** Forget everything (the next build is a full one). */
  reset(): void {
    this.ruleCaches.clear();
    this.rulesetMemo.clear();
    this.jsonMemo.clear();
    this.last = null;
    this.lastFlowVersion = -1;
  }

  private parseRuleset(file: CaptureFile, text: string, family: 4 | 6, backend: 'nft' | 'legacy'): Parsed<Ruleset> {
    const memo = this.rulesetMemo.get(file);
    if (memo && memo.text === text) return memo;
    // Most ticks only moved counters: patch the last parse (null: something else changed).
    const patched = memo ? patchCounters(memo.text, memo.value, text, { family, backend }) : null;
    if (patched) {
      const p = { text, value: patched, issues: patched.issues };
      this.rulesetMemo.set(file, p);
      return p;
    }
    let cache = this.ruleCaches.get(file);
    if (!cache) this.ruleCaches.set(file, (cache = createRuleCache()));
    const rs = parseIptablesSave(text, { family, backend, source: file, cache });
    const p = { text, value: rs, issues: rs.issues };
    this.rulesetMemo.set(file, p);
    return p;
  }

  private parseJson<T>(file: CaptureFile, text: string, parse: (text: string, source: string) => T & { issues: ParseIssue[] }): Parsed<T & { issues: ParseIssue[] }> {
    const memo = this.jsonMemo.get(file);
    if (memo && memo.text === text) return memo as Parsed<T & { issues: ParseIssue[] }>;
    const out = parse(text, file);
    const p: Parsed<T & { issues: ParseIssue[] }> = { text, value: out, issues: out.issues };
    this.jsonMemo.set(file, p as Parsed<unknown>);
    return p;
  }

  /** buildSnapshot(raw), reusing what did not change; flows from `flows` when given. */
  snapshot(raw: RawCapture, flows?: FlowSource | null): Snapshot {
    return buildSnapshot(raw, {
      ruleset: (file, text, family, backend) => this.parseRuleset(file, text, family, backend).value,
      parse: (file, text, parse) => this.parseJson(file, text, parse).value,
      ...(flows ? { flows: flows.flows() } : {}),
    });
  }

  /**
   * One refresh: `raw` holds every source (the engine carries over what it
   * did not re-read); `flows`, when given, replaces conntrack.txt.
   */
  build(raw: RawCapture, flows?: FlowSource | null): BuildResult {
    const t0 = this.now();
    const snap = this.snapshot(raw, flows);
    const t1 = this.now();
    const inputs: JoinInputs = {
      rulesets: snap.rulesets,
      texts: Object.fromEntries(JOIN_FILES.map((f) => [f, f === 'sysctl.txt' ? joinedSysctls(raw.files[f]) : raw.files[f]])),
      linkShape: linkShape(snap.links),
      unavailable: JSON.stringify(raw.meta.unavailable),
      flowsFromTable: !!flows,
    };
    const last = this.last;
    let model: HostModel;
    let kind: BuildKind;
    if (last && this.canCarry(last.inputs, inputs)) {
      model = this.carry(last.model, snap, flows ?? null, last.snapshot.flows, last);
      carriedFrom.set(model, joinRootOf(last.model));
      kind = 'counters';
    } else {
      model = buildModel(snap);
      kind = 'full';
      const portBuckets = new Map<string, Flow[] | undefined>();
      if (flows) {
        // Remember which bucket array each port's flows came from.
        const idx = flows.portIndex();
        for (const p of model.published) portBuckets.set(p.key, idx.get(`${p.proto}/${p.hostPort}`));
      }
      this.last = { model, snapshot: snap, inputs, portBuckets, ...ruleIndices(model) };
    }
    // The carried model has the same ports and rules in the same order: the indices still hold.
    if (kind === 'counters' && this.last) this.last = { ...this.last, model, snapshot: snap, inputs };
    this.lastFlowVersion = flows?.version ?? -1;
    return { snapshot: snap, model, kind, parseMs: t1 - t0, joinMs: this.now() - t1 };
  }

  /**
   * Only the flows changed since the last build (conntrack events): the last
   * model with its ports' flows joined again where their bucket changed.
   * null when there is no model yet or nothing changed.
   */
  withFlows(flows: FlowSource): BuildResult | null {
    const last = this.last;
    if (!last || !last.inputs.flowsFromTable || flows.version === this.lastFlowVersion) return null;
    const t0 = this.now();
    const snap: Snapshot = { ...last.snapshot, flows: flows.flows() };
    const idx = flows.portIndex();
    const published = last.model.published.map((p) => this.portFlows(p, idx, last.portBuckets));
    const model: HostModel = { ...last.model, published, flows: snap.flows ?? [] };
    carriedFrom.set(model, joinRootOf(last.model));
    this.last = { ...last, model, snapshot: snap };
    this.lastFlowVersion = flows.version;
    return { snapshot: snap, model, kind: 'flows', parseMs: 0, joinMs: this.now() - t0 };
  }

  private portFlows(p: PublishedPort, idx: ReadonlyMap<string, Flow[]>, buckets: Map<string, Flow[] | undefined>): PublishedPort {
    const bucket = idx.get(`${p.proto}/${p.hostPort}`);
    if (buckets.has(p.key) && buckets.get(p.key) === bucket) return p;
    buckets.set(p.key, bucket);
    return { ...p, flows: flowsOfPort(p, idx) };
  }

  private canCarry(a: JoinInputs, b: JoinInputs): boolean {
    if (a.unavailable !== b.unavailable || a.linkShape !== b.linkShape || a.flowsFromTable !== b.flowsFromTable) return false;
    for (const f of JOIN_FILES) if (a.texts[f] !== b.texts[f]) return false;
    return sameRulesets(a.rulesets, b.rulesets);
  }

  /** The previous join with the new counters, interface stats, flows, meta and issues. */
  private carry(
    prev: HostModel,
    snap: Snapshot,
    flows: FlowSource | null,
    prevFlows: Flow[] | null,
    state: NonNullable<IncrementalBuilder['last']>,
  ): HostModel {
    // Rules pair up by position (sameRulesets said so): new RuleRefs keep key and provenance.
    const newRules = allRules(snap.rulesets);
    const n = prev.rules.length;
    const rules: RuleRef[] = new Array<RuleRef>(n);
    for (let i = 0; i < n; i++) {
      const old = prev.rules[i]!;
      const rule = newRules[i]!;
      // The parser hands back the same object for a rule equal in every
      // field (RuleCache): its RuleRef is the old one too.
      rules[i] = old.rule === rule ? old : { key: old.key, rule, provenance: old.provenance };
    }
    const linkByName = new Map((snap.links ?? []).map((l) => [l.name, l]));

    let idx: ReadonlyMap<string, Flow[]> | null = null;
    if (flows) idx = flows.portIndex();
    else if (snap.flows !== prevFlows) idx = indexFlows(snap.flows ?? []);

    const buckets = state.portBuckets;
    const published = new Array<PublishedPort>(prev.published.length);
    for (let k = 0; k < prev.published.length; k++) {
      const p = prev.published[k]!;
      const ix = state.portRules[k]!;
      const dnat = ix.dnat >= 0 ? rules[ix.dnat]! : p.dnat;
      // A path whose rules are all the same RuleRefs (no counter on it
      // moved) is the same array; a port with nothing new is the same object.
      let path = p.path;
      for (let j = 0; j < p.path.length; j++) {
        const at = ix.path[j]!;
        const s = p.path[j]!;
        if (at < 0 || rules[at] === s.ref) continue;
        if (path === p.path) path = p.path.slice();
        path[j] = { stage: s.stage, ref: rules[at]! };
      }
      let portFlows = p.flows;
      if (flows && idx) portFlows = this.portFlows(p, idx, buckets).flows;
      else if (idx) portFlows = flowsOfPort(p, idx);
      const counters = ix.dnat >= 0 && dnat ? dnat.rule.counters : p.counters;
      if (dnat === p.dnat && path === p.path && portFlows === p.flows && counters === p.counters) published[k] = p;
      else published[k] = state.plainPorts ? clonePort(p, counters, dnat, path, portFlows) : { ...p, counters, dnat, path, flows: portFlows };
    }
    const directAccess = prev.directAccess.map((d, k) => {
      const at = state.directRules[k]!;
      return at >= 0 ? { ...d, ref: rules[at]! } : d;
    });
    return {
      ...prev,
      ...snapshotFields(snap),
      bridges: prev.bridges.map((b) => (b.link ? { ...b, link: linkByName.get(b.name) ?? b.link } : b)),
      containers: prev.containers.map((c) =>
        c.veth ? { ...c, veth: { name: c.veth.name, stats: linkByName.get(c.veth.name)?.stats ?? c.veth.stats } } : c,
      ),
      published,
      directAccess,
      rules,
    };
  }
}
