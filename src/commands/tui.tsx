// `portcullis` with no subcommand: the interactive view. Sets up the data
// source (live host or --from DIR), the theme, the terminal (alternate
// screen, restored on every way out: quit, SIGINT/SIGTERM/SIGHUP, a crash),
// and renders the Ink app until it exits. The guided actions (w b i L u)
// apply through the same functions as the CLI's action commands
// (ui/actions/live.ts), inside --netns, with the journal in --state-dir.
import { appendFileSync } from 'node:fs';
import { render } from 'ink';
import { sshClientOf } from '../apply/state.js';
import { watchEvents } from '../host/docker-api.js';
import { RefreshEngine } from '../host/refresh.js';
import { watchConntrack } from '../host/sources/conntrack.js';
import { setSpawner } from '../host/runner.js';
import { SpawnerClient } from '../host/spawner-client.js';
import { App } from '../ui/app.js';
import type { ActionsConfig } from '../ui/actions/backend.js';
import { PREVIEW_ONLY } from '../ui/actions/backend.js';
import { liveBackend } from '../ui/actions/live.js';
import { sampleFromCapture, type Feeds, type Loader, type Sample } from '../ui/data/sample.js';
import { DEFAULT_THEME, loadThemeFile, locateTheme, noColorFromEnv } from '../ui/theme/load.js';
import type { Theme } from '../ui/theme/schema.js';
import { UsageError } from './errors.js';
import { parseTimeout } from './actions/common.js';
import { readSource, validateSourceFlags, type SourceFlags } from './source.js';

export interface TuiOptions extends SourceFlags {
  /** Seconds between reads of counters and rules (default 2). */
  interval?: number | string;
  readOnly?: boolean;
  /** A theme name (user dir, then built-in) or a .json file. */
  theme?: string;
  noColor?: boolean;
  /** Journal and pending state of the guided actions (default $PORTCULLIS_STATE_DIR or /var/lib/portcullis; per --netns: DIR/netns-NAME). */
  stateDir?: string;
  /** Seconds before an applied change is rolled back unless kept (default 60; 0: kept at once). */
  confirmTimeout?: number | string;
  /** Replace where actions apply (tests: a fake backend). */
  actions?: ActionsConfig;
}

/** Where the TUI's guided actions apply: the live host (inside --netns), or nowhere for --from captures. */
export function actionsConfig(opts: TuiOptions): ActionsConfig {
  const confirmTimeoutSec = parseTimeout(opts.confirmTimeout === undefined ? undefined : String(opts.confirmTimeout));
  const ssh = sshClientOf(process.env.SSH_CONNECTION);
  if (opts.actions) return opts.actions;
  if (opts.from !== undefined) return { ...PREVIEW_ONLY, confirmTimeoutSec, ssh };
  // The keys are gone under --read-only; no backend either, so nothing could apply anyway.
  if (opts.readOnly) return { ...PREVIEW_ONLY, previewOnly: '--read-only: nothing can be applied', confirmTimeoutSec, ssh, where: 'nowhere (read-only)' };
  const backend = liveBackend({ netns: opts.netns, dockerHost: opts.dockerHost, stateDir: opts.stateDir });
  return { backend, previewOnly: null, confirmTimeoutSec, ssh, where: opts.netns ? `netns ${opts.netns}` : 'this host' };
}

export const DEFAULT_INTERVAL_S = 2;
const MIN_INTERVAL_S = 0.2;
const MAX_INTERVAL_S = 3600;

export function parseInterval(v: number | string | undefined): number {
  if (v === undefined) return DEFAULT_INTERVAL_S;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < MIN_INTERVAL_S || n > MAX_INTERVAL_S)
    throw new UsageError(`--interval: "${v}" is not a number of seconds between ${MIN_INTERVAL_S} and ${MAX_INTERVAL_S}`);
  return n;
}

/** The theme to start with, its file (to hot-reload) and a warning when the file is broken. */
export async function startTheme(spec: string | undefined): Promise<{ theme: Theme; file: string | null; warning: string | null }> {
  if (spec === undefined) return { theme: DEFAULT_THEME, file: null, warning: null };
  const loc = await locateTheme(spec);
  if (!loc.ok) throw new UsageError(loc.error);
  const t = await loadThemeFile(loc.value);
  // A broken file still gets watched: fixing it applies it without a restart.
  if (!t.ok) return { theme: DEFAULT_THEME, file: loc.value, warning: `theme not loaded (default in use): ${t.error}` };
  return { theme: t.value, file: loc.value, warning: null };
}

export function liveFeeds(opts: SourceFlags): Feeds {
  return {
    docker: (onEvent, signal) => watchEvents(opts.dockerHost, () => onEvent(), signal),
    conntrack: async (onLine, signal) => {
      const w = watchConntrack({ netns: opts.netns, signal }, onLine);
      const end = await w.done;
      if (end.error && !end.stopped) throw end.error;
    },
  };
}

/**
 * The live data source of the TUI: the refresh engine (src/host/refresh.ts)
 * reads counters every tick, flows from conntrack events and Docker after
 * Docker events, and builds the model incrementally.
 */
export function liveSource(opts: SourceFlags, intervalMs = 2000): { load: Loader; feeds: Feeds; engine: RefreshEngine } {
  // Flows from conntrack events reach the screen with each tick's build, and
  // on their own every interval only while ticks do not come (refresh.ts):
  // each update redraws the views.
  const engine = new RefreshEngine({ netns: opts.netns, dockerHost: opts.dockerHost, flushMs: Math.max(500, intervalMs) });
  let last: Sample | null = null;
  return {
    engine,
    load: async (signal) => {
      const r = await engine.tick(signal);
      // The same Sample object when nothing changed: the UI skips the redraw.
      if (r.unchanged && last?.model === r.model) return last;
      last = { model: r.model, rulesets: r.snapshot.rulesets, ...(r.partial ? { partial: true } : {}) };
      return last;
    },
    feeds: {
      docker: (onEvent, signal) => engine.followDocker(onEvent, signal),
      samples: (onSample, signal, onError) =>
        engine.followFlows((r) => onSample({ model: r.model, rulesets: r.snapshot.rulesets }), signal, onError),
    },
  };
}

/**
 * PORTCULLIS_RENDER_LOG=FILE: one line per frame Ink draws ("<ms since start>
 * <render ms>"), for scripts/bench and profiling. Off unless set.
 */
function renderLog(): { onRender?: (m: { renderTime: number }) => void } {
  const file = process.env.PORTCULLIS_RENDER_LOG;
  if (!file) return {};
  const t0 = performance.now();
  return { onRender: ({ renderTime }) => appendFileSync(file, `${Math.round(performance.now() - t0)} ${renderTime.toFixed(2)}\n`) };
}

// Alternate screen: the shell's scrollback is untouched and comes back on exit.
const ENTER_ALT = '\u001b[?1049h\u001b[H';
const LEAVE_ALT = '\u001b[?1049l';
const SHOW_CURSOR = '\u001b[?25h';

export async function runTui(opts: TuiOptions): Promise<void> {
  validateSourceFlags(opts);
  const intervalS = parseInterval(opts.interval);
  const noColor = !!opts.noColor || noColorFromEnv();
  const theme = await startTheme(opts.theme);
  const actions = actionsConfig(opts);
  const flags: SourceFlags = { netns: opts.netns, dockerHost: opts.dockerHost, from: opts.from };
  // Every refresh starts two or three commands; from a TUI holding a big
  // model each fork costs milliseconds of main thread, so a small spawner
  // process starts them (src/host/spawner.ts). It ends with us.
  if (opts.from === undefined) setSpawner(new SpawnerClient());
  const live = opts.from === undefined ? liveSource(flags, Math.round(intervalS * 1000)) : null;
  const load: Loader = live ? live.load : async () => sampleFromCapture(await readSource(flags));
  const feeds = live ? live.feeds : undefined;

  const out = process.stdout;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
    } catch {
      // stdin already closed
    }
    out.write(SHOW_CURSOR + LEAVE_ALT);
  };

  out.write(ENTER_ALT);
  const inst = render(
    <App
      load={load}
      intervalMs={Math.round(intervalS * 1000)}
      readOnly={!!opts.readOnly}
      theme={theme.theme}
      themeFile={theme.file}
      themeWarning={theme.warning}
      noColor={noColor}
      actions={actions}
      {...(feeds ? { feeds } : {})}
    />,
    {
      exitOnCtrlC: false, // ctrl+c is in the keymap (quit), so it also works while typing a filter
      patchConsole: true,
      // Not incrementalRendering: in Ink 6.8 it starts one line too low after a
      // frame that ends in a newline (ours always do), leaving stale lines.
      // Ink still wraps each frame in synchronized-output marks where supported.
      // Frames come at most every 1000/maxFps ms: a key pressed just after a
      // refresh's frame waited up to 66 ms at 15; at 30 a held key still
      // sends no more than 30 frames a second over a slow link.
      maxFps: 30,
      ...renderLog(),
    },
  );

  const bail = (code: number, err?: unknown) => {
    try {
      inst.unmount();
    } catch {
      // already unmounted
    }
    restore();
    if (err !== undefined) process.stderr.write(`portcullis: crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals) => bail(sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143);
  const onCrash = (e: unknown) => bail(1, e);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    await inst.waitUntilExit();
  } finally {
    inst.cleanup();
    restore();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}
