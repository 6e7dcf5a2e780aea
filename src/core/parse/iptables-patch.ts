// A new `iptables-save -c` dump read as the previous one plus moved counters.
//
// Under traffic every tick's dump differs from the last only in the `[p:b]`
// of some rule and chain lines and in the date of the `#` lines. Parsing
// 20,000 lines again (even with a RuleCache) was ~20 ms of the TUI's UI
// thread a second; walking both texts line by line and touching only the
// lines that differ is a few ms. Anything else that differs (a rule added,
// removed or edited, a policy change, a table line) gives null and the
// caller parses the text in full, so the result is always exactly what
// parseIptablesSave(text) gives (test/unit/iptables-patch.test.ts).
import type { Chain, Counters, Ruleset, RulesetLine, Table } from '../types.js';
import { chainSaveLine, parseBracketCounters, type ParseOptions } from './iptables-save.js';

interface ChainPatch {
  counters: Counters | null | undefined;
  rules: Map<number, Counters>;
}

/**
 * parseIptablesSave(text, opts) when `text` is `prevText` with only counters
 * and `#` lines changed, built from `prev` (the parse of `prevText` with the
 * same options); null when anything else changed or `prev` had issues.
 */
export function patchCounters(prevText: string, prev: Ruleset, text: string, opts: Pick<ParseOptions, 'family' | 'backend'>): Ruleset | null {
  if (prev.issues.length > 0 || prev.family !== opts.family || prev.backend !== opts.backend) return null;
  const lines = prev.lines;
  const newComments = new Map<number, RulesetLine>();
  // table -> chain -> what moved
  const patches = new Map<string, Map<string, ChainPatch>>();
  const patchOf = (table: string, chain: string): ChainPatch => {
    let t = patches.get(table);
    if (!t) patches.set(table, (t = new Map()));
    let c = t.get(chain);
    if (!c) t.set(chain, (c = { counters: undefined, rules: new Map() }));
    return c;
  };
  let chainLinesChanged = false;
  // Chains by table and name, made at the first changed rule or chain line.
  let index: Map<string, Chain> | null = null;
  const chainAt = (table: string, chain: string): Chain | undefined => {
    if (index === null) {
      index = new Map();
      for (const t of prev.tables) for (const c of t.chains) index.set(`${t.name}\n${c.name}`, c);
    }
    return index.get(`${table}\n${chain}`);
  };

  /** Line i changed (from `line`): record what moved; false when it is not a counters or `#` change. */
  const changed = (i: number, line: string): boolean => {
    const entry = lines[i]!;
    if (entry.kind === 'comment') {
      if (line.charCodeAt(0) !== 35 /* # */) return false;
      newComments.set(i, { kind: 'comment', text: line });
      return true;
    }
    if (entry.kind === 'rule') {
      const counters = ruleCounters(line, chainAt(entry.table, entry.chain), entry.position);
      if (counters === null) return false;
      patchOf(entry.table, entry.chain).rules.set(entry.position, counters);
      return true;
    }
    if (entry.kind === 'chain') {
      const counters = chainCounters(line, chainAt(entry.table, entry.chain));
      if (counters === null) return false;
      patchOf(entry.table, entry.chain).counters = counters;
      chainLinesChanged = true;
      return true;
    }
    return false;
  };

  // Lines are compared in runs: consecutive lines of equal length on both
  // sides are compared as one slice (most of a dump), and only a run that
  // differs is compared line by line. A line whose length changed differs.
  const n = text.length;
  const m = prevText.length;
  /** Compare the run of equal-length lines [i0, i1) starting at a0 / b0. */
  const run = (i0: number, i1: number, a0: number, a1: number, b0: number, b1: number): boolean => {
    if (i0 === i1 || text.slice(a0, Math.min(a1, n)) === prevText.slice(b0, Math.min(b1, m))) return true;
    let a = a0;
    let b = b0;
    for (let i = i0; i < i1; i++) {
      let ea = text.indexOf('\n', a);
      if (ea === -1) ea = n;
      let eb = prevText.indexOf('\n', b);
      if (eb === -1) eb = m;
      const line = text.slice(a, ea);
      if (line !== prevText.slice(b, eb) && !changed(i, line)) return false;
      a = ea + 1;
      b = eb + 1;
    }
    return true;
  };
  let a = 0; // start of the line in text
  let b = 0; // start of the line in prevText
  let i = 0; // line index
  let runI = 0;
  let runA = 0;
  let runB = 0;
  while (a < n || b < m) {
    if (a >= n || b >= m || i >= lines.length) return null; // not the same number of lines
    let ea = text.indexOf('\n', a);
    if (ea === -1) ea = n;
    let eb = prevText.indexOf('\n', b);
    if (eb === -1) eb = m;
    if (ea - a !== eb - b) {
      if (!run(runI, i, runA, a, runB, b) || !changed(i, text.slice(a, ea))) return null;
      runI = i + 1;
      runA = ea + 1;
      runB = eb + 1;
    }
    a = ea + 1;
    b = eb + 1;
    i++;
  }
  if (!run(runI, i, runA, a, runB, b)) return null;
  if (i !== lines.length) return null;
  // A chain declared by two lines must keep them equal (the full parse
  // reports a clash otherwise): leave such dumps to it.
  if (chainLinesChanged && declaredTwice(lines, patches)) return null;

  let outLines = lines;
  if (newComments.size > 0) {
    outLines = lines.slice();
    for (const [k, e] of newComments) outLines[k] = e;
  }
  let tables = prev.tables;
  if (patches.size > 0) {
    tables = prev.tables.map((t) => {
      const tp = patches.get(t.name);
      return tp ? patchTable(t, tp) : t;
    });
  }
  return { family: prev.family, backend: prev.backend, tables, lines: outLines, issues: [] };
}

/** The new counters of a rule line that differs from the last parse's only in them; null otherwise. */
function ruleCounters(line: string, chain: Chain | undefined, position: number): Counters | null {
  const rule = chain?.rules[position - 1];
  if (!rule || rule.position !== position || rule.counters === null) return null;
  const ctr = parseBracketCounters(line, 0);
  if (ctr === null || line.charCodeAt(ctr.end) !== 32) return null;
  const body = rule.text.length === 0 ? `-A ${rule.chain}` : `-A ${rule.chain} ${rule.text}`;
  if (line.length !== ctr.end + 1 + body.length || !line.startsWith(body, ctr.end + 1)) return null;
  return ctr.counters;
}

/** The new counters of a chain line that differs from the last parse's only in them; null otherwise. */
function chainCounters(line: string, chain: Chain | undefined): Counters | null {
  if (!chain || chain.counters === null || chain.policy === null) return null;
  const head = `:${chain.name} ${chain.policy} `;
  if (!line.startsWith(head)) return null;
  const ctr = parseBracketCounters(line, head.length);
  if (ctr === null || ctr.end !== line.length) return null;
  // Exactly the line the full parse accepts (canonical counters, no extra text).
  return chainSaveLine(chain.name, chain.policy, ctr.counters) === line ? ctr.counters : null;
}

function declaredTwice(lines: readonly RulesetLine[], patches: Map<string, Map<string, ChainPatch>>): boolean {
  const seen = new Set<string>();
  for (const e of lines) {
    if (e.kind !== 'chain' || patches.get(e.table)?.get(e.chain)?.counters === undefined) continue;
    const k = `${e.table}\n${e.chain}`;
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

function patchTable(t: Table, tp: Map<string, ChainPatch>): Table {
  return {
    name: t.name,
    chains: t.chains.map((c) => {
      const cp = tp.get(c.name);
      if (!cp) return c;
      const rules = cp.rules.size === 0 ? c.rules : c.rules.map((r) => {
        const counters = cp.rules.get(r.position);
        return counters ? { ...r, counters } : r;
      });
      return { name: c.name, policy: c.policy, counters: cp.counters === undefined ? c.counters : cp.counters, rules };
    }),
  };
}
