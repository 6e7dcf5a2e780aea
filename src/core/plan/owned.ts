// The owned state: read it from a parsed ruleset, split it into sections (one
// per `portcullis:<kind>[:<id>]` comment), put it back together in a fixed
// order, and turn "current -> desired" into one iptables-restore payload.
import { createTwoFilesPatch } from 'diff';
import type { Backend, Chain, Family, Rule, Ruleset } from '../types.js';
import { findChain, parseRuleText } from '../parse/iptables-save.js';
import {
  CHAIN_FWD,
  CHAIN_IN,
  COMMENT_PREFIX,
  OWNED_CHAINS,
  type Jump,
  type OwnedChains,
  type OwnedState,
  type SectionKind,
} from './types.js';

export const FILTER = 'filter';

export function isOwnedChain(name: string): boolean {
  return name.startsWith('PORTCULLIS-');
}

/** An empty ruleset of a family (a table that does not exist yet). */
export function emptyRuleset(family: Family, backend: Backend): Ruleset {
  return { family, backend, tables: [], lines: [], issues: [] };
}

/** Read what Portcullis owns from one family's ruleset (the filter table). */
export function ownedStateOf(rs: Ruleset): OwnedState {
  const chains: OwnedChains = {};
  const jumps: Jump[] = [];
  let foreign = 0;
  const table = rs.tables.find((t) => t.name === FILTER);
  for (const ch of table?.chains ?? []) {
    if (isOwnedChain(ch.name)) {
      chains[ch.name] = ch.rules.map((r) => r.text);
      foreign += ch.rules.filter((r) => sectionKeyOfRule(r) === null).length;
      continue;
    }
    for (const r of ch.rules) {
      if (r.target !== null && isOwnedChain(r.target)) {
        jumps.push({ parent: ch.name, target: r.target, position: r.position, text: r.text });
      }
    }
  }
  return {
    family: rs.family,
    backend: rs.backend,
    chains,
    jumps,
    dockerUser: findChain(rs, FILTER, 'DOCKER-USER') !== undefined,
    foreign,
  };
}

// ---------------------------------------------------------------- sections

export const FOREIGN_KEY = '~foreign';

const KIND_RANK: Record<SectionKind, number> = { icc: 0, lockdown: 1, whitelist: 2, proxy: 3 };

export function commentOf(kind: SectionKind, id: string | null): string {
  return id === null ? `${COMMENT_PREFIX}${kind}` : `${COMMENT_PREFIX}${kind}:${id}`;
}

/** `portcullis:whitelist:tcp/8080` -> `whitelist:tcp/8080`; null for anything else. */
export function sectionKeyOfComment(comment: string | null): string | null {
  if (comment === null || !comment.startsWith(COMMENT_PREFIX)) return null;
  const key = comment.slice(COMMENT_PREFIX.length);
  const kind = key.split(':', 1)[0] as SectionKind;
  return kind in KIND_RANK ? key : null;
}

function sectionKeyOfRule(r: Rule): string | null {
  return sectionKeyOfComment(r.comment);
}

const textKeyCache = new Map<string, string | null>();
/** The section a rule text belongs to (from its comment). */
export function sectionKeyOfText(text: string): string | null {
  let k = textKeyCache.get(text);
  if (k !== undefined) return k;
  const p = parseRuleText(text, { countersOption: false });
  k = p.ok ? sectionKeyOfComment(p.body.comment) : null;
  if (textKeyCache.size > 10_000) textKeyCache.clear();
  textKeyCache.set(text, k);
  return k;
}

export function sectionKind(key: string): SectionKind | null {
  const kind = key.split(':', 1)[0] as SectionKind;
  return kind in KIND_RANK ? kind : null;
}

export function sectionId(key: string): string | null {
  const i = key.indexOf(':');
  return i === -1 ? null : key.slice(i + 1);
}

function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  if (a === FOREIGN_KEY) return 1;
  if (b === FOREIGN_KEY) return -1;
  const ra = KIND_RANK[sectionKind(a) as SectionKind] ?? 9;
  const rb = KIND_RANK[sectionKind(b) as SectionKind] ?? 9;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : 1;
}

/** Section key -> chain -> rule texts. Rules keep their order inside a section. */
export type Sections = Map<string, Map<string, string[]>>;

export function sectionsOf(chains: OwnedChains): Sections {
  const out: Sections = new Map();
  for (const [chain, rules] of Object.entries(chains)) {
    for (const text of rules ?? []) {
      const key = sectionKeyOfText(text) ?? FOREIGN_KEY;
      let byChain = out.get(key);
      if (byChain === undefined) out.set(key, (byChain = new Map()));
      let list = byChain.get(chain);
      if (list === undefined) byChain.set(chain, (list = []));
      list.push(text);
    }
  }
  return out;
}

/** Sections back into chains, in the fixed order (icc, lockdown, whitelist, proxy, hand-made last). */
export function chainsOf(sections: Sections): OwnedChains {
  const keys = [...sections.keys()].sort(compareKeys);
  const out: OwnedChains = {};
  for (const key of keys) {
    for (const [chain, rules] of sections.get(key) ?? []) {
      if (rules.length === 0) continue;
      (out[chain] ??= []).push(...rules);
    }
  }
  // A chain referenced by one of ours must exist even when empty.
  return withReferencedChains(out);
}

function withReferencedChains(chains: OwnedChains): OwnedChains {
  for (const rules of Object.values({ ...chains })) {
    for (const text of rules ?? []) {
      const m = / -j (PORTCULLIS-[A-Za-z0-9_-]+)$/.exec(` ${text}`);
      if (m?.[1] && chains[m[1]] === undefined) chains[m[1]] = [];
    }
  }
  return chains;
}

/** Replace (or remove, with an empty map) one section. */
export function withSection(chains: OwnedChains, key: string, rules: Map<string, string[]> | null): OwnedChains {
  const s = sectionsOf(chains);
  if (rules === null || [...rules.values()].every((r) => r.length === 0)) s.delete(key);
  else s.set(key, rules);
  return chainsOf(s);
}

export function sameRules(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function sameChains(a: OwnedChains, b: OwnedChains): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const n of names) if (!sameRules(a[n], b[n])) return false;
  return true;
}

// ---------------------------------------------------------------- jumps

/** Where PORTCULLIS-FWD hangs: DOCKER-USER when Docker made it, else FORWARD (see ARCHITECTURE.md). */
export function fwdParentOf(dockerUser: boolean): string {
  return dockerUser ? 'DOCKER-USER' : 'FORWARD';
}

const PARENT_OF: Record<string, (dockerUser: boolean) => string> = {
  [CHAIN_FWD]: fwdParentOf,
  [CHAIN_IN]: () => 'INPUT',
};

/** The jumps the desired chains need: exactly one, at position 1 of its parent. */
export function desiredJumps(chains: OwnedChains, dockerUser: boolean): Jump[] {
  const out: Jump[] = [];
  for (const chain of OWNED_CHAINS) {
    const parent = PARENT_OF[chain];
    if (parent && chains[chain] !== undefined) {
      out.push({ parent: parent(dockerUser), target: chain, position: 1, text: `-j ${chain}` });
    }
  }
  return out;
}

function jumpOk(have: Jump, want: Jump): boolean {
  return have.parent === want.parent && have.target === want.target && have.position === want.position && have.text === want.text;
}

export interface Transition {
  /** Owned chains flushed and rebuilt (or created). */
  rebuild: string[];
  /** Owned chains deleted. */
  remove: string[];
  /** Jumps removed (`-D parent text`) and added (`-I parent 1 -j chain`). */
  dropJumps: Jump[];
  addJumps: Jump[];
}

export function transitionOf(cur: OwnedState, desired: OwnedChains): Transition {
  const rebuild: string[] = [];
  const remove: string[] = [];
  const names = [...new Set([...Object.keys(cur.chains), ...Object.keys(desired)])].sort();
  for (const n of names) {
    const want = desired[n];
    const have = cur.chains[n];
    if (want === undefined) {
      if (have !== undefined) remove.push(n);
    } else if (!sameRules(have, want)) rebuild.push(n);
  }
  const wantJumps = desiredJumps(desired, cur.dockerUser);
  const dropJumps: Jump[] = [];
  const satisfied = new Set<string>();
  for (const j of cur.jumps) {
    const w = wantJumps.find((x) => x.target === j.target);
    if (w && !satisfied.has(w.target) && jumpOk(j, w)) satisfied.add(w.target);
    else dropJumps.push(j);
  }
  const addJumps = wantJumps.filter((w) => !satisfied.has(w.target));
  return { rebuild, remove, dropJumps, addJumps };
}

export function isEmptyTransition(t: Transition): boolean {
  return t.rebuild.length + t.remove.length + t.dropJumps.length + t.addJumps.length === 0;
}

/**
 * The `iptables-restore --noflush` payload for a transition. A `:CHAIN` line
 * flushes (or creates) only that chain; jumps are deleted by their exact text;
 * chains go last, once nothing refers to them. '' when nothing changes.
 */
export function payloadOf(t: Transition, desired: OwnedChains): string {
  if (isEmptyTransition(t)) return '';
  const lines = ['*filter'];
  // Declare every chain first so references in rebuilt chains resolve.
  for (const n of [...t.rebuild, ...t.remove].sort()) lines.push(`:${n} - [0:0]`);
  // Jumps are deleted highest position first, so positions read earlier stay right.
  const drops = [...t.dropJumps].sort((a, b) => (a.parent === b.parent ? b.position - a.position : a.parent < b.parent ? -1 : 1));
  for (const j of drops) lines.push(`-D ${j.parent} ${j.text}`);
  for (const n of t.rebuild) for (const r of desired[n] ?? []) lines.push(`-A ${n} ${r}`);
  for (const j of t.addJumps) lines.push(`-I ${j.parent} ${j.position} ${j.text}`);
  for (const n of t.remove) lines.push(`-X ${n}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** Restore file for boot: every owned chain and its jump, from nothing (see scripts/portcullis-restore.service). */
export function exportPayload(st: OwnedState): string {
  const chains = Object.keys(st.chains).sort();
  const lines = [
    `# Portcullis owned chains, IPv${st.family} filter table (${st.backend}); load with ${st.family === 4 ? 'iptables' : 'ip6tables'}-restore --noflush`,
    '*filter',
  ];
  for (const n of chains) lines.push(`:${n} - [0:0]`);
  for (const n of chains) for (const r of st.chains[n] ?? []) lines.push(`-A ${n} ${r}`);
  for (const j of desiredJumps(st.chains, st.dockerUser)) lines.push(`-I ${j.parent} ${j.position} ${j.text}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- text, diff

/** Chains compared before applying: ours and every chain that jumps (or will jump) into ours. */
export function watchedChains(cur: OwnedState, desired: OwnedChains): string[] {
  const names = new Set<string>([...Object.keys(cur.chains), ...Object.keys(desired)]);
  for (const j of cur.jumps) names.add(j.parent);
  for (const j of desiredJumps(desired, cur.dockerUser)) names.add(j.parent);
  return [...names].sort();
}

function chainDecl(ch: Chain | undefined, name: string): string {
  return `:${name} ${ch?.policy ?? '-'}`;
}

/** Canonical text of some chains of a ruleset (no counters); a missing chain is `# no chain NAME`. */
export function chainsText(rs: Ruleset, names: readonly string[]): string {
  let out = '';
  for (const n of names) {
    const ch = findChain(rs, FILTER, n);
    if (ch === undefined) {
      out += `# no chain ${n}\n`;
      continue;
    }
    out += `${chainDecl(ch, n)}\n`;
    for (const r of ch.rules) out += `-A ${n} ${r.text}\n`;
  }
  return out;
}

/** The same text as chainsText after a transition, computed without touching the host. */
export function chainsTextAfter(rs: Ruleset, names: readonly string[], cur: OwnedState, desired: OwnedChains): string {
  const t = transitionOf(cur, desired);
  let out = '';
  for (const n of names) {
    if (isOwnedChain(n)) {
      const rules = desired[n];
      if (rules === undefined) {
        out += `# no chain ${n}\n`;
        continue;
      }
      out += `:${n} -\n`;
      for (const r of rules) out += `-A ${n} ${r}\n`;
      continue;
    }
    const ch = findChain(rs, FILTER, n);
    let texts = (ch?.rules ?? []).map((r) => r.text);
    const dropPos = new Set(t.dropJumps.filter((j) => j.parent === n).map((j) => j.position));
    texts = texts.filter((_, i) => !dropPos.has(i + 1));
    for (const j of [...t.addJumps].reverse()) if (j.parent === n) texts.splice(j.position - 1, 0, j.text);
    if (ch === undefined && texts.length === 0) {
      out += `# no chain ${n}\n`;
      continue;
    }
    out += `${chainDecl(ch, n)}\n`;
    for (const r of texts) out += `-A ${n} ${r}\n`;
  }
  return out;
}

/** Unified diff of the chains that change (only those), before -> after. */
export function chainsDiff(family: Family, rs: Ruleset, cur: OwnedState, desired: OwnedChains): string {
  const t = transitionOf(cur, desired);
  if (isEmptyTransition(t)) return '';
  const names = new Set<string>([...t.rebuild, ...t.remove]);
  for (const j of [...t.dropJumps, ...t.addJumps]) names.add(j.parent);
  const list = [...names].sort((a, b) => (isOwnedChain(a) === isOwnedChain(b) ? (a < b ? -1 : 1) : isOwnedChain(a) ? 1 : -1));
  const before = chainsText(rs, list);
  const after = chainsTextAfter(rs, list, cur, desired);
  const label = `ipv${family}/filter`;
  return createTwoFilesPatch(`${label} (now)`, `${label} (after)`, before, after, undefined, undefined, { context: 3 });
}
