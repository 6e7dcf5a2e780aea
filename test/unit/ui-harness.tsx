// Test harness for the UI: render the real App at a given terminal size
// with ink-testing-library, and wait for conditions on lastFrame() with a
// deadline (no sleeps). Fixture data goes through the real
// readCaptureDir -> buildSnapshot -> buildModel.
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { ReactElement } from 'react';
import { readCaptureDir } from '../../src/host/capture-dir.js';
import { App, type AppProps } from '../../src/ui/app.js';
import { sampleFromCapture, type Loader, type Sample } from '../../src/ui/data/sample.js';
import { DEFAULT_THEME } from '../../src/ui/theme/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const LAB_MAIN = path.resolve(here, '../fixtures/lab/main');
export const LAB_ALT = path.resolve(here, '../fixtures/lab/alt');
/** Where the lab capture is: the checked-in fixture, or UI_FIXTURE for development. */
export const FIXTURE = process.env['UI_FIXTURE'] ?? LAB_MAIN;
export const fixtureAvailable = () => existsSync(path.join(FIXTURE, 'iptables-save.txt'));

export type Instance = ReturnType<typeof render>;

/** Render and resize the fake terminal (Ink and useTerminalSize both follow 'resize'). */
export function renderAt(tree: ReactElement, columns: number, rows: number): Instance {
  const inst = render(tree);
  resize(inst, columns, rows);
  return inst;
}

export function resize(inst: Instance, columns: number, rows: number): void {
  Object.defineProperty(inst.stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(inst.stdout, 'rows', { value: rows, configurable: true });
  inst.stdout.emit('resize');
}

/** Poll lastFrame() until pred holds; fail with the last frame at the deadline. */
export async function waitFor(inst: Instance, pred: (frame: string) => boolean, what: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = inst.lastFrame() ?? '';
    if (pred(f)) return f;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Visible width of each line (ANSI stripped; ▲▼→… are one cell each). */
export function lineWidths(frame: string): number[] {
  // eslint-disable-next-line no-control-regex
  return frame.split('\n').map((l) => [...l.replace(/\u001b\[[0-9;]*m/g, '')].length);
}

export async function fixtureSample(dir = FIXTURE): Promise<Sample> {
  return sampleFromCapture(await readCaptureDir(dir));
}

/**
 * A loader that serves the given samples in turn (the last one repeats),
 * each with its time moved forward so rates come out.
 */
export function sequenceLoader(samples: Sample[]): Loader & { calls: number } {
  const f = Object.assign(
    async () => {
      const i = Math.min(f.calls, samples.length - 1);
      f.calls++;
      const s = samples[i] as Sample;
      return s;
    },
    { calls: 0 },
  );
  return f;
}

export function appProps(load: Loader, over: Partial<AppProps> = {}): AppProps {
  return { load, intervalMs: 60_000, readOnly: false, theme: DEFAULT_THEME, themeFile: null, noColor: true, ...over };
}

export function renderApp(load: Loader, columns: number, rows: number, over: Partial<AppProps> = {}): Instance {
  return renderAt(<App {...appProps(load, over)} />, columns, rows);
}

/** Keys as a terminal sends them. */
export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  backspace: '\u007f',
} as const;

/**
 * Samples after the fixture: each step adds packets to the DNAT rule of
 * host port 8080 and moves the clock 2 s, through the real parsers.
 */
export async function steppedSamples(addPackets: number[], dir = FIXTURE): Promise<Sample[]> {
  const raw = await readCaptureDir(dir);
  const out: Sample[] = [sampleFromCapture(raw)];
  let extra = 0;
  addPackets.forEach((n, i) => {
    extra += n;
    const text = (raw.files['iptables-save.txt'] ?? '').replace(
      /^\[(\d+):(\d+)\](.*--dport 8080 -j DNAT.*)$/m,
      (_m, p: string, b: string, rest: string) => `[${Number(p) + extra}:${Number(b) + extra * 60}]${rest}`,
    );
    out.push(sampleFromCapture({ files: { ...raw.files, 'iptables-save.txt': text }, meta: { ...raw.meta, time: raw.meta.time + 2000 * (i + 1) } }));
  });
  return out;
}

/** The lines of a frame that show a published port (gutter + container + host:port). */
export function portLines(frame: string): string[] {
  return frame.split('\n').filter((l) => / (\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]*\]):\d+ /.test(l) && /(tcp|udp) →/.test(l));
}

/** Every line of the frame fits a cols x rows terminal. */
export function fits(frame: string, cols: number, rows: number): void {
  const widths = lineWidths(frame);
  const widest = Math.max(...widths);
  assert.ok(widest <= cols, `a line is ${widest} wide on a ${cols}-column terminal:\n${frame}`);
  assert.ok(widths.length <= rows, `${widths.length} lines on a ${rows}-row terminal`);
}

/** The line the selection marker is on ('' when none). */
export const selectedLine = (f: string): string => f.split('\n').find((l) => l.startsWith('>')) ?? '';

/** Overview up with the lab data, web's 0.0.0.0:8080 selected (through the filter). */
export async function onWeb(inst: Instance): Promise<void> {
  await waitFor(inst, (f) => f.includes('web') && f.includes('CONTAINER'), 'overview with lab data');
  inst.stdin.write('/8080');
  inst.stdin.write(KEYS.enter);
  await waitFor(inst, (x) => /web\s+0\.0\.0\.0:8080/.test(selectedLine(x)), 'web:8080 selected');
}

/** The lab capture with an operator's DROP in DOCKER-USER. */
export async function withOperatorDrop(): Promise<Sample> {
  const raw = await readCaptureDir(FIXTURE);
  const text = (raw.files['iptables-save.txt'] ?? '').replace(
    /^(\[\d+:\d+\] -A DOCKER-USER -j RETURN)$/m,
    '[3:180] -A DOCKER-USER -s 203.0.113.0/24 -p tcp -m tcp --dport 80 -j DROP\n$1',
  );
  return sampleFromCapture({ ...raw, files: { ...raw.files, 'iptables-save.txt': text } });
}
