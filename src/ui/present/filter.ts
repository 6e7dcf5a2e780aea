// The `/` filter. Words are separated by spaces and must all match (AND).
// A plain word matches anywhere in the row's text (case-insensitive);
// `addr:`, `port:`, `state:` and `proto:` match one field exactly (addr:
// also by prefix, so addr:198.51.100. works).
import type { Row } from './rows.js';

export type FilterWord =
  | { kind: 'text'; text: string }
  | { kind: 'addr'; text: string }
  | { kind: 'port'; port: number }
  | { kind: 'state'; text: string }
  | { kind: 'proto'; text: string };

export function parseFilter(text: string): FilterWord[] {
  const out: FilterWord[] = [];
  for (const raw of text.trim().split(/\s+/)) {
    if (!raw) continue;
    const w = raw.toLowerCase();
    const m = /^(addr|port|state|proto):(.+)$/.exec(w);
    if (m && m[1] && m[2]) {
      const v = m[2];
      if (m[1] === 'port' && /^\d+$/.test(v)) out.push({ kind: 'port', port: Number(v) });
      else if (m[1] === 'addr') out.push({ kind: 'addr', text: v });
      else if (m[1] === 'state') out.push({ kind: 'state', text: v });
      else if (m[1] === 'proto') out.push({ kind: 'proto', text: v });
      else out.push({ kind: 'text', text: w });
    } else out.push({ kind: 'text', text: w });
  }
  return out;
}

export function wordMatches(row: Row, w: FilterWord): boolean {
  const f = row.fields;
  switch (w.kind) {
    case 'text': return row.search.includes(w.text);
    case 'addr': return !!f?.addr?.some((a) => a.toLowerCase().startsWith(w.text));
    case 'port': return !!f?.port?.includes(w.port);
    case 'state': return (f?.state ?? '').toLowerCase() === w.text;
    case 'proto': return (f?.proto ?? '').toLowerCase() === w.text;
  }
}

export function rowMatches(row: Row, words: readonly FilterWord[]): boolean {
  return words.every((w) => wordMatches(row, w));
}

/**
 * Filter a grouped list: an item stays when it matches; a group header
 * stays when it matches (then with all its items) or when one of its items
 * stays. Rows before the first header form a group of their own.
 */
export function filterRows(rows: readonly Row[], text: string): Row[] {
  const words = parseFilter(text);
  if (words.length === 0) return [...rows];
  const out: Row[] = [];
  let i = 0;
  while (i < rows.length) {
    const head = rows[i]?.group ? rows[i] : undefined;
    const start = head ? i + 1 : i;
    let end = start;
    while (end < rows.length && !rows[end]?.group) end++;
    const items = rows.slice(start, end);
    const headMatches = head ? rowMatches(head, words) : false;
    const kept = headMatches ? items : items.filter((r) => rowMatches(r, words));
    if (head && (headMatches || kept.length > 0)) out.push(head);
    out.push(...kept);
    i = end;
  }
  return out;
}
