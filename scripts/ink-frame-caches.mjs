// esbuild plugin used by scripts/bundle.mjs (and by test/unit/ink-frame-caches.test.ts,
// which checks frames are the same with and without it).
import { readFile } from 'node:fs/promises';

// Ink 6 rebuilds its whole frame from scratch on every render: the styled
// characters and widths of each line are cached per frame only (Output's
// OutputCaches), and render-node-to-output measures every text with an
// uncached widestLine. On a 160x48 screen that was 40-80 ms a frame, nearly
// all of it for lines identical to the last frame's. The bundle keeps those
// caches across frames (bounded), memoises widestLine, and reuses a row's
// text when its cells are the last frame's very objects: all pure functions
// of their inputs, so frames are unchanged. The build fails if
// Ink's code no longer has the shape patched here.
const PATCHES = [
  {
    file: /node_modules[\\/]ink[\\/]build[\\/]output\.js$/,
    edits: [
      { find: '    caches = new OutputCaches();', replace: '    caches = sharedOutputCaches();' },
      // Every blank cell of a new frame is one shared object (never mutated:
      // cells are replaced, not changed), so an unchanged row is made of the
      // very same objects as in the last frame...
      {
        find: `                row.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });`,
        replace: '                row.push(portcullisBlank);',
      },
      // ... and its text is the last frame's: styledCharsToString of 48 rows
      // of 160 characters was ~9 ms a frame.
      {
        find: `            .map(line => {
            // See https://github.com/vadimdemedes/ink/pull/564#issuecomment-1637022742
            const lineWithoutEmptyItems = line.filter(item => item !== undefined);
            return styledCharsToString(lineWithoutEmptyItems).trimEnd();
        })`,
        replace: `            .map((line, y) => {
            // See https://github.com/vadimdemedes/ink/pull/564#issuecomment-1637022742
            const lineWithoutEmptyItems = line.filter(item => item !== undefined);
            return portcullisRowText(y, lineWithoutEmptyItems);
        })`,
      },
    ],
    append: `
// portcullis bundle: one OutputCaches for every frame, renewed when large.
let portcullisCaches = new OutputCaches();
function sharedOutputCaches() {
    if (portcullisCaches.styledChars.size > 2000 || portcullisCaches.widths.size > 20000 || portcullisCaches.blockWidths.size > 2000)
        portcullisCaches = new OutputCaches();
    return portcullisCaches;
}
const portcullisBlank = { type: 'char', value: ' ', fullWidth: false, styles: [] };
// The text of each row of the last frame with the cells it was made from.
const portcullisRows = [];
function portcullisRowText(y, items) {
    const last = portcullisRows[y];
    if (last !== undefined && last.items.length === items.length) {
        let same = true;
        for (let i = 0; same && i < items.length; i++) same = last.items[i] === items[i];
        if (same) return last.text;
    }
    const text = styledCharsToString(items).trimEnd();
    portcullisRows[y] = { items, text };
    return text;
}
`,
  },
  {
    file: /node_modules[\\/]ink[\\/]build[\\/]render-node-to-output\.js$/,
    edits: [
      {
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
    ],
  },
];

export const inkFrameCaches = {
  name: 'ink-frame-caches',
  setup(b) {
    for (const p of PATCHES) {
      b.onLoad({ filter: p.file }, async (args) => {
        let src = await readFile(args.path, 'utf8');
        for (const e of p.edits) {
          if (!src.includes(e.find)) throw new Error(`ink-frame-caches: ${args.path} no longer contains ${JSON.stringify(e.find.slice(0, 80))}; Ink changed, revisit scripts/ink-frame-caches.mjs`);
          src = src.replace(e.find, e.replace);
        }
        return { contents: src + (p.append ?? ''), loader: 'js' };
      });
    }
  },
};


