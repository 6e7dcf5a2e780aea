#!/usr/bin/env node
// Enforces the "pure core" house rule: nothing under src/core may import
// Ink, React, execa, chokidar or any Node I/O module. The core takes text and
// objects and returns objects, so every function there is testable with a
// fixture and no root. Exits 1 listing every offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FORBIDDEN = [
  /^ink(\/|$)/, /^react(\/|$)/, /^execa$/, /^chokidar$/, /^@alcalzone\//,
  /^(node:)?(fs|fs\/promises|net|http|https|child_process|dgram|os|process|worker_threads)$/,
];
const root = new URL('../src/core/', import.meta.url).pathname;
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/g;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) yield p;
  }
}

const bad = [];
let files = 0;
for (const file of walk(root)) {
  files++;
  const src = readFileSync(file, 'utf8');
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec && FORBIDDEN.some((re) => re.test(spec))) bad.push(`${file}: imports ${spec}`);
  }
}
if (bad.length) {
  console.error('src/core must stay pure (no UI, process or I/O imports):\n' + bad.join('\n'));
  process.exit(1);
}
console.log(`core purity: ${files} files checked, no forbidden imports`);
