// Parsers for `iptables-save [-c]` and `iptables [-t T] -S [-v]` output, and
// the serializer that writes a parsed ruleset back (architecture.md,
// "Round-trip").
//
// Round-trip contract: for ANY input text x (real dump or junk),
//   serializeRuleset(parseIptablesSave(x)) === x + (x === '' || x ends with '\n' ? '' : '\n')
// and likewise for parseIptablesS. Lines are split on '\n' only; a final
// newline ends the last line (it is not a blank line), and the serializer
// ends every line with '\n', so a dump without a final newline gains one.
// To guarantee this, every structural line (`*table`, `:CHAIN ...`, rule,
// `COMMIT`, `-P`, `-N`) is re-rendered while parsing and compared with the
// input; a line that would not come back byte-for-byte is kept verbatim as
// {kind:'unknown'} and reported as a ParseIssue. Rule text is stored
// verbatim, so rules round-trip whatever options they use.
//
// (CRLF input is therefore mostly unknown lines: iptables never writes it.)
//
// Other conventions:
// - {kind:'comment'} text is the whole line, `#` included (e.g. the
//   `# Warning: iptables-legacy tables present ...` line).
// - A rule referencing a chain never declared is kept; the chain gets an
//   entry with policy null and counters null, appended to its table.
// - A table that ends without COMMIT (truncated dump) is reported at its
//   `*table` line; its rules are kept.
// - A rule with stray tokens after its target name (`-j ACCEPT junk`) is kept
//   as a rule (its text is verbatim) and reported; any other rule text that
//   cannot be split into options is an unknown line.
// - Counters must be canonical decimal below 2^53 to be read, so they are
//   written back exactly.
//
// Single pass, no regular expression over whole lines, no copies of the rest
// of the input per line.

import type {
  Backend,
  Chain,
  Counters,
  Family,
  ParseIssue,
  Rule,
  Ruleset,
  RulesetLine,
  Table,
} from '../types.js';
import { cut, parseRuleText } from './iptables-tokens.js';
import { detach } from './intern.js';
import type { ParseRuleResult } from './iptables-tokens.js';

export { parseRuleText, quoteArg, tokenize } from './iptables-tokens.js';
export type { RuleBody, Token } from './iptables-tokens.js';

export interface ParseOptions {
  family: Family;
  backend: Backend;
  /** Name of the source for ParseIssue.source, e.g. "iptables-save.txt". */
  source: string;
  /**
   * Optional cache of parsed rule texts, for a caller that re-reads the same
   * source every few seconds (see createRuleCache). Use one cache per source.
   */
  cache?: RuleCache;
}

/**
 * Remembers the parsed options of each rule text between two parses of the
 * same source, so an unchanged rule costs one Map lookup. It keeps only the
 * texts seen in the last two parses, so it never grows past two dumps.
 * Rules parsed through a cache share their `matches`/`targetOptions`/
 * `modules` arrays with other rules of identical text: treat them as
 * read-only (as all parsed data should be).
 */
export class RuleCache {
  private mode: boolean | null = null;
  // The rules of the last parse in the order they were asked for. A re-read
  // of the same dump asks for the same texts in the same order, so a lookup
  // first compares with the text that followed the previous hit (one string
  // comparison, no hashing); only a miss builds (once per parse) and asks a
  // map of the last parse's texts, and realigns on what it finds there.
  private oldText: string[] = [];
  private oldResult: ParseRuleResult[] = [];
  private oldIndex: Map<string, number> | null = null;
  private rd = 0;
  private nextText: string[] = [];
  private nextResult: ParseRuleResult[] = [];
  // The rule (and its line entry) each text gave in the last parse. A tick
  // of a busy host moves the counters of a few hundred rules of 20,000: the
  // others are equal in every field, and giving back the same objects spares
  // the garbage collector ~40,000 objects a second that would each live one
  // refresh (long enough to be promoted, then die in the old generation).
  private oldMade: Array<Made | null> = [];
  // Chain names as first seen: few (one per chain), kept for the cache's life.
  private readonly names = new Map<string, string>();
  private nextMade: Array<Made | null> = [];
  private hit = -1;

  /** Start a parse; `countersInText` is the format's rule-text mode. */
  begin(countersInText: boolean): void {
    if (this.mode !== countersInText) {
      this.oldText = [];
      this.oldResult = [];
      this.oldMade = [];
      this.mode = countersInText;
    }
    this.oldIndex = null;
    this.rd = 0;
    this.nextText = [];
    this.nextResult = [];
    this.nextMade = [];
    this.hit = -1;
  }

  get(text: string): ParseRuleResult | undefined {
    let j = this.rd;
    if (this.oldText[j] !== text) {
      if (this.oldIndex === null) {
        this.oldIndex = new Map();
        for (let i = this.oldText.length - 1; i >= 0; i--) this.oldIndex.set(this.oldText[i] as string, i);
      }
      const k = this.oldIndex.get(text);
      if (k === undefined) return undefined;
      j = k;
    }
    const r = this.oldResult[j] as ParseRuleResult;
    this.rd = j + 1;
    this.hit = j;
    // The text as first seen, not this dump's copy of it (see canonical()).
    this.nextText.push(this.oldText[j] as string);
    this.nextResult.push(r);
    this.nextMade.push(null);
    return r;
  }

  set(text: string, r: ParseRuleResult): void {
    this.hit = -1;
    this.nextText.push(text);
    this.nextResult.push(r);
    this.nextMade.push(null);
  }

  /**
   * The text of the last get()/set() as the cache keeps it. A string cut out
   * of a dump (slice) is, in V8, a view that keeps the whole dump alive; a
   * rule made on a later refresh (its counters moved) and then left alone
   * for hours kept that refresh's 2 MB dump for hours. Rules hold this
   * string instead: the first dump's view, or a copy (intern.ts detach).
   */
  canonical(): string {
    return this.nextText[this.nextText.length - 1] as string;
  }

  /**
   * A text this cache has not seen, made safe to keep: after the first parse
   * (whose dump its rules keep anyway) a copy that holds only itself.
   */
  detached(text: string): string {
    return this.oldText.length === 0 ? text : detach(text);
  }

  /** A chain name as first seen (names cut from later dumps would keep those dumps). */
  name(s: string): string {
    let n = this.names.get(s);
    if (n === undefined) this.names.set(s, (n = this.oldText.length === 0 ? s : detach(s)));
    return n;
  }

  /** What the text of the last get() made in the previous parse (null after a miss). */
  previous(): Made | null {
    return this.hit >= 0 ? (this.oldMade[this.hit] ?? null) : null;
  }

  /** What the text of the last get()/set() made in this parse. */
  made(m: Made): void {
    this.nextMade[this.nextMade.length - 1] = m;
  }

  /** End a parse: the next parse looks up what this one used, and nothing older. */
  end(): void {
    this.oldText = this.nextText;
    this.oldResult = this.nextResult;
    this.oldMade = this.nextMade;
    this.oldIndex = null;
    this.nextText = [];
    this.nextResult = [];
    this.nextMade = [];
  }
}

/** A rule and its line entry, as a parse made them (see RuleCache). */
interface Made {
  rule: Rule;
  entry: RulesetLine;
}

/** A new, empty rule cache (see ParseOptions.cache). */
export function createRuleCache(): RuleCache {
  return new RuleCache();
}

export interface ParseSOptions extends ParseOptions {
  /** Table the `-S` output was listed from (`iptables -t T -S`); default filter. */
  table?: string;
}

export interface SerializeOptions {
  /**
   * undefined (default): write counters exactly where the input had them,
   * which reproduces the input byte-for-byte.
   * true: every rule line gets `[p:b] ` and every chain line ` [p:b]`
   * (`[0:0]` where unknown). false: rule lines without counters and chain
   * lines with `[0:0]` (what `iptables-save` without -c / a restore payload
   * looks like). Only the save format: in `-S` output counters live inside
   * the rule text (`-c P B`) and are written as they were.
   */
  counters?: boolean;
}

const ISSUE_TEXT_MAX = 200;

interface TableState {
  table: Table;
  chains: Map<string, Chain>;
  /** Chains declared by a chain line (not merely referenced by a rule). */
  declared: Set<string>;
}

class Builder {
  readonly tables: Table[] = [];
  readonly lines: RulesetLine[] = [];
  readonly issues: ParseIssue[] = [];
  private readonly byName = new Map<string, TableState>();

  constructor(
    readonly opts: ParseOptions,
    /** `-S` format: `-c P B` inside the rule text are its counters. */
    readonly countersInText: boolean,
  ) {
    opts.cache?.begin(countersInText);
  }

  issue(line: number, text: string, message: string): void {
    this.issues.push({ source: this.opts.source, line, text: cut(text, ISSUE_TEXT_MAX), message });
  }

  unknown(line: number, text: string, message: string): void {
    this.lines.push({ kind: 'unknown', text });
    this.issue(line, text, message);
  }

  tableState(name: string): TableState {
    let st = this.byName.get(name);
    if (st === undefined) {
      st = { table: { name, chains: [] }, chains: new Map(), declared: new Set() };
      this.byName.set(name, st);
      this.tables.push(st.table);
    }
    return st;
  }

  chainOf(st: TableState, name: string): Chain {
    let ch = st.chains.get(name);
    if (ch === undefined) {
      ch = { name, policy: null, counters: null, rules: [] };
      st.chains.set(name, ch);
      st.table.chains.push(ch);
    }
    return ch;
  }

  /** Declare a chain from a chain line; false when it clashes with an earlier declaration. */
  declare(st: TableState, name: string, policy: string, counters: Counters | null): boolean {
    const ch = this.chainOf(st, name);
    if (st.declared.has(name)) {
      return ch.policy === policy && sameCounters(ch.counters, counters);
    }
    st.declared.add(name);
    ch.policy = policy;
    ch.counters = counters;
    return true;
  }

  /** Parse rule text and append the rule; false (and an issue) when it is malformed. */
  addRule(
    st: TableState,
    chainName: string,
    text: string,
    counters: Counters | null,
    lineNo: number,
    lineText: string,
  ): boolean {
    // Save format carries counters in the [p:b] prefix; only -S puts them in the text.
    const cache = this.opts.cache;
    let r = cache?.get(text);
    if (r === undefined) {
      if (cache) text = cache.detached(text);
      r = parseRuleText(text, { countersOption: this.countersInText });
      cache?.set(text, r);
    }
    if (cache) {
      // What a rule keeps must not be a view into this dump (RuleCache.canonical).
      text = cache.canonical();
      chainName = cache.name(chainName);
    }
    if (!r.ok) {
      this.unknown(lineNo, lineText, `malformed rule: ${r.error}`);
      return false;
    }
    for (const w of r.warnings) this.issue(lineNo, lineText, w);
    const ch = this.chainOf(st, chainName);
    const b = r.body;
    const c = counters ?? b.counters;
    const position = ch.rules.length + 1;
    const prev = cache?.previous() ?? null;
    if (
      prev !== null &&
      prev.rule.position === position &&
      prev.rule.line === lineNo &&
      prev.rule.chain === chainName &&
      prev.rule.table === st.table.name &&
      prev.rule.matches === b.matches &&
      sameCounters(prev.rule.counters, c)
    ) {
      // Equal in every field (family and backend are the cache's source's).
      ch.rules.push(prev.rule);
      this.lines.push(prev.entry);
      cache!.made(prev);
      return true;
    }
    const rule: Rule = {
      family: this.opts.family,
      backend: this.opts.backend,
      table: st.table.name,
      chain: chainName,
      position,
      counters: c,
      text,
      matches: b.matches,
      modules: b.modules,
      target: b.target,
      goto: b.goto,
      targetOptions: b.targetOptions,
      comment: b.comment,
      line: lineNo,
    };
    ch.rules.push(rule);
    const entry: RulesetLine = { kind: 'rule', table: st.table.name, chain: chainName, position: rule.position };
    this.lines.push(entry);
    cache?.made({ rule, entry });
    return true;
  }

  result(): Ruleset {
    return {
      family: this.opts.family,
      backend: this.opts.backend,
      tables: this.tables,
      lines: this.lines,
      issues: this.issues,
    };
  }
}

function sameCounters(a: Counters | null, b: Counters | null): boolean {
  if (a === null || b === null) return a === b;
  return a.packets === b.packets && a.bytes === b.bytes;
}

/** Iterate the lines of `text` (split on '\n'; a final '\n' ends the last line). */
function forEachLine(text: string, fn: (line: string, lineNo: number) => void): void {
  const n = text.length;
  let start = 0;
  let lineNo = 0;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    lineNo++;
    fn(text.slice(start, end), lineNo);
    start = end + 1;
  }
}

/** True when s has no whitespace at all (space, tab, CR, LF, FF, VT). */
function noSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) return false;
  }
  return true;
}

/** Parse `[P:B]` at `pos`; returns counters and the index after `]`, or null. */
export function parseBracketCounters(s: string, pos: number): { counters: Counters; end: number } | null {
  if (s.charCodeAt(pos) !== 91 /* [ */) return null;
  const colon = s.indexOf(':', pos + 1);
  if (colon === -1 || colon - pos - 1 > 20) return null;
  const close = s.indexOf(']', colon + 1);
  if (close === -1 || close - colon - 1 > 20) return null;
  const p = s.slice(pos + 1, colon);
  const b = s.slice(colon + 1, close);
  if (!isCanonicalCount(p) || !isCanonicalCount(b)) return null;
  return { counters: { packets: Number(p), bytes: Number(b) }, end: close + 1 };
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Digits that Number() reads back to the same text: no leading zero, within
 * 2^53 (so the serializer writes the counter exactly as it was read).
 */
function isCanonicalCount(s: string): boolean {
  if (!isDigits(s) || (s.length > 1 && s.charCodeAt(0) === 48)) return false;
  return s.length < 16 || String(Number(s)) === s;
}

function fmtCounters(c: Counters): string {
  return `[${c.packets}:${c.bytes}]`;
}

// ------------------------------------------------------------ iptables-save

/**
 * Parse `iptables-save` / `iptables-save -c` (also ip6tables, nft and legacy)
 * output. Never throws; malformed lines become {kind:'unknown'} plus an issue,
 * a table without COMMIT is reported at its `*table` line.
 */
export function parseIptablesSave(text: string, opts: ParseOptions): Ruleset {
  const b = new Builder(opts, false);
  let cur: TableState | null = null;
  let curLine = 0;

  const unterminated = (): void => {
    if (cur !== null) {
      b.issue(curLine, `*${cur.table.name}`, `table ${cur.table.name} has no COMMIT (truncated dump?)`);
    }
  };

  forEachLine(text, (line, lineNo) => {
    if (line.length === 0) {
      b.lines.push({ kind: 'blank' });
      return;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === 35 /* # */) {
      b.lines.push({ kind: 'comment', text: line });
      return;
    }
    if (c0 === 42 /* * */) {
      const name = line.slice(1);
      if (name.length === 0 || !noSpace(name)) {
        b.unknown(lineNo, line, 'malformed table line');
        return;
      }
      unterminated();
      cur = b.tableState(name);
      curLine = lineNo;
      b.lines.push({ kind: 'table', table: name });
      return;
    }
    if (line === 'COMMIT') {
      if (cur === null) {
        b.unknown(lineNo, line, 'COMMIT outside a table');
        return;
      }
      b.lines.push({ kind: 'commit', table: cur.table.name });
      cur = null;
      return;
    }
    if (c0 === 58 /* : */) {
      if (cur === null) {
        b.unknown(lineNo, line, 'chain line outside a table');
        return;
      }
      const sp1 = line.indexOf(' ', 1);
      const name = sp1 === -1 ? '' : line.slice(1, sp1);
      const sp2 = sp1 === -1 ? -1 : line.indexOf(' ', sp1 + 1);
      const policy = sp1 === -1 ? '' : line.slice(sp1 + 1, sp2 === -1 ? line.length : sp2);
      const ctr = sp2 === -1 ? null : parseBracketCounters(line, sp2 + 1);
      if (
        name.length === 0 ||
        policy.length === 0 ||
        (sp2 !== -1 && ctr === null) ||
        chainSaveLine(name, policy, ctr === null ? null : ctr.counters) !== line
      ) {
        b.unknown(lineNo, line, 'malformed chain line');
        return;
      }
      if (!b.declare(cur, name, policy, ctr === null ? null : ctr.counters)) {
        b.unknown(lineNo, line, `chain ${name} declared twice with different policy or counters`);
        return;
      }
      b.lines.push({ kind: 'chain', table: cur.table.name, chain: name });
      return;
    }
    if (c0 === 91 /* [ */ || c0 === 45 /* - */) {
      let pos = 0;
      let counters: Counters | null = null;
      if (c0 === 91) {
        const ctr = parseBracketCounters(line, 0);
        if (ctr === null || line.charCodeAt(ctr.end) !== 32) {
          b.unknown(lineNo, line, 'malformed counters');
          return;
        }
        counters = ctr.counters;
        pos = ctr.end + 1;
      }
      if (!line.startsWith('-A ', pos)) {
        b.unknown(lineNo, line, 'unsupported line (only -A rules appear in iptables-save output)');
        return;
      }
      if (cur === null) {
        b.unknown(lineNo, line, 'rule outside a table (no *table line before it)');
        return;
      }
      const chainStart = pos + 3;
      const sp = line.indexOf(' ', chainStart);
      const chain = line.slice(chainStart, sp === -1 ? line.length : sp);
      const ruleText = sp === -1 ? '' : line.slice(sp + 1);
      // Same as ruleSaveLine(chain, ruleText, counters) === line, without
      // building a copy of every line: counters were checked canonical above.
      if (chain.length === 0 || (sp !== -1 && ruleText.length === 0)) {
        b.unknown(lineNo, line, 'malformed rule line');
        return;
      }
      b.addRule(cur, chain, ruleText, counters, lineNo, line);
      return;
    }
    b.unknown(lineNo, line, 'unrecognised line');
  });
  unterminated();
  opts.cache?.end();
  return b.result();
}

// ------------------------------------------------------------ iptables -S

/**
 * Parse `iptables [-t TABLE] -S [-v]` output: `-P CHAIN POLICY [-c P B]`,
 * `-N CHAIN`, `-A CHAIN ...`. `#` lines are kept as comments.
 */
export function parseIptablesS(text: string, opts: ParseSOptions): Ruleset {
  const b = new Builder(opts, true);
  const st = b.tableState(opts.table ?? 'filter');
  forEachLine(text, (line, lineNo) => {
    if (line.length === 0) {
      b.lines.push({ kind: 'blank' });
      return;
    }
    if (line.charCodeAt(0) === 35 /* # */) {
      b.lines.push({ kind: 'comment', text: line });
      return;
    }
    if (line.startsWith('-A ')) {
      const sp = line.indexOf(' ', 3);
      const chain = line.slice(3, sp === -1 ? line.length : sp);
      const ruleText = sp === -1 ? '' : line.slice(sp + 1);
      if (chain.length === 0 || (sp !== -1 && ruleText.length === 0)) {
        b.unknown(lineNo, line, 'malformed rule line');
        return;
      }
      b.addRule(st, chain, ruleText, null, lineNo, line);
      return;
    }
    if (line.startsWith('-N ')) {
      const name = line.slice(3);
      if (name.length === 0 || !noSpace(name)) {
        b.unknown(lineNo, line, 'malformed -N line');
        return;
      }
      if (!b.declare(st, name, '-', null)) {
        b.unknown(lineNo, line, `chain ${name} declared twice`);
        return;
      }
      b.lines.push({ kind: 'chain', table: st.table.name, chain: name });
      return;
    }
    if (line.startsWith('-P ')) {
      const sp1 = line.indexOf(' ', 3);
      const name = sp1 === -1 ? '' : line.slice(3, sp1);
      const sp2 = sp1 === -1 ? -1 : line.indexOf(' ', sp1 + 1);
      const policy = sp1 === -1 ? '' : line.slice(sp1 + 1, sp2 === -1 ? line.length : sp2);
      let counters: Counters | null = null;
      if (sp2 !== -1 && line.startsWith(' -c ', sp2)) {
        const sp3 = line.indexOf(' ', sp2 + 4);
        if (sp3 !== -1) {
          const p = line.slice(sp2 + 4, sp3);
          const by = line.slice(sp3 + 1);
          if (isCanonicalCount(p) && isCanonicalCount(by)) counters = { packets: Number(p), bytes: Number(by) };
        }
      }
      if (
        name.length === 0 ||
        policy.length === 0 ||
        policy === '-' ||
        (sp2 !== -1 && counters === null) ||
        chainSLine(name, policy, counters) !== line
      ) {
        b.unknown(lineNo, line, 'malformed -P line');
        return;
      }
      if (!b.declare(st, name, policy, counters)) {
        b.unknown(lineNo, line, `chain ${name} declared twice with different policy`);
        return;
      }
      b.lines.push({ kind: 'chain', table: st.table.name, chain: name });
      return;
    }
    b.unknown(lineNo, line, 'unrecognised line');
  });
  opts.cache?.end();
  return b.result();
}

// ------------------------------------------------------------ serializing

export function chainSaveLine(name: string, policy: string, counters: Counters | null): string {
  return counters === null ? `:${name} ${policy}` : `:${name} ${policy} ${fmtCounters(counters)}`;
}

function chainSLine(name: string, policy: string | null, counters: Counters | null): string {
  if (policy === null || policy === '-') return `-N ${name}`;
  return counters === null
    ? `-P ${name} ${policy}`
    : `-P ${name} ${policy} -c ${counters.packets} ${counters.bytes}`;
}

function ruleSaveLine(chain: string, text: string, counters: Counters | null): string {
  const body = text.length === 0 ? `-A ${chain}` : `-A ${chain} ${text}`;
  return counters === null ? body : `${fmtCounters(counters)} ${body}`;
}

const ZERO: Counters = { packets: 0, bytes: 0 };

/** One rule as an `iptables-save` line (no newline): `[p:b] -A CHAIN text`. */
export function ruleToSaveLine(rule: Rule, opts: SerializeOptions = {}): string {
  const c = opts.counters === undefined ? rule.counters : opts.counters ? (rule.counters ?? ZERO) : null;
  return ruleSaveLine(rule.chain, rule.text, c);
}

/**
 * One chain declaration as an `iptables-save` line (no newline):
 * `:NAME POLICY [p:b]`; a chain only referenced by rules (policy null) is
 * written as a user chain, `-`.
 */
export function chainToSaveLine(chain: Chain, opts: SerializeOptions = {}): string {
  const c = opts.counters === undefined ? chain.counters : opts.counters ? (chain.counters ?? ZERO) : ZERO;
  return chainSaveLine(chain.name, chain.policy ?? '-', c);
}

/** `-S` format: `-N NAME` or `-P NAME POLICY [-c p b]`. */
export function chainToSLine(chain: Chain): string {
  return chainSLine(chain.name, chain.policy, chain.counters);
}

/**
 * Which format a ruleset was parsed from: an `-S` listing never has `*table`
 * lines, a save dump has one before any chain or rule line.
 */
export function rulesetFormat(rs: Ruleset): 'save' | 'S' {
  let structural = false;
  for (const l of rs.lines) {
    if (l.kind === 'table') return 'save';
    if (l.kind === 'chain' || l.kind === 'rule') structural = true;
  }
  return structural ? 'S' : 'save';
}

function chainIndex(rs: Ruleset): Map<string, Map<string, Chain>> {
  const idx = new Map<string, Map<string, Chain>>();
  for (const t of rs.tables) {
    let m = idx.get(t.name);
    if (m === undefined) {
      m = new Map();
      idx.set(t.name, m);
    }
    for (const ch of t.chains) if (!m.has(ch.name)) m.set(ch.name, ch);
  }
  return idx;
}

function lookup(idx: Map<string, Map<string, Chain>>, table: string, chain: string): Chain {
  const ch = idx.get(table)?.get(chain);
  if (ch === undefined) throw new Error(`ruleset has no chain ${table}/${chain} for one of its lines`);
  return ch;
}

/**
 * Write the ruleset back from `rs.lines`, in order, comments and unknown
 * lines verbatim; every line ends with '\n'. Detects save vs `-S` format
 * (see rulesetFormat). Throws only when `lines` refers to a chain or rule
 * that is not in `tables` (a ruleset edited inconsistently).
 */
export function serializeRuleset(rs: Ruleset, opts: SerializeOptions = {}): string {
  const format = rulesetFormat(rs);
  const idx = chainIndex(rs);
  const out: string[] = [];
  for (const l of rs.lines) {
    switch (l.kind) {
      case 'blank':
        out.push('');
        break;
      case 'comment':
      case 'unknown':
        out.push(l.text);
        break;
      case 'table':
        out.push(`*${l.table}`);
        break;
      case 'commit':
        out.push('COMMIT');
        break;
      case 'chain': {
        const ch = lookup(idx, l.table, l.chain);
        out.push(format === 'S' ? chainToSLine(ch) : chainToSaveLine(ch, opts));
        break;
      }
      case 'rule': {
        const ch = lookup(idx, l.table, l.chain);
        const rule = ch.rules[l.position - 1];
        if (rule === undefined) {
          throw new Error(`ruleset has no rule ${l.table}/${l.chain}#${l.position} for one of its lines`);
        }
        out.push(format === 'S' ? ruleSaveLine(rule.chain, rule.text, null) : ruleToSaveLine(rule, opts));
        break;
      }
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/**
 * One chain in save format, for diffs: its declaration line then its rules,
 * each ending with '\n'. Empty string when the chain does not exist.
 */
export function serializeChain(rs: Ruleset, table: string, chain: string, opts: SerializeOptions = {}): string {
  const ch = chainIndex(rs).get(table)?.get(chain);
  if (ch === undefined) return '';
  let out = `${chainToSaveLine(ch, opts)}\n`;
  for (const r of ch.rules) out += `${ruleToSaveLine(r, opts)}\n`;
  return out;
}

/** Find a table by name. */
export function findTable(rs: Ruleset, table: string): Table | undefined {
  return rs.tables.find((t) => t.name === table);
}

/** Find a chain by table and name. */
export function findChain(rs: Ruleset, table: string, chain: string): Chain | undefined {
  return findTable(rs, table)?.chains.find((c) => c.name === chain);
}
