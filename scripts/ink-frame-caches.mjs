// esbuild plugin used by scripts/bundle.mjs (and by test/unit/ink-frame-caches.test.ts,
// which checks frames are the same with and without it).
import { readFile } from 'node:fs/promises';

// Ink 6 rebuilds its whole frame from scratch on every render: the styled
// characters and widths of each line are cached per frame only (Output's
// OutputCaches), and render-node-to-output measures every text with an
// uncached widestLine. On a 160x48 screen that was 40-80 ms a frame, nearly
// all of it for lines identical to the last frame's. The bundle keeps those
// caches across frames (bounded) and memoises widestLine: both are pure
// functions of the line's text, so frames are unchanged. The build fails if
// Ink's code no longer has the shape patched here.
const PATCHES = [
  {
    file: /node_modules[\\/]ink[\\/]build[\\/]output\.js$/,
    find: '    caches = new OutputCaches();',
    replace: '    caches = sharedOutputCaches();',
    append: `
// portcullis bundle: one OutputCaches for every frame, renewed when large.
let portcullisCaches = new OutputCaches();
function sharedOutputCaches() {
    if (portcullisCaches.styledChars.size > 2000 || portcullisCaches.widths.size > 20000 || portcullisCaches.blockWidths.size > 2000)
        portcullisCaches = new OutputCaches();
    return portcullisCaches;
}
`,
  },
  {
    file: /node_modules[\\/]ink[\\/]build[\\/]render-node-to-output\.js$/,
    find: "import widestLine from 'widest-line';",
    replace: `import widestLineUncached from 'widest-line';
// portcullis bundle: widestLine memoised by text (bounded).
let portcullisWidths = new Map();
const widestLine = (text) => {
    let w = portcullisWidths.get(text);
    if (w === undefined) {
        if (portcullisWidths.size > 5000) portcullisWidths = new Map();
        w = widestLineUncached(text);
        portcullisWidths.set(text, w);
    }
    return w;
};`,
  },
];

export const inkFrameCaches = {
  name: 'ink-frame-caches',
  setup(b) {
    for (const p of PATCHES) {
      b.onLoad({ filter: p.file }, async (args) => {
        const src = await readFile(args.path, 'utf8');
        if (!src.includes(p.find)) throw new Error(`ink-frame-caches: ${args.path} no longer contains ${JSON.stringify(p.find)}; Ink changed, revisit scripts/bundle.mjs`);
        return { contents: src.replace(p.find, p.replace) + (p.append ?? ''), loader: 'js' };
      });
    }
  },
};


