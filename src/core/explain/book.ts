// The rules explain walks: per family, every backend's tables and chains with
// their policies, the Docker backend first. Built from the parsed rulesets
// when the caller has them (Snapshot.rulesets: they carry chain policies and
// empty chains), else rebuilt from HostModel.rules, where only the FORWARD
// policy is known (FamilyInfo.forwardPolicy) and other policies are unknown.
import type { Backend, Family, Rule, Ruleset } from '../types.js';
import type { HostModel, RuleRef } from '../model/types.js';
import { provenanceOf } from '../model/provenance.js';
import { ruleKeyPrefix } from '../model/build.js';

export interface BookChain {
  name: string;
  /** ACCEPT / DROP for built-in chains, '-' for user chains, null when unknown. */
  policy: string | null;
  rules: Rule[];
}

export interface BookSet {
  family: Family;
  backend: Backend;
  /** Does Docker write here (the backend to explain first)? */
  primary: boolean;
  chain(table: string, name: string): BookChain | undefined;
  hasTable(table: string): boolean;
}

export interface RuleBook {
  sets(family: Family): BookSet[];
  refOf(rule: Rule): RuleRef;
  /** false when built from the model only: built-in policies other than FORWARD are unknown. */
  policiesKnown: boolean;
}

const BUILTIN_POLICY_TABLES = new Set(['raw', 'mangle', 'nat', 'security']);

function makeSet(family: Family, backend: Backend, primary: boolean, chains: Map<string, BookChain>): BookSet {
  // table -> chain name -> chain: a walk asks for its chain at every rule.
  const tables = new Map<string, Map<string, BookChain>>();
  for (const [k, ch] of chains) {
    const t = k.slice(0, k.indexOf('/'));
    let m = tables.get(t);
    if (!m) tables.set(t, (m = new Map()));
    m.set(k.slice(k.indexOf('/') + 1), ch);
  }
  return {
    family,
    backend,
    primary,
    chain: (table, name) => tables.get(table)?.get(name),
    hasTable: (t) => tables.has(t),
  };
}

const books = new WeakMap<HostModel, { rulesets: Ruleset[] | null | undefined; book: RuleBook }>();

/** The rule book of a model (and rulesets), built once per model: findings explain many packets over it. */
export function ruleBookOf(model: HostModel, rulesets: Ruleset[] | null | undefined): RuleBook {
  const hit = books.get(model);
  if (hit && hit.rulesets === rulesets) return hit.book;
  const book = buildRuleBook(model, rulesets);
  books.set(model, { rulesets, book });
  return book;
}

export function buildRuleBook(model: HostModel, rulesets: Ruleset[] | null | undefined): RuleBook {
  const byRule = new Map<Rule, RuleRef>();
  for (const r of model.rules) byRule.set(r.rule, r);
  // By key only for rules the model does not hold (normally none): built on
  // first need, not hashing ~20k long keys per book.
  let byKeyMemo: Map<string, RuleRef> | null = null;
  const byKey = (key: string): RuleRef | undefined => {
    if (byKeyMemo === null) {
      byKeyMemo = new Map();
      for (const r of model.rules) byKeyMemo.set(r.key, r);
    }
    return byKeyMemo.get(key);
  };
  const dockerBackend = new Map<Family, Backend | null>();
  for (const f of model.families) dockerBackend.set(f.family, f.backend);

  const setsByFamily = new Map<Family, BookSet[]>();
  const extraRefs = new Map<Rule, RuleRef>();

  if (rulesets && rulesets.length > 0) {
    for (const rs of rulesets) {
      const chains = new Map<string, BookChain>();
      for (const t of rs.tables) {
        for (const c of t.chains) {
          const policy = c.policy ?? (BUILTIN_POLICY_TABLES.has(t.name) && isBuiltin(c.name) ? 'ACCEPT' : null);
          chains.set(`${t.name}/${c.name}`, { name: c.name, policy, rules: c.rules });
          // Keys exactly as the model makes them, for rules the model does not hold (same objects normally).
          if (c.rules.every((rule) => byRule.has(rule))) continue;
          const seen = new Map<string, number>();
          for (const rule of c.rules) {
            const prefix = ruleKeyPrefix(rule);
            const n = seen.get(prefix) ?? 0;
            seen.set(prefix, n + 1);
            if (!byRule.has(rule)) {
              const key = `${prefix}#${n}`;
              extraRefs.set(rule, byKey(key) ?? { key, rule, provenance: provenanceOf(rule) });
            }
          }
        }
      }
      const primary = (dockerBackend.get(rs.family) ?? 'nft') === rs.backend;
      const list = setsByFamily.get(rs.family) ?? [];
      list.push(makeSet(rs.family, rs.backend, primary, chains));
      setsByFamily.set(rs.family, list);
    }
  } else {
    const groups = new Map<string, Map<string, BookChain>>();
    for (const ref of model.rules) {
      const r = ref.rule;
      const gk = `${r.family}/${r.backend}`;
      let chains = groups.get(gk);
      if (!chains) groups.set(gk, (chains = new Map()));
      const ck = `${r.table}/${r.chain}`;
      let ch = chains.get(ck);
      if (!ch) chains.set(ck, (ch = { name: r.chain, policy: null, rules: [] }));
      ch.rules.push(r);
    }
    for (const [gk, chains] of groups) {
      const [fs, backend] = gk.split('/') as [string, Backend];
      const family = Number(fs) as Family;
      const info = model.families.find((f) => f.family === family);
      const primary = (info?.backend ?? 'nft') === backend;
      for (const ch of chains.values()) ch.rules.sort((a, b) => a.position - b.position);
      for (const [ck, ch] of chains) {
        const table = ck.slice(0, ck.indexOf('/'));
        if (!isBuiltin(ch.name)) ch.policy = '-';
        else if (BUILTIN_POLICY_TABLES.has(table)) ch.policy = 'ACCEPT';
        else if (table === 'filter' && ch.name === 'FORWARD' && primary) ch.policy = info?.forwardPolicy ?? null;
      }
      if (primary && info?.forwardPolicy && !chains.has('filter/FORWARD'))
        chains.set('filter/FORWARD', { name: 'FORWARD', policy: info.forwardPolicy, rules: [] });
      const list = setsByFamily.get(family) ?? [];
      list.push(makeSet(family, backend, primary, chains));
      setsByFamily.set(family, list);
    }
  }
  for (const list of setsByFamily.values()) list.sort((a, b) => Number(b.primary) - Number(a.primary));

  return {
    sets: (f) => setsByFamily.get(f) ?? [],
    refOf: (rule) => byRule.get(rule) ?? extraRefs.get(rule) ?? { key: `${ruleKeyPrefix(rule)}#0`, rule, provenance: provenanceOf(rule) },
    policiesKnown: !!rulesets && rulesets.length > 0,
  };
}

export function isBuiltin(chain: string): boolean {
  return chain === 'PREROUTING' || chain === 'INPUT' || chain === 'FORWARD' || chain === 'OUTPUT' || chain === 'POSTROUTING';
}
