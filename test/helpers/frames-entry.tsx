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
  lastWrite = 0;
  write(s: string) {
    this.buf += s;
    this.lastWrite = performance.now();
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
const keys = [DOWN, DOWN, DOWN, UP, '\r', '\u001b', '3', DOWN, DOWN, DOWN, DOWN, '4', DOWN, '5', '6', '1', '/', 'w', 'e', 'b', '\r', '\u001b', '?', '?', DOWN];
const screens: string[] = [];
/**
 * Wait until the key's frame is out and the screen has been quiet for a
 * while, so each screen holds the same frames however slow the machine is.
 */
async function settled(): Promise<void> {
  // (Every key of the series changes the screen; 5 s is for a slow machine.)
  const deadline = performance.now() + 5_000;
  while (out.buf === '' && performance.now() < deadline) await sleep(10);
  while (performance.now() - out.lastWrite < 250 && performance.now() < deadline) await sleep(25);
}
await settled();
screens.push(out.take());
for (const k of keys) {
  inp.q.push(k);
  inp.emit('readable');
  await settled();
  screens.push(out.take());
}
inst.unmount();
// Exit once the pipe has taken it all: a stdout pipe can be asynchronous,
// and exiting straight after the write cut the screens off.
process.stdout.write(`\n<<<SCREENS>>>${JSON.stringify(screens)}<<<END>>>\n`, () => process.exit(0));
