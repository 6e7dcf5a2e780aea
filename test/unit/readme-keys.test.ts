// The README documents every key, and documents exactly what the keymap says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { keysMarkdown } from '../../src/ui/docs/keys-markdown.js';
import { KEYMAP } from '../../src/ui/keymap.js';

test('README key table equals the one generated from the keymap (run `npm run docs` after changing keys)', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const m = /<!-- keys:start -->\n([\s\S]*?)\n<!-- keys:end -->/.exec(readme);
  assert.ok(m, 'README has the key table markers');
  assert.equal(m[1], keysMarkdown());
  for (const c of KEYMAP) assert.ok(m[1]!.includes(c.description.replace(/\|/g, '\\|')), c.id);
});
