// Column layout for a table row done in plain code, not by Ink's flexbox: a
// row is then one Text line (one layout node, no clipping boxes) instead of
// ~45 boxes with overflow clipping, which made every frame cost ~30 ms at
// 160x48. Same rules the flex layout had: a 2-cell gutter, one space between
// columns, fixed columns keep their width, growing ones share the spare width
// (and give it back first when space is short); text that does not fit ends
// in "…", as Ink's truncate-end did.
import stringWidth from 'string-width';
import type { Column } from './rows.js';

export const GUTTER = 2;

/** Width of each column for a row `width` cells wide. */
export function columnWidths(cols: readonly Column[], width: number): number[] {
  const n = cols.length;
  if (n === 0) return [];
  const avail = Math.max(0, width - GUTTER - (n - 1));
  const basis = cols.map((c) => Math.max(0, c.width));
  const total = basis.reduce((a, b) => a + b, 0);
  const out = [...basis];
  const growIdx = cols.map((c, i) => ((c.grow ?? 0) > 0 ? i : -1)).filter((i) => i >= 0);
  if (growIdx.length === 0) return out;
  if (total <= avail) {
    const free = avail - total;
    const sumGrow = growIdx.reduce((a, i) => a + (cols[i]!.grow ?? 0), 0);
    let given = 0;
    for (const i of growIdx) {
      const share = Math.floor((free * (cols[i]!.grow ?? 0)) / sumGrow);
      out[i] = basis[i]! + share;
      given += share;
    }
    // rounding leftovers go to the last growing column, so the row fills the width
    out[growIdx[growIdx.length - 1]!]! += free - given;
    return out;
  }
  // Too narrow: growing columns shrink in proportion to their basis; fixed ones do not.
  const over = total - avail;
  const growBasis = growIdx.reduce((a, i) => a + basis[i]!, 0);
  if (growBasis === 0) return out;
  for (const i of growIdx) {
    const cut = Math.min(basis[i]!, Math.ceil((over * basis[i]!) / growBasis));
    out[i] = basis[i]! - cut;
  }
  // (ceil may cut a cell more than needed: the row is then a cell shorter.)
  return out;
}

/** `text` cut to `w` cells with "…" when longer, padded to exactly `w` cells. */
export function fit(text: string, w: number, align: 'left' | 'right' = 'left'): string {
  if (w <= 0) return '';
  let t = text;
  let tw = stringWidth(t);
  if (tw > w) {
    // Character by character, so a wide character (CJK: two cells) that
    // would straddle the edge is left out rather than overflowing it.
    let out = '';
    let used = 0;
    for (const ch of t) {
      const cw = stringWidth(ch);
      if (used + cw > w - 1) break;
      out += ch;
      used += cw;
    }
    t = `${out}…`;
    tw = used + 1;
  }
  const pad = ' '.repeat(Math.max(0, w - tw));
  return align === 'right' ? pad + t : t + pad;
}
