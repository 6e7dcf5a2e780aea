// Helpers shared by the JSON parsers (ip -j, docker inspect) and the line
// parsers: reading a JSON array with one issue on broken input, lenient zod
// validation that drops a field of the wrong type (reporting it) instead of
// the whole object, and cutting offending text for a ParseIssue.
// Pure: text in, objects out.

import { z } from 'zod';
import type { ParseIssue } from '../types.js';


/** Longest `text` kept in a ParseIssue. */
export const ISSUE_TEXT_MAX = 200;

/**
 * Cut text for a ParseIssue: at most ISSUE_TEXT_MAX characters (with an
 * ellipsis when cut) and control characters (NUL, escape sequences, ...)
 * replaced by U+FFFD so junk input cannot upset a terminal.
 */
export function cutText(text: string): string {
  const cut = text.length > ISSUE_TEXT_MAX ? text.slice(0, ISSUE_TEXT_MAX) + '…' : text;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\uFFFD');
}

/** JSON text of a value, cut for an issue. Never throws. */
export function cutJson(value: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch {
    s = undefined;
  }
  return cutText(s ?? String(value));
}

/**
 * Parse text that must hold a JSON array. Broken JSON, empty input or a
 * non-array value give one issue (line 0) and null.
 */
export function parseJsonArray(
  text: string,
  source: string,
  what: string,
): { items: unknown[] | null; issue: ParseIssue | null } {
  if (text.trim() === '') {
    return { items: null, issue: { source, line: 0, text: '', message: `empty input: expected a JSON array of ${what}` } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      items: null,
      issue: { source, line: 0, text: cutText(text), message: `invalid JSON (truncated or corrupt?): ${msg}` },
    };
  }
  if (!Array.isArray(value)) {
    const got = value === null ? 'null' : typeof value;
    return {
      items: null,
      issue: { source, line: 0, text: cutJson(value), message: `expected a JSON array of ${what}, got ${got}` },
    };
  }
  return { items: value, issue: null };
}

/** A field that failed validation and was dropped. */
export interface FieldProblem {
  /** Dotted path inside the object, e.g. `NetworkSettings.Ports["80/tcp"][0].HostPort`. */
  path: string;
  message: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      const s = String(p);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? (out ? '.' : '') + s : `[${JSON.stringify(s)}]`;
    }
  }
  return out || '(root)';
}

const DROPPED = Symbol('dropped');

/**
 * Validate `input` with `schema`, leniently: every value that fails is
 * removed from the input (an array element is removed from its array; a
 * missing required key removes the object that needed it) and reported as a
 * FieldProblem, then validation runs again. So a field of the wrong type
 * becomes "absent" instead of costing the whole object. The schema should
 * make fields optional (`.nullish()`) for this to converge. `data` is null
 * only when the value as a whole is unusable (e.g. not an object).
 *
 * Mutates `input` (callers pass freshly parsed JSON they own).
 */
export function lenientParse<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { data: z.output<S> | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  for (let round = 0; round < 8; round++) {
    const r = schema.safeParse(input);
    if (r.success) return { data: r.data, problems };
    const touchedArrays = new Set<unknown[]>();
    let progressed = false;
    for (const issue of r.error.issues) {
      let path = issue.path;
      const at = formatPath(path);
      // A required field of the wrong type is deleted in one round and
      // reported missing in the next: report it once.
      if (!problems.some((p) => p.path === at)) problems.push({ path: at, message: issue.message });
      if (path.length === 0) return { data: null, problems };
      // A required key that is missing: drop the object that lacks it.
      if (valueAt(input, path) === undefined && path.length > 1) path = path.slice(0, -1);
      if (path.length === 0) return { data: null, problems };
      if (dropAt(input, path, touchedArrays)) progressed = true;
    }
    for (const arr of touchedArrays) {
      for (let i = arr.length - 1; i >= 0; i--) if (arr[i] === DROPPED) arr.splice(i, 1);
    }
    if (!progressed) return { data: null, problems };
  }
  return { data: null, problems };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function dropAt(root: unknown, path: readonly PropertyKey[], touchedArrays: Set<unknown[]>): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (parent === null || typeof parent !== 'object' || key === undefined) return false;
  if (Array.isArray(parent)) {
    if (typeof key !== 'number' || key >= parent.length || parent[key] === DROPPED) return false;
    parent[key] = DROPPED;
    touchedArrays.add(parent);
    return true;
  }
  const obj = parent as Record<PropertyKey, unknown>;
  if (!(key in obj)) return false;
  delete obj[key];
  return true;
}

/** Label for an object in issue messages: its name when it has one, else its position. */
export function describeItem(item: unknown, index: number, keys: readonly string[], noun: string): string {
  if (item !== null && typeof item === 'object') {
    for (const k of keys) {
      const v = (item as Record<string, unknown>)[k];
      if (typeof v === 'string' && v !== '') return `${noun} ${JSON.stringify(v)}`;
    }
  }
  return `${noun} #${index + 1}`;
}

/** True for a JSON object with no keys (`ip -j -4 addr` prints `{}` for links it filtered out). */
export function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

