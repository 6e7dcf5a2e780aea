// Renders the real App on a fixture at 160x48, in colour, presses a fixed
// series of keys and prints the screen after each as JSON. Bundled and run
// by test/unit/ink-frame-caches.test.ts with and without the bundle's Ink
// frame caches: the screens must be the same.
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { App } from '../../src/ui/app.js';
import { sampleFromCapture } from '../../src/ui/data/sample.js';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { DEFAULT_THEME } from '../../src/ui/theme/load.js';

class Out extends EventEmitter {
  columns = 160;
  rows = 48;
  isTTY = true;
  /** Everything written since the last take(): a frame, with Ink's cursor and erase codes. */
  buf = '';
  write(s: string) {
    this.buf += s;
    return true;
  }
  take(): string {
    const s = this.buf;
    this.buf = '';
    return s;
  }
}
class In extends EventEmitter {
  isTTY = true;
  q: string[] = [];
  setRawMode() {}
  setEncoding() {}
  ref() {}
  unref() {}
  resume() {}
  pause() {}
  read() {
    return this.q.shift() ?? null;
  }
}

const sample = sampleFromCapture(await readCaptureDir(process.argv[2]!));
const out = new Out();
const inp = new In();
const inst = render(<App load={async () => sample} intervalMs={3_600_000} readOnly={true} theme={DEFAULT_THEME} themeFile={null} noColor={false} />, {
  stdout: out as never,
  stdin: inp as never,
  stderr: out as never,
  patchConsole: false,
  exitOnCtrlC: false,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DOWN = '\u001b[B';
const UP = '\u001b[A';
const keys = [DOWN, DOWN, DOWN, UP, '\r', '\u001b', '3', DOWN, DOWN, DOWN, DOWN, '4', DOWN, '5', '6', '1', '/', 'w', 'e', 'b', '\r', DOWN, '\u001b', '?', '?', DOWN];
const screens: string[] = [];
await sleep(1500);
screens.push(out.take());
for (const k of keys) {
  inp.q.push(k);
  inp.emit('readable');
  await sleep(120);
  screens.push(out.take());
}
inst.unmount();
process.stdout.write(`\n<<<SCREENS>>>${JSON.stringify(screens)}<<<END>>>\n`);
process.exit(0);
