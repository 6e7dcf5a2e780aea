// The bundle patches Ink to keep its per-line caches across frames
// (scripts/ink-frame-caches.mjs). That must not change a single character on
// screen: the App is bundled with and without the patch, driven through the
// same keys on the lab fixture, and the screens compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
// @ts-expect-error plain .mjs build script without types
import { inkFrameCaches } from '../../scripts/ink-frame-caches.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/lab/main');

async function screens(dir: string, patched: boolean): Promise<string[]> {
  const outfile = path.join(dir, patched ? 'patched.mjs' : 'plain.mjs');
  await build({
    entryPoints: [path.join(ROOT, 'test/helpers/frames-entry.tsx')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    jsx: 'automatic',
    external: ['./devtools.js'],
    banner: { js: "import { createRequire as __r } from 'node:module';\nconst require = __r(import.meta.url);" },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
    plugins: patched ? [inkFrameCaches] : [],
  });
  // No CI variable at all: Ink draws nothing until exit when it is set (even empty).
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '3' };
  delete env['CI'];
  const r = spawnSync(process.execPath, [outfile, FIXTURE], { encoding: 'utf8', timeout: 60_000, env, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  // (Ink writes its show-cursor code to the real stdout on exit: the screens are delimited.)
  const m = /<<<SCREENS>>>(.*)<<<END>>>/s.exec(r.stdout);
  assert.ok(m, `screens printed in full (${r.stdout.length} characters read)`);
  return JSON.parse(m[1]!) as string[];
}

test('frames are the same with and without the bundle\'s Ink frame caches', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pc-frames-'));
  try {
    const plain = await screens(dir, false);
    const patched = await screens(dir, true);
    assert.ok(plain.length > 20, 'a screen per key');
    assert.ok(plain.every((s) => s.length > 0), 'every key of the series drew a frame');
    // The series moves the cursor, opens a port, switches views, filters and
    // opens help: the screens differ from each other, so a stuck cache shows.
    assert.ok(new Set(plain).size > 10, `distinct screens: ${new Set(plain).size}`);
    assert.ok(plain.some((s) => /\u001b\[/.test(s)), 'screens carry colour codes');
    assert.equal(patched.length, plain.length);
    for (let i = 0; i < plain.length; i++) assert.equal(patched[i], plain[i], `screen ${i}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
