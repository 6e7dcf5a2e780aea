// Pure presentation helpers: formatting, the filter language, sorting
// inside groups, and the "looks wrong" marker on a port.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from 'ink-testing-library';
import { diagnosePort } from '../../src/ui/present/diagnose.js';
import { filterRows, parseFilter } from '../../src/ui/present/filter.js';
import { bytes, compact, direction, duration, hostPort } from '../../src/ui/present/format.js';
import type { Row } from '../../src/ui/present/rows.js';
import { sortRows } from '../../src/ui/present/sort.js';
import { fixtureSample, portLines, renderApp, sequenceLoader, waitFor, withOperatorDrop } from './ui-harness.js';

after(() => cleanup());

describe('format', () => {
  it('keeps numbers to a few characters', () => {
    assert.deepEqual([0, 7, 42, 999, 1234, 12_345, 340_000, 1_500_000].map(compact), ['0', '7', '42', '999', '1.2k', '12k', '340k', '1.5M']);
    assert.equal(compact(2.5), '2.5');
    assert.deepEqual([0, 512, 1200, 35 * 1024 * 1024].map((n) => bytes(n)), ['0B', '512B', '1.2K', '35M']);
    assert.equal(bytes(null), '-');
    assert.deepEqual([5, 125, 3 * 3600 + 600, 2 * 86400 + 4 * 3600].map(duration), ['5s', '2m05s', '3h10m', '2d4h']);
    assert.equal(hostPort('::', 80), '[::]:80');
    assert.equal(hostPort('10.0.0.1', null), '10.0.0.1');
  });
  it('direction ignores changes too small to see', () => {
    assert.equal(direction(1.01, 1.02), null);
    assert.equal(direction(1, 2), 'up');
    assert.equal(direction(2, 0), 'down');
    assert.equal(direction(null, 2), null);
  });
});

const row = (key: string, search: string, extra: Partial<Row> = {}): Row => ({ key, selectable: true, search, ...extra });

describe('filter', () => {
  const rows: Row[] = [
    row('g1', 'appnet', { group: true, selectable: false }),
    row('a', 'app1 8081', { fields: { port: [8081], addr: ['172.18.0.2'], state: 'ESTABLISHED', proto: 'tcp' } }),
    row('b', 'app2 8082', { fields: { port: [8082], addr: ['172.18.0.3'], state: 'TIME_WAIT', proto: 'tcp' } }),
    row('g2', 'bridge', { group: true, selectable: false }),
    row('c', 'web 8080', { fields: { port: [8080], addr: ['172.17.0.2'], state: 'TIME_WAIT', proto: 'udp' } }),
  ];
  const keys = (t: string) => filterRows(rows, t).map((r) => r.key);
  it('keeps matching items with their group header; all words must match', () => {
    assert.deepEqual(keys('app1'), ['g1', 'a']);
    assert.deepEqual(keys('APP 8082'), ['g1', 'b']);
    assert.deepEqual(keys(''), ['g1', 'a', 'b', 'g2', 'c']);
    assert.deepEqual(keys('nothing'), []);
  });
  it('a matching group header keeps all its items', () => {
    assert.deepEqual(keys('appnet'), ['g1', 'a', 'b']);
  });
  it('addr:, port:, state:, proto: match fields exactly (addr: by prefix)', () => {
    assert.deepEqual(keys('port:8080'), ['g2', 'c']);
    assert.deepEqual(keys('state:time_wait'), ['g1', 'b', 'g2', 'c']);
    assert.deepEqual(keys('addr:172.18.'), ['g1', 'a', 'b']);
    assert.deepEqual(keys('proto:udp'), ['g2', 'c']);
    assert.deepEqual(parseFilter('port:x'), [{ kind: 'text', text: 'port:x' }]);
  });
});

describe('sort', () => {
  const rows: Row[] = [
    row('g1', '', { group: true, selectable: false }),
    row('a', '', { sort: { n: 3 } }),
    row('b', '', { sort: { n: 1 } }),
    row('c', '', { sort: { n: 2 } }),
    row('g2', '', { group: true, selectable: false }),
    row('d', '', { sort: { n: 0 } }),
    row('e', ''),
  ];
  it('sorts inside groups, stable, rows without a value last; reverse flips', () => {
    assert.deepEqual(sortRows(rows, 'n', false).map((r) => r.key), ['g1', 'b', 'c', 'a', 'g2', 'd', 'e']);
    assert.deepEqual(sortRows(rows, 'n', true).map((r) => r.key), ['g1', 'a', 'c', 'b', 'g2', 'e', 'd']);
    assert.deepEqual(sortRows(rows, null, true).map((r) => r.key), ['g1', 'c', 'b', 'a', 'g2', 'e', 'd']);
    assert.deepEqual(sortRows(rows, null, false).map((r) => r.key), rows.map((r) => r.key));
  });
});

describe('diagnosis marker', () => {
  it('an operator DROP on the path is an error; a proxy-only binding a warning; a clean port ok', async () => {
    const s = await withOperatorDrop();
    const web = s.model.published.find((p) => p.hostPort === 8080 && p.family === 4);
    assert.ok(web);
    const d = diagnosePort(web, s.model);
    assert.equal(d.level, 'error');
    assert.match(d.reasons[0] ?? '', /DROP by operator in DOCKER-USER/);
    const plain = await fixtureSample();
    const v4 = plain.model.published.find((p) => p.hostPort === 8080 && p.family === 4);
    const v6 = plain.model.published.find((p) => p.hostPort === 8080 && p.family === 6);
    assert.ok(v4 && v6);
    assert.equal(diagnosePort(v4, plain.model).level, 'ok');
    assert.equal(diagnosePort(v6, plain.model).level, 'warn');
    assert.equal(diagnosePort({ ...v4, dnat: null, proxy: false }, plain.model).level, 'error');
    assert.equal(diagnosePort(v4, { warnings: ['web: Docker publishes 0.0.0.0:8080/tcp but no DNAT rule or docker-proxy serves it'] }).level, 'warn');
  });

  it('shows as X on the overview row and in the port detail', async () => {
    const inst = renderApp(sequenceLoader([await withOperatorDrop()]), 80, 24);
    const f = await waitFor(inst, (x) => x.includes('web'), 'overview');
    const web = portLines(f).find((l) => /web\s+0\.0\.0\.0:8080/.test(l)) ?? '';
    assert.match(web, /^ X/);
    inst.stdin.write('/web\r');
    await waitFor(inst, (x) => x.includes('filter: web'), 'filtered');
    inst.stdin.write('\r');
    const d = await waitFor(inst, (x) => x.includes('Forwarded route') && x.includes('Findings ('), 'detail with findings');
    assert.match(d, /DROP by operator in DOCKER-USER/);
    assert.match(d, /^ X\s*user\s+DOCKER-USER\s+-s 203\.0\.113\.0\/24/m);
    inst.unmount();
  });
});
