// Bundles the CLI into one file, dist/cli.js (over the one tsc wrote), so the
// TUI starts without Node resolving and loading hundreds of small modules:
// loading Ink from node_modules took ~0.8 s of a ~2 s first frame on these
// machines, the bundle ~0.2 s. tsc's other outputs stay in dist/ (the rollback
// watchdog runs as its own process from dist/apply/watchdog.js, the spawner
// from dist/host/spawner.js; status's conntrack worker is bundled apart).
import { build } from 'esbuild';
import { inkFrameCaches } from './ink-frame-caches.mjs';

await build({
  entryPoints: ['src/cli.tsx'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  jsx: 'automatic',
  sourcemap: true,
  // (No define for NODE_ENV: src/cli.tsx sets it at run time before the TUI
  // loads, and React picks its production build then.)
  // Ink loads its devtools only when DEV=true, from a package we do not ship.
  external: ['./devtools.js'],
  // CommonJS dependencies inside an ES module bundle need a require().
  banner: { js: "import { createRequire as __portcullisRequire } from 'node:module';\nconst require = __portcullisRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [inkFrameCaches],
});

// status's conntrack worker (src/host/sources/conntrack-worker.ts) is a
// separate thread with its own module graph: unbundled, it spent 0.2-0.35 s
// loading modules (execa most of it) before starting `conntrack -L`.
await build({
  entryPoints: ['src/host/sources/conntrack-worker.ts'],
  outfile: 'dist/host/sources/conntrack-worker.js',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  banner: { js: "import { createRequire as __portcullisRequire } from 'node:module';\nconst require = __portcullisRequire(import.meta.url);" },
  logLevel: 'warning',
});
