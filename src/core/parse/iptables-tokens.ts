// Tokenizer and generic option parser for the text of one iptables rule
// (what follows `-A CHAIN ` in `iptables-save` / `iptables -S` output).
//
// It needs no table of modules: a token starting with `-` (and not a negative
// number) is a flag, and the non-flag tokens after it are its values. Quoting
// follows iptables-restore: a `"` opens a quoted part anywhere in a token,
// inside quotes `\` escapes the next character, and the closing `"` ends the
// token. A quoted token is always a value, never a flag or `!`.
//
// Everything here is single pass over the characters; no regular expression
// runs over untrusted text except simple anchored ones on short tokens.

import type { Counters, RuleOption } from '../types.js';
import { hashStep, Interner } from './intern.js';

export interface Token {
  value: string;
  /** Some part of the token was inside double quotes. */
  quoted: boolean;
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: string };

function isSpace(c: number): boolean {
  // space, tab, newline, carriage return
  return c === 32 || c === 9 || c === 10 || c === 13;
}

const QUOTE = 34; // "

/**
 * Unquoted arguments, interned: a dump repeats the same flags, modules,
 * bridge names, addresses and ports thousands of times (see intern.ts).
 * Bounded, so a poller re-reading changing dumps does not grow it forever.
 */
const TOKENS = new Interner(4096, 1 << 17);
const BACKSLASH = 92; // \

/**
 * Scan `s` into `vals` (argument strings) and `quoted` (whether some part was
 * quoted), both cleared first. Returns an error message or null.
 */
function scan(s: string, vals: string[], quoted: boolean[]): string | null {
  vals.length = 0;
  quoted.length = 0;
  const n = s.length;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    // Fast path: an unquoted run up to whitespace.
    // Hashed while scanned, for the interner.
    const start = i;
    let h = TOKENS.seed;
    while (i < n) {
      c = s.charCodeAt(i);
      if (isSpace(c) || c === QUOTE) break;
      h = hashStep(h, c);
      i++;
    }
    if (i >= n || c !== QUOTE) {
      vals.push(TOKENS.getHashed(s, start, i, h));
      quoted.push(false);
      continue;
    }
    // Slow path: a quoted part; the closing quote ends the token.
    let value = s.slice(start, i);
    i++; // opening quote
    let chunk = i;
    let closed = false;
    while (i < n) {
      c = s.charCodeAt(i);
      if (c === BACKSLASH) {
        if (i + 1 >= n) break; // lone backslash at the end: unterminated
        value += s.slice(chunk, i) + s[i + 1];
        i += 2;
        chunk = i;
        continue;
      }
      if (c === QUOTE) {
        value += s.slice(chunk, i);
        i++;
        closed = true;
        break;
      }
      i++;
    }
    if (!closed) return 'unterminated quote';
    vals.push(value);
    quoted.push(true);
  }
  return null;
}

/** Split rule text into arguments the way iptables-restore does. */
export function tokenize(s: string): TokenizeResult {
  const vals: string[] = [];
  const quoted: boolean[] = [];
  const err = scan(s, vals, quoted);
  if (err !== null) return { ok: false, error: err };
  return { ok: true, tokens: vals.map((value, i) => ({ value, quoted: quoted[i] === true })) };
}

const SAFE_CHARS = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/**
 * Write a string argument as iptables-save writes comments and log prefixes
 * (xtables_save_string): bare when it is only [A-Za-z0-9_-], else in double
 * quotes with `"`, `\` and `'` escaped by a backslash. A value starting with
 * `-` is quoted too so it cannot be read back as a flag.
 */
export function quoteArg(value: string): string {
  if (SAFE_CHARS.test(value)) return value;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '"' || ch === '\\' || ch === "'") out += '\\';
    out += ch;
  }
  return out + '"';
}

/** An unquoted token that starts with `-` and is not a negative number. */
export function isFlagToken(t: Token): boolean {
  return !t.quoted && isFlagText(t.value);
}

function isFlagText(v: string): boolean {
  if (v.length < 2 || v.charCodeAt(0) !== 45 /* - */) return false;
  const c1 = v.charCodeAt(1);
  return !(c1 >= 48 && c1 <= 57);
}

// Scratch buffers reused by parseRuleText (single-threaded, not re-entrant),
// so parsing a rule allocates no token objects.
const SV: string[] = [];
const SQ: boolean[] = [];
const isFlagAt = (i: number): boolean => SQ[i] === false && isFlagText(SV[i] as string);
const isBangAt = (i: number): boolean => SQ[i] === false && SV[i] === '!';

// Kinds of the flags iptables itself owns (never a `-m` module's option);
// every other flag is a module or target option.
const K_MODULE_OPT = 0;
const K_BASE = 1;
const K_MATCH = 2;
const K_PROTO = 3;
const K_JUMP = 4;
const K_GOTO = 5;
const K_COUNTERS = 6;
const FLAG_KIND = new Map<string, number>([
  ['-s', K_BASE], ['--source', K_BASE], ['--src', K_BASE],
  ['-d', K_BASE], ['--destination', K_BASE], ['--dst', K_BASE],
  ['-i', K_BASE], ['--in-interface', K_BASE],
  ['-o', K_BASE], ['--out-interface', K_BASE],
  ['-f', K_BASE], ['--fragment', K_BASE],
  ['-4', K_BASE], ['--ipv4', K_BASE], ['-6', K_BASE], ['--ipv6', K_BASE],
  ['-p', K_PROTO], ['--protocol', K_PROTO],
  ['-m', K_MATCH], ['--match', K_MATCH],
  ['-j', K_JUMP], ['--jump', K_JUMP],
  ['-g', K_GOTO], ['--goto', K_GOTO],
  ['-c', K_COUNTERS], ['--set-counters', K_COUNTERS],
]);
const kindOf = (flag: string): number => FLAG_KIND.get(flag) ?? K_MODULE_OPT;
const NO_WARNINGS: readonly string[] = Object.freeze([]);
const PROTO_NAME = /^[a-z][a-z0-9-]*$/;
const DIGITS = /^[0-9]{1,16}$/;

// Options are shared between rules: a dump repeats `-p tcp`, `-m tcp`,
// `-o br-...`, `--dport 80`, `-j DOCKER`... thousands of times, and one frozen
// RuleOption per distinct (flag, value, negation, module) saves two objects
// per repeat. Only options with at most one unquoted value are shared (their
// strings are interned, so the maps below hash each text once). Bounded.
const NO_VALUE = Symbol('no value');
const SHARED = new Map<string, Map<string | symbol, RuleOption[]>>();
let sharedCount = 0;
const SHARED_MAX = 1 << 17;

/**
 * The shared option for (flag, at most one value, negation, module), made
 * (frozen) on first sight. Looked up before any object is made: most options
 * of a dump are repeats, and allocating each only to drop it was a good part
 * of the parse's garbage.
 */
function sharedOptionOf(flag: string, value: string | undefined, negated: boolean, module: string | null): RuleOption {
  const nv = value === undefined ? 0 : 1;
  let byValue = SHARED.get(flag);
  if (byValue === undefined) SHARED.set(flag, (byValue = new Map()));
  const v = value === undefined ? NO_VALUE : value;
  let list = byValue.get(v);
  if (list === undefined) byValue.set(v, (list = []));
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (c.negated === negated && c.module === module && c.values.length === nv) return c;
  }
  if (++sharedCount > SHARED_MAX) {
    SHARED.clear();
    sharedCount = 0;
  }
  const o: RuleOption = { flag, values: Object.freeze(value === undefined ? [] : [value]) as string[], negated, module };
  list.push(Object.freeze(o));
  return o;
}

// Scratch records of the options of the rule being parsed (parseScanned is
// not re-entrant): flag, negation, module, whether it follows the target, its
// kind, whether a value was quoted, and where its values start in SV (they
// are contiguous: values only ever go to the latest option) and how many.
const OF: string[] = [];
const ONEG: boolean[] = [];
const OMOD: Array<string | null> = [];
const OTGT: boolean[] = [];
const OKIND: number[] = [];
const OQ: boolean[] = [];
const OV0: number[] = [];
const ONV: number[] = [];
/** Index in SV of each value kept (values after the target name are not). */
const VIX: number[] = [];

/** The structure of one rule's text, without its table/chain/position. */
export interface RuleBody {
  matches: RuleOption[];
  modules: string[];
  target: string | null;
  goto: boolean;
  targetOptions: RuleOption[];
  comment: string | null;
  /** From `-c PACKETS BYTES` inside the text (`iptables -S -v`), when asked for. */
  counters: Counters | null;
}

export type ParseRuleResult =
  | { ok: true; body: RuleBody; warnings: readonly string[] }
  | { ok: false; error: string };

/**
 * Parse the text of a rule into options. Fails (ok: false) only on text that
 * cannot be split into options at all: an unterminated quote, a value before
 * any option, a misplaced `!`, a `-j` without a target, two targets, `-m`
 * without a name. Stray tokens after the target name are kept out of the
 * structure and reported as warnings (the rule text itself stays verbatim).
 * With countersOption (the `iptables -S -v` form), `-c PACKETS BYTES` is
 * read into `counters` instead of being kept as a match.
 */
export function parseRuleText(text: string, opts: { countersOption?: boolean } = {}): ParseRuleResult {
  const takeCounters = opts.countersOption === true;
  const err = scan(text, SV, SQ);
  if (err !== null) return { ok: false, error: err };
  const r = parseScanned(takeCounters);
  SV.length = 0;
  SQ.length = 0;
  return r;
}

function parseScanned(takeCounters: boolean): ParseRuleResult {
  let warnings: string[] | null = null;
  let target: string | null = null;
  let goto = false;
  let module: string | null = null;
  let inTarget = false;
  let afterTargetName = false;
  /** Index of the current option's record, -1 when none. */
  let cur = -1;
  let pendingNeg = false;
  let no = 0;
  let nvals = 0;
  const modules: string[] = [];
  const n = SV.length;

  for (let i = 0; i < n; i++) {
    const value = SV[i] as string;
    if (isBangAt(i)) {
      if (pendingNeg) return { ok: false, error: "double '!'" };
      if (i + 1 >= n) return { ok: false, error: "'!' at the end of the rule" };
      if (isFlagAt(i + 1)) {
        pendingNeg = true;
        continue;
      }
      // Old style `-s ! 10.0.0.0/8`: negates the option whose value follows.
      if (cur !== -1 && ONV[cur] === 0 && !ONEG[cur]) {
        ONEG[cur] = true;
        continue;
      }
      return { ok: false, error: "'!' not followed by an option or a value" };
    }
    if (isFlagAt(i)) {
      const flag = value;
      const negated = pendingNeg;
      pendingNeg = false;
      const kind = kindOf(flag);
      if (kind === K_JUMP || kind === K_GOTO) {
        if (target !== null) return { ok: false, error: 'a second -j/-g' };
        if (negated) return { ok: false, error: `'!' before ${flag}` };
        if (i + 1 >= n || isFlagAt(i + 1) || isBangAt(i + 1)) {
          return { ok: false, error: `${flag} without a target` };
        }
        target = SV[i + 1] as string;
        goto = kind === K_GOTO;
        inTarget = true;
        afterTargetName = true;
        cur = -1;
        i++;
        continue;
      }
      afterTargetName = false;
      cur = no++;
      OF[cur] = flag;
      ONEG[cur] = negated;
      OMOD[cur] = kind !== K_MODULE_OPT ? null : inTarget ? target : module;
      OTGT[cur] = inTarget;
      OKIND[cur] = kind;
      OQ[cur] = false;
      OV0[cur] = nvals;
      ONV[cur] = 0;
      continue;
    }
    // A value.
    if (afterTargetName) {
      (warnings ??= []).push(`unexpected token after -j ${target ?? ''}: ${cut(value, 60)}`);
      continue;
    }
    if (cur === -1) return { ok: false, error: `value before any option: ${cut(value, 60)}` };
    VIX[nvals++] = i;
    const nv = ++(ONV[cur] as number);
    if (SQ[i] === true) OQ[cur] = true;
    if (nv === 1 && !inTarget) {
      const kind = OKIND[cur];
      if (kind === K_MATCH) {
        module = value;
        modules.push(value);
      } else if (kind === K_PROTO) {
        const p = value.toLowerCase();
        if (!ONEG[cur] && PROTO_NAME.test(p)) module = p;
      }
    }
  }
  if (pendingNeg) return { ok: false, error: "'!' at the end of the rule" };

  // -m needs a name; -c P B is counters, not a match.
  let counters: Counters | null = null;
  let skip = -1;
  for (let k = 0; k < no; k++) {
    if (OTGT[k]) continue;
    const kind = OKIND[k];
    if (kind === K_MATCH && ONV[k] === 0) return { ok: false, error: `${OF[k] as string} without a module name` };
    if (takeCounters && counters === null && kind === K_COUNTERS && ONV[k] === 2) {
      const p = SV[VIX[OV0[k] as number] as number] as string;
      const b = SV[VIX[(OV0[k] as number) + 1] as number] as string;
      if (DIGITS.test(p) && DIGITS.test(b)) {
        counters = { packets: Number(p), bytes: Number(b) };
        skip = k;
      }
    }
  }

  // The options, shared between rules where they carry at most one unquoted value.
  const matches: RuleOption[] = [];
  const targetOptions: RuleOption[] = [];
  let comment: string | null = null;
  for (let k = 0; k < no; k++) {
    if (k === skip) continue;
    const nv = ONV[k] as number;
    const v0 = OV0[k] as number;
    let o: RuleOption;
    if (nv <= 1 && !OQ[k]) {
      o = sharedOptionOf(OF[k] as string, nv === 0 ? undefined : (SV[VIX[v0] as number] as string), ONEG[k] as boolean, OMOD[k] as string | null);
    } else {
      const values: string[] = [];
      for (let j = 0; j < nv; j++) values.push(SV[VIX[v0 + j] as number] as string);
      o = { flag: OF[k] as string, values, negated: ONEG[k] as boolean, module: OMOD[k] as string | null };
    }
    if (OTGT[k]) targetOptions.push(o);
    else {
      matches.push(o);
      if (comment === null && o.flag === '--comment') comment = o.values.join(' ');
    }
  }

  return {
    ok: true,
    body: { matches, modules, target, goto, targetOptions, comment, counters },
    warnings: warnings ?? NO_WARNINGS,
  };
}

/** Cut text to `max` characters for messages. */
export function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
