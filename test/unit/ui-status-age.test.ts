// The status line's refresh age: constant while reads come in time (no
// repaint a second for a label), counting once the data is stale.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refreshAgeLabel } from '../../src/ui/present/status.js';

describe('refresh age label', () => {
  it('is null before the first good read', () => {
    assert.equal(refreshAgeLabel(null, 5000, 1000), null);
  });
  it('does not change between reads that come in time', () => {
    const labels = new Set([0, 400, 999, 1000, 1500, 2999].map((age) => refreshAgeLabel(10_000, 10_000 + age, 1000)));
    assert.deepEqual([...labels], ['↻ every 1s']);
    assert.equal(refreshAgeLabel(0, 4_900, 2000), '↻ every 2s');
  });
  it('counts seconds once the last read is older than two intervals and a second', () => {
    assert.equal(refreshAgeLabel(10_000, 13_000, 1000), '↻ 3s ago');
    assert.equal(refreshAgeLabel(10_000, 17_400, 1000), '↻ 7s ago');
    assert.equal(refreshAgeLabel(0, 125_000, 2000), '↻ 2m05s ago');
  });
});
