// Table column layout done in code (src/ui/present/columns.ts): widths fill
// the row exactly, fixed columns keep their width, growing ones share the
// rest; cells are cut with "…" and padded to their width.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import stringWidth from 'string-width';
import { columnWidths, fit, GUTTER } from '../../src/ui/present/columns.js';
import type { Column } from '../../src/ui/present/rows.js';

const col = (id: string, width: number, grow?: number): Column => ({ id, title: id, width, ...(grow ? { grow } : {}) });

describe('columnWidths', () => {
  it('fixed columns keep their width; growing ones share the spare cells by their grow', () => {
    const cols = [col('a', 10), col('b', 5, 1), col('c', 5, 3)];
    const w = columnWidths(cols, 2 + 10 + 5 + 5 + 2 + 40);
    assert.deepEqual(w, [10, 15, 35]);
  });
  it('the row (gutter, columns, one space between) fills the width exactly when something grows', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ w: fc.integer({ min: 1, max: 30 }), g: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 14 }), fc.integer({ min: 20, max: 300 }), (spec, width) => {
        const cols = spec.map((s, i) => col(`c${i}`, s.w, s.g));
        const widths = columnWidths(cols, width);
        const used = GUTTER + widths.reduce((a, b) => a + b, 0) + (cols.length - 1);
        const fixed = cols.every((c) => !c.grow);
        const basis = GUTTER + cols.reduce((a, c) => a + c.width, 0) + (cols.length - 1);
        cols.forEach((c, i) => {
          if (!c.grow) assert.equal(widths[i], c.width, 'a fixed column keeps its width');
          assert.ok(widths[i]! >= 0);
        });
        if (!fixed && basis <= width) assert.equal(used, width, `fills ${width}: ${widths.join(',')}`);
        if (!fixed && basis > width) assert.ok(used <= Math.max(width, basis - cols.filter((c) => c.grow).reduce((a, c) => a + c.width, 0)), 'shrinks the growing columns');
      }),
    );
  });
});

describe('fit', () => {
  it('pads to the width, left or right', () => {
    assert.equal(fit('ab', 5), 'ab   ');
    assert.equal(fit('ab', 5, 'right'), '   ab');
  });
  it('cuts long text with … to exactly the width, wide characters included', () => {
    assert.equal(fit('0.0.0.0:5353/udp (dns) is open', 10), '0.0.0.0:5…');
    for (const t of ['→ 172.17.0.2:80', 'контейнер-имя', '日本語のコンテナ名', 'a'.repeat(50)]) {
      for (const w of [1, 3, 7, 12]) assert.equal(stringWidth(fit(t, w)), w, `${t} @ ${w}`);
    }
    assert.equal(fit('anything', 0), '');
  });
});
