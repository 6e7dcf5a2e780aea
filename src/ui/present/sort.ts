// Sorting inside groups: the grouping (network, chain, port) holds and only
// the items of each group are reordered. Stable, so equal values keep the
// model's order and nothing jumps between refreshes.
import type { Row } from './rows.js';

function compareValues(a: number | string | undefined, b: number | string | undefined): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function sortRows(rows: readonly Row[], by: string | null, reverse: boolean): Row[] {
  if (!by && !reverse) return [...rows];
  const out: Row[] = [];
  let i = 0;
  while (i < rows.length) {
    const head = rows[i]?.group ? rows[i] : undefined;
    const start = head ? i + 1 : i;
    let end = start;
    while (end < rows.length && !rows[end]?.group) end++;
    const items = rows.slice(start, end).map((r, idx) => ({ r, idx }));
    items.sort((x, y) => {
      const c = by ? compareValues(x.r.sort?.[by], y.r.sort?.[by]) : 0;
      const primary = c !== 0 ? c : x.idx - y.idx;
      return reverse ? -primary : primary;
    });
    if (head) out.push(head);
    out.push(...items.map((x) => x.r));
    i = end;
  }
  return out;
}
