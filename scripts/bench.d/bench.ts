// scripts/bench driver (see the header of scripts/bench). Builds the host,
// measures, prints one table, tears the host down on every way out.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeRates } from '../../src/core/model/rates.js';
import { IncrementalBuilder } from '../../src/core/refresh/model.js';
import { FlowTable } from '../../src/core/flows/table.js';
import { parseConntrack } from '../../src/core/parse/conntrack.js';
import { readLive } from '../../src/host/live-source.js';
import { RefreshEngine } from '../../src/host/refresh.js';
// @ts-expect-error plain JS helper
import { flowsText, rulesText, port as synthPort } from './gen.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const flag = (n: string) => argv.includes(`--${n}`);
const num = (n: string, d: number) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const SMOKE = flag('smoke');
const RUNS = num('runs', SMOKE ? 1 : 5);
const IDLE_S = num('idle', SMOKE ? 3 : 60);
const KEYS = num('keys', SMOKE ? 5 : 60);
const KEEP = flag('keep');
const LAB = 'bench';
const SIZE = SMOKE
  ? { bridges: 4, ports: 20, operator: 10, flows: 300, extraContainers: 0 }
  : { bridges: 400, ports: 5000, operator: 1000, flows: 100_000, extraContainers: 24 };
const TMUX = `pcb-tui-${process.pid}`;
const RENDER_LOG = path.join(os.tmpdir(), `pcb-render-${process.pid}.log`);

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const sh = (file: string, args: string[], timeoutMs = 120_000, input?: string) =>
  execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const ms = (x: number) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : Math.round(x)} ms` : 'n/a');

interface Host {
  netns: string;
  dockerHost: string | null;
}

// ------------------------------------------------------------ host setup / teardown

let host: Host | null = null;
let smokeNs: string | null = null;
const stateDirs: string[] = [];

function cleanup(): void {
  try {
    sh('tmux', ['kill-session', '-t', TMUX], 5000);
  } catch {
    /* no session */
  }
  if (host) {
    try {
      sh('ip', ['netns', 'exec', host.netns, 'conntrack', '-F'], 30_000);
    } catch {
      /* table gone or empty */
    }
  }
  if (smokeNs) {
    spawnSync('ip', ['netns', 'del', smokeNs]);
    smokeNs = null;
  } else if (host && !KEEP) {
    spawnSync('bash', ['scripts/lab', 'down', LAB], { cwd: ROOT, stdio: 'ignore', timeout: 300_000 });
  }
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  rmSync(RENDER_LOG, { force: true });
  host = null;
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

function nsx(args: string[], timeoutMs = 120_000, input?: string): string {
  if (!host) throw new Error('no host');
  return sh('ip', ['netns', 'exec', host.netns, ...args], timeoutMs, input);
}

function upSmoke(): Host {
  smokeNs = `pcb-smoke-${process.pid}`;
  sh('ip', ['netns', 'add', smokeNs]);
  sh('ip', ['-n', smokeNs, 'link', 'set', 'lo', 'up']);
  host = { netns: smokeNs, dockerHost: null };
  // The chains Docker would have made, so the payload's appends and inserts land.
  const base = ['*nat', ':DOCKER - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', 'COMMIT', '*filter', ':DOCKER - [0:0]', ':DOCKER-ISOLATION-STAGE-1 - [0:0]', ':DOCKER-ISOLATION-STAGE-2 - [0:0]', ':DOCKER-USER - [0:0]', '-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-ISOLATION-STAGE-1', '-A DOCKER-ISOLATION-STAGE-1 -j RETURN', '-A DOCKER-ISOLATION-STAGE-2 -j RETURN', '-A DOCKER-USER -j RETURN', 'COMMIT', ''].join('\n');
  nsx(['iptables-restore', '-w', '5'], 30_000, base);
  return host;
}

function upLab(): Host {
  log('lab up (main profile)…');
  sh('bash', ['scripts/lab', 'up', LAB], 300_000);
  const info = JSON.parse(sh('bash', ['scripts/lab', 'info', LAB])) as { hostNetns: string; dockerHost: string };
  host = { netns: info.hostNetns, dockerHost: info.dockerHost };
  return host;
}

function addContainers(n: number): void {
  for (let i = 0; i < n; i++) {
    sh('bash', ['scripts/lab', 'docker', LAB, 'run', '-d', '--name', `bc${i}`, '--network', 'appnet', '-p', `${31000 + i}:80`, 'pcl/busybox:1', 'httpd', '-f', '-p', '80', '-h', '/www'], 60_000);
  }
}

function loadBulk(): { rules: number; flows: number } {
  const r = rulesText(SIZE) as { text: string; count: number };
  const t0 = performance.now();
  nsx(['iptables-restore', '--noflush', '-w', '5'], 120_000, r.text);
  log(`loaded ${r.count} rules in ${Math.round(performance.now() - t0)} ms`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pcb-ct-'));
  stateDirs.push(dir);
  const file = path.join(dir, 'ct.txt');
  writeFileSync(file, (flowsText({ ...SIZE, toPorts: 0.8 }) as string).replace(/ -t 600 /g, ' -t 7200 '));
  const t1 = performance.now();
  nsx(['conntrack', '-R', file], 300_000);
  const count = Number(nsx(['conntrack', '-C']).trim());
  log(`loaded ${count} conntrack entries in ${Math.round(performance.now() - t1)} ms`);
  return { rules: Number(nsx(['iptables-save']).split('\n').filter((l) => l.startsWith('-A ')).length), flows: count };
}

// ------------------------------------------------------------ measurements

function timeCmd(file: string, args: string[], timeoutMs = 120_000): number | null {
  const t = performance.now();
  const r = spawnSync(file, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'], timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 });
  const d = performance.now() - t;
  return r.status === 0 ? d : null;
}

function rawDump(): number {
  const a = timeCmd('ip', ['netns', 'exec', host!.netns, 'iptables-save', '-c']) ?? NaN;
  const b = timeCmd('ip', ['netns', 'exec', host!.netns, 'conntrack', '-L']) ?? NaN;
  return a + b;
}

function dockerArgs(): string[] {
  return host!.dockerHost ? ['--docker-host', host!.dockerHost] : [];
}

/** Figure 1: `status --json` against the raw dumps. */
function oneShot(): { status: number[]; raw: number[]; timedOut: boolean } {
  const status: number[] = [];
  const raw: number[] = [];
  let timedOut = false;
  for (let i = 0; i < RUNS; i++) {
    raw.push(rawDump());
    const t = timeCmd('node', ['dist/cli.js', 'status', '--json', '--netns', host!.netns, ...dockerArgs()], 60_000);
    if (t === null) {
      timedOut = true;
      break;
    }
    status.push(t);
  }
  return { status, raw, timedOut };
}

/** Figure 2: in-process refresh, full and incremental, with the raw dump of the same run. */
async function inProcess(): Promise<{ full: number[]; incr: number[]; incrTick: number[]; flowsOnly: number[]; raw: number[]; kinds: string[] }> {
  const full: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    raw.push(rawDump());
    const cap = await readLive({ netns: host!.netns, dockerHost: host!.dockerHost ?? undefined });
    const t = performance.now();
    const b = new IncrementalBuilder();
    const table = new FlowTable(parseConntrack(cap.files['conntrack.txt'] ?? '').flows);
    const m = b.build(cap, table).model;
    computeRates(m, m);
    full.push(performance.now() - t);
  }
  const engine = new RefreshEngine({ netns: host!.netns, dockerHost: host!.dockerHost ?? undefined, resyncMs: 3_600_000 });
  const ctl = new AbortController();
  const follow = engine.followFlows(() => undefined, ctl.signal);
  await engine.tick();
  // The stream is up: the next tick re-lists once (events before it were lost), then ticks are incremental.
  for (let w = 0; w < 50 && engine.plan().resync; w++) {
    await sleep(100);
    if (engine.plan().resync && w > 5) await engine.tick();
  }
  let prev = (await engine.tick()).model;
  const incr: number[] = [];
  const incrTick: number[] = [];
  const flowsOnly: number[] = [];
  const kinds: string[] = [];
  const nEvents = SMOKE ? 20 : 1000;
  for (let i = 0; i < Math.max(RUNS, 3); i++) {
    // A burst of conntrack events between two ticks (what a busy host sends in a second).
    for (let k = 0; k < nEvents; k++) {
      const p = synthPort(k % SIZE.ports, SIZE.bridges) as { hostPort: number; containerIp: string; containerPort: number };
      const l = `tcp      6 120 SYN_SENT src=198.51.100.${20 + (i % 200)} dst=198.51.100.1 sport=${20000 + k} dport=${p.hostPort} [UNREPLIED] src=${p.containerIp} dst=198.51.100.${20 + (i % 200)} sport=${p.containerPort} dport=${20000 + k}`;
      engine.pushEventLine(`${k % 2 ? ' [UPDATE]' : '    [NEW]'} ${l}`);
    }
    await sleep(SMOKE ? 200 : 1000);
    const r = await engine.tick();
    const t = performance.now();
    computeRates(prev, r.model);
    const ratesMs = performance.now() - t;
    prev = r.model;
    kinds.push(r.kind);
    incr.push(r.parseMs + r.joinMs + ratesMs);
    incrTick.push(r.totalMs + ratesMs);
    for (let k = 0; k < nEvents; k++) {
      const p = synthPort(k % SIZE.ports, SIZE.bridges) as { hostPort: number; containerIp: string; containerPort: number };
      engine.pushEventLine(`[DESTROY] tcp      6 120 SYN_SENT src=198.51.100.${20 + (i % 200)} dst=198.51.100.1 sport=${20000 + k} dport=${p.hostPort} [UNREPLIED] src=${p.containerIp} dst=198.51.100.${20 + (i % 200)} sport=${p.containerPort} dport=${20000 + k}`);
    }
    const t2 = performance.now();
    if (engine.flush()) flowsOnly.push(performance.now() - t2);
  }
  ctl.abort();
  await follow;
  return { full, incr, incrTick, flowsOnly, raw, kinds };
}

// ------------------------------------------------------------ TUI in tmux

const tmux = (...a: string[]) => sh('tmux', a, 10_000);
const capture = () => tmux('capture-pane', '-p', '-t', TMUX);

function startTui(intervalS: number): { pid: number; t0: number } {
  try {
    tmux('kill-session', '-t', TMUX);
  } catch {
    /* none */
  }
  rmSync(RENDER_LOG, { force: true });
  const cmd = ['env', 'TERM=xterm-256color', 'NO_COLOR=1', `PORTCULLIS_RENDER_LOG=${RENDER_LOG}`, 'node', path.join(ROOT, 'dist/cli.js'), '--netns', host!.netns, ...dockerArgs(), '--interval', String(intervalS), '--read-only'];
  const t0 = performance.now();
  tmux('new-session', '-d', '-s', TMUX, '-x', '160', '-y', '48', cmd.map((a) => `'${a}'`).join(' '));
  const pid = Number(tmux('display-message', '-p', '-t', TMUX, '#{pane_pid}').trim());
  return { pid, t0 };
}

const overviewShown = (s: string) => s.includes('CONTAINER') && /\d+\.\d+\.\d+\.\d+:\d+\s/.test(s);

async function waitFrame(pred: (s: string) => boolean, timeoutMs: number): Promise<{ at: number; screen: string } | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const s = capture();
    if (pred(s)) return { at: performance.now(), screen: s };
    await sleep(10);
  }
  return null;
}

interface ProcStat { ppid: number; comm: string; self: number; children: number }

function procStat(pid: number): ProcStat | null {
  let f: string;
  try {
    f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const comm = f.slice(f.indexOf('(') + 1, f.lastIndexOf(')'));
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields after ")" start at 3 (state): ppid 4, utime 14, stime 15, cutime 16, cstime 17
  const n = (i: number) => Number(rest[i - 3]);
  return { ppid: n(4), comm, self: n(14) + n(15), children: n(16) + n(17) };
}

/**
 * CPU ticks of the TUI. "self" is Portcullis's own processes: the TUI and
 * its spawner (src/host/spawner.ts, the Node process that starts commands
 * for it); "children" adds every command they started, finished (cutime)
 * or still running, so moving the forks into the spawner hides nothing.
 */
function cpuTicks(pid: number): { self: number; children: number } {
  const byParent = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (!st) continue;
    const l = byParent.get(st.ppid);
    if (l) l.push(Number(d));
    else byParent.set(st.ppid, [Number(d)]);
  }
  let self = 0;
  let children = 0;
  // A process is ours when it is the TUI or a Node process whose parent is ours.
  const walk = (p: number, parentOurs: boolean | null) => {
    const st = procStat(p);
    if (!st) return;
    const ours = parentOurs === null || (parentOurs && st.comm === 'node');
    if (ours) self += st.self;
    else children += st.self;
    children += st.children;
    for (const c of byParent.get(p) ?? []) walk(c, ours);
  };
  walk(pid, null);
  return { self, children };
}
const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

async function idleCpu(pid: number, seconds: number): Promise<{ self: number; withChildren: number }> {
  const a = cpuTicks(pid);
  const t = performance.now();
  await sleep(seconds * 1000);
  const b = cpuTicks(pid);
  const wall = (performance.now() - t) / 1000;
  const self = (b.self - a.self) / HZ / wall;
  return { self: 100 * self, withChildren: (100 * (b.self + b.children - a.self - a.children)) / HZ / wall };
}

function vmHwmOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Peak RSS of the TUI plus its spawner's (the two Node processes; a sum of peaks, so an upper bound). */
function vmHwm(pid: number): number {
  let total = vmHwmOf(pid);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (st && st.ppid === pid && st.comm === 'node') total += vmHwmOf(Number(d));
  }
  return total;
}

/** The row the selection marker is on. */
const selectedLine = (s: string) => s.split('\n').findIndex((l) => l.startsWith('>'));

type TuiFig = { firstFrame: number | null; idle: { self: number; withChildren: number } | null; rss: number; keys: number[]; polled?: number[]; pollMs: number; busy?: { self: number; withChildren: number } | null; settledMs?: number; error?: string };

/**
 * Press Down/Up n times at random points of the refresh cycle; `press` sends
 * one key and resolves with the ms until the selection moved (null: no new
 * frame within 5 s). Stops after three unanswered presses in a row at start.
 */
async function pressKeys(n: number, press: (key: string, row: number) => Promise<number | null>): Promise<number[]> {
  const got: number[] = [];
  for (let i = 0; i < n; i++) {
    if (got.length === 0 && i >= 3) break; // not answering keys at all: stop pressing
    const key = i % 10 < 5 ? 'Down' : 'Up';
    const ms = await press(key, selectedLine(capture()));
    if (ms === null) log(`key ${key}: no new frame within 5 s`);
    else got.push(ms);
    await sleep(150 + Math.random() * 300);
  }
  return got;
}

/**
 * Figure 7: key presses sent through a tmux control-mode client, each timed
 * until the screen shows the selection moved. The screen is captured only
 * when the pane has produced output (tmux's %output notifications), so the
 * measuring costs next to nothing; polling capture-pane in a loop (the first
 * method, keysPolled) started ~175 tmux clients a second and took about 1.3
 * of the machine's 2 cores away from the TUI it was timing.
 */
async function keysNotified(n: number): Promise<number[]> {
  tmux('set-option', '-t', TMUX, 'window-size', 'manual'); // a control client must not resize the pane
  const cm = spawn('tmux', ['-C', 'attach-session', '-r', '-t', TMUX], { stdio: ['pipe', 'pipe', 'ignore'] });
  let onOutput: (() => void) | null = null;
  let buf = '';
  cm.stdout.setEncoding('utf8');
  cm.stdout.on('data', (d: string) => {
    buf += d;
    let out = false;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      if (buf.startsWith('%output')) out = true;
      buf = buf.slice(i + 1);
    }
    if (out) onOutput?.();
  });
  try {
    await sleep(500);
    return await pressKeys(n, (key, row) => {
      const t = performance.now();
      return new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          onOutput = null;
          resolve(null);
        }, 5000);
        onOutput = () => {
          const r = selectedLine(capture());
          if (r !== row && r >= 0) {
            clearTimeout(timer);
            onOutput = null;
            resolve(performance.now() - t);
          }
        };
        cm.stdin.write(`send-keys -t ${TMUX} ${key}\n`);
      });
    });
  } finally {
    cm.stdin.end();
    cm.kill();
  }
}

/** Figure 7 as first measured: send-keys, then capture-pane in a loop until the selection moved. */
function keysPolled(n: number, polls: number[]): Promise<number[]> {
  return pressKeys(n, async (key, row) => {
    const t = performance.now();
    tmux('send-keys', '-t', TMUX, key);
    while (performance.now() - t < 5000) {
      const p0 = performance.now();
      const s = capture();
      polls.push(performance.now() - p0);
      const r = selectedLine(s);
      if (r !== row && r >= 0) return performance.now() - t;
    }
    return null;
  });
}

/** tuiFigures, but a TUI that dies or hangs gives a row saying so instead of ending the run. */
async function tuiSafe(intervalS: number, withKeys: boolean): Promise<TuiFig> {
  try {
    return await tuiFigures(intervalS, withKeys);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
    log(`TUI figure failed: ${msg}`);
    return { firstFrame: null, idle: null, rss: NaN, keys: [], pollMs: NaN, error: 'TUI exited or hung' };
  }
}

async function tuiFigures(intervalS: number, withKeys: boolean): Promise<TuiFig> {
  const { pid, t0 } = startTui(intervalS);
  const first = await waitFrame(overviewShown, SMOKE ? 30_000 : 180_000);
  if (!first) {
    log(`TUI showed no overview in time:\n${capture()}`);
    return { firstFrame: null, idle: null, rss: vmHwm(pid), keys: [], pollMs: NaN };
  }
  const firstFrame = first.at - t0;
  // Idle means nothing happening: wait until the TUI has drawn no frame for
  // 5 s (its start-up work done, the lab's own start-up traffic over), at
  // most 45 s; how long that took is printed with the figure.
  const settled = await settle(SMOKE ? 1000 : 5000, SMOKE ? 5000 : 45_000);
  const idle = await idleCpu(pid, IDLE_S);
  const keys: number[] = [];
  const polled: number[] = [];
  const polls: number[] = [];
  let busy: { self: number; withChildren: number } | null = null;
  if (withKeys) {
    // Keys are pressed while the host changes: lab traffic to the published
    // ports moves counters every tick, so each refresh rebuilds and redraws
    // (an idle host's ticks change nothing and cost no frame at all).
    if (host!.dockerHost) {
      sh('bash', ['scripts/lab', 'traffic', LAB, '--seconds', String(Math.ceil(KEYS * 1.2) + 30), '--rps', '10', '--background'], 30_000);
      await sleep(2000);
    }
    const c0 = cpuTicks(pid);
    const w0 = performance.now();
    keys.push(...(await keysNotified(KEYS)));
    const c1 = cpuTicks(pid);
    const wall = (performance.now() - w0) / 1000;
    busy = { self: (100 * (c1.self - c0.self)) / HZ / wall, withChildren: (100 * (c1.self + c1.children - c0.self - c0.children)) / HZ / wall };
    // The first method, kept for comparison: capture-pane in a loop.
    polled.push(...(await keysPolled(KEYS, polls)));
  }
  const rss = vmHwm(pid);
  try {
    tmux('kill-session', '-t', TMUX);
  } catch {
    /* gone */
  }
  return { firstFrame, idle, rss, keys, polled, pollMs: median(polls), busy, settledMs: settled };
}

/** Wait until the render log has not grown for quietMs (or maxMs passed); returns the time waited. */
async function settle(quietMs: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  const size = () => {
    try {
      return statSync(RENDER_LOG).size;
    } catch {
      return 0;
    }
  };
  let last = size();
  let since = performance.now();
  while (performance.now() - t0 < maxMs) {
    await sleep(250);
    const n = size();
    if (n !== last) {
      last = n;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) break;
  }
  return performance.now() - t0;
}

async function watchCpu(): Promise<{ self: number; withChildren: number } | null> {
  try {
    tmux('kill-session', '-t', TMUX);
  } catch {
    /* none */
  }
  tmux('new-session', '-d', '-s', TMUX, '-x', '160', '-y', '48', `ip netns exec ${host!.netns} watch -n1 iptables -nvL`);
  const pid = Number(tmux('display-message', '-p', '-t', TMUX, '#{pane_pid}').trim());
  await sleep(1500);
  const r = await idleCpu(pid, IDLE_S);
  tmux('kill-session', '-t', TMUX);
  return r;
}

/** Figure 6: whitelist through the actions CLI, if it is there. */
function whitelist(): { cli: number[]; applyVerify: number[] } | string {
  const help = spawnSync('node', ['dist/cli.js', 'whitelist', '--help'], { cwd: ROOT, encoding: 'utf8' });
  if (help.status !== 0) return 'n/a (actions not built)';
  if (!host!.dockerHost) return 'n/a (smoke: no Docker, no published port to act on)';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pcb-state-'));
  stateDirs.push(dir);
  const cli: number[] = [];
  const applyVerify: number[] = [];
  const base = ['dist/cli.js', 'whitelist', '--port', '8080', '--netns', host!.netns, ...dockerArgs(), '--state-dir', dir, '--yes', '--json', '--confirm-timeout', '0'];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync('node', [...base, '--allow', `198.51.100.${10 + (i % 3)}`], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    const d = performance.now() - t;
    if (r.status !== 0) return `failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? r.status}`;
    cli.push(d);
    try {
      const j = JSON.parse(r.stdout) as { applied?: { timings?: { applyVerifyMs?: number } } };
      const av = j.applied?.timings?.applyVerifyMs;
      if (typeof av === 'number') applyVerify.push(av);
    } catch {
      /* no JSON */
    }
  }
  spawnSync('node', ['dist/cli.js', 'whitelist', '--port', '8080', '--clear', '--netns', host!.netns, ...dockerArgs(), '--state-dir', dir, '--yes', '--confirm-timeout', '0'], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 });
  return { cli, applyVerify };
}

// ------------------------------------------------------------ main

const rows: Array<[string, string, string, string]> = [];
const row = (fig: string, value: string, vs: string, budget: string) => rows.push([fig, value, vs, budget]);
const verdict = (ok: boolean | null) => (ok === null ? '' : ok ? ' (met)' : ' (MISSED)');

async function main(): Promise<void> {
  const started = new Date();
  log(`${SMOKE ? 'smoke' : 'full'} run, ${RUNS} run(s) per figure, idle window ${IDLE_S} s; load ${loadavg()}`);
  if (SMOKE) upSmoke();
  else upLab();

  // Demo lab first (figure 3), before the bulk state goes in. The smoke
  // namespace has nothing to show before its tiny ruleset, so it loads first.
  let size = SMOKE ? loadBulk() : null;
  log('TUI idle on the demo host…');
  const demo1 = await tuiSafe(1, false);
  const demo2 = await tuiSafe(2, false);

  if (!SMOKE) {
    log(`adding ${SIZE.extraContainers} containers…`);
    addContainers(SIZE.extraContainers);
  }
  size ??= loadBulk();
  const containers = host!.dockerHost ? sh('bash', ['scripts/lab', 'docker', LAB, 'ps', '-q']).trim().split('\n').filter(Boolean).length : 0;
  const desc = `${size.rules} rules, ${size.flows} conntrack entries, ${containers} containers`;
  log(`large host: ${desc}; load ${loadavg()}`);

  log('figure 1: one-shot status…');
  const f1 = oneShot();
  log(`figure 1: status ${f1.status.length ? ms(median(f1.status)) : 'timeout'}, raw ${ms(median(f1.raw))}`);
  log('figure 2: in-process refresh…');
  const f2 = await inProcess();
  log(`figure 2: full ${ms(median(f2.full))}, incremental ${ms(median(f2.incr))}, tick ${ms(median(f2.incrTick))}, raw dump ${ms(median(f2.raw))}`);
  log('figures 3-5, 7: TUI on the large host…');
  const big1 = await tuiSafe(1, true);
  const big2 = await tuiSafe(2, false);
  log('figure 3: watch -n1 iptables -nvL…');
  const watch = await watchCpu().catch(() => null);
  log('figure 6: whitelist…');
  let wl: ReturnType<typeof whitelist>;
  try {
    wl = whitelist();
  } catch (e) {
    wl = `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }

  // ---- the table
  const rawMed = median(f1.raw);
  if (f1.status.length) {
    const r = median(f1.status) / rawMed;
    row('1 status --json (one-shot)', ms(median(f1.status)), `raw iptables-save -c + conntrack -L ${ms(rawMed)}: ${r.toFixed(2)}x`, `<= 1.25x${verdict(r <= 1.25)}`);
  } else row('1 status --json (one-shot)', f1.timedOut ? 'timeout (> 60 s)' : 'failed', `raw iptables-save -c + conntrack -L ${ms(rawMed)}`, '<= 1.25x (MISSED)');
  const raw2 = median(f2.raw);
  row('2a refresh, full (parse+join+rates)', ms(median(f2.full)), `raw dump ${ms(raw2)}: ${(median(f2.full) / raw2).toFixed(2)}x`, '');
  const ri = median(f2.incr) / raw2;
  row('2b refresh, incremental (in-process)', ms(median(f2.incr)), `raw dump ${ms(raw2)}: ${ri.toFixed(2)}x [${[...new Set(f2.kinds)].join(',')}]`, `<= 0.2x${verdict(ri <= 0.2)}`);
  row('2c incremental tick incl. reads', ms(median(f2.incrTick)), `raw dump ${ms(raw2)}: ${(median(f2.incrTick) / raw2).toFixed(2)}x`, '');
  row('2d flows-only update (events)', ms(median(f2.flowsOnly)), `${SMOKE ? 20 : 1000} DESTROY events applied + port flows re-joined`, '');
  const idleRow = (name: string, r: { idle: { self: number; withChildren: number } | null }, budget: boolean) =>
    row(name, r.idle ? `${r.idle.self.toFixed(2)} %` : 'n/a', r.idle ? `with child processes ${r.idle.withChildren.toFixed(2)} %; settled ${((r as TuiFig).settledMs ?? 0) / 1000 < 10 ? (((r as TuiFig).settledMs ?? 0) / 1000).toFixed(1) : Math.round(((r as TuiFig).settledMs ?? 0) / 1000)} s after the first frame` : (r as TuiFig).error ?? 'no frame', budget && r.idle ? `<= 2 %${verdict(r.idle.self <= 2)}` : '');
  idleRow(`3a TUI idle CPU, ${SMOKE ? 'tiny netns' : 'demo lab'}, 1 s`, demo1, true);
  idleRow(`3b TUI idle CPU, ${SMOKE ? 'tiny netns' : 'demo lab'}, 2 s`, demo2, false);
  idleRow('3c TUI idle CPU, large host, 1 s', big1, false);
  idleRow('3d TUI idle CPU, large host, 2 s', big2, false);
  row('3e TUI CPU, large host, 1 s, traffic + keys', big1.busy ? `${big1.busy.self.toFixed(2)} %` : 'n/a', big1.busy ? `with child processes ${big1.busy.withChildren.toFixed(2)} % (while figure 7 ran)` : '', '');
  row('3f watch -n1 iptables -nvL, large host', watch ? `${watch.self.toFixed(2)} %` : 'n/a', watch ? `with child processes ${watch.withChildren.toFixed(2)} %` : '', '');
  const rss = Math.max(big1.rss, big2.rss);
  row('4 peak RSS of the TUI, large host', Number.isFinite(rss) ? `${Math.round(rss)} MB` : 'n/a', 'VmHWM of the TUI + its spawner', `<= 150 MB${verdict(Number.isFinite(rss) ? rss <= 150 : null)}`);
  const ff = [big1.firstFrame, big2.firstFrame].filter((x): x is number => x !== null);
  row('5 first frame, large host', ff.length ? ms(median(ff)) : 'no frame', `process start -> overview in capture-pane (demo: ${ms(median([demo1.firstFrame, demo2.firstFrame].filter((x): x is number => x !== null)))})`, `<= 1000 ms${verdict(ff.length ? median(ff) <= 1000 : false)}`);
  if (typeof wl === 'string') row('6 whitelist plan+apply+verify', wl, '', '<= 150 ms');
  else {
    const av = median(wl.applyVerify);
    row('6 whitelist plan+apply+verify', `apply+verify ${ms(av)}`, `whole CLI (read host, plan, apply, verify) ${ms(median(wl.cli))}`, `<= 150 ms${verdict(Number.isFinite(av) ? av <= 150 : null)}`);
  }
  const p95 = pct(big1.keys, 95);
  row(`7 key -> new frame, large host, 1 s refresh${host!.dockerHost ? ', traffic' : ''}`, big1.keys.length ? `p50 ${ms(median(big1.keys))} p95 ${ms(p95)}` : 'n/a', `${big1.keys.length} presses via tmux control mode; screen read on pane output`, `p95 <= 50 ms${verdict(big1.keys.length ? p95 <= 50 : null)}`);
  const polled = big1.polled ?? [];
  row('7b the same, first method', polled.length ? `p50 ${ms(median(polled))} p95 ${ms(pct(polled, 95))}` : 'n/a', `${polled.length} presses; send-keys + capture-pane polled in a loop (${ms(big1.pollMs)} a poll; the poller itself uses ~1.3 of 2 cores)`, '');

  const w = [0, 0, 0, 0];
  const all: Array<[string, string, string, string]> = [['figure', 'value (median)', 'against', 'budget'], ...rows];
  for (const r of all) r.forEach((c, i) => (w[i] = Math.max(w[i]!, c.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join(' | ');
  const out = [
    `Portcullis bench (${SMOKE ? 'smoke' : 'full'}) ${started.toISOString()}  ${os.cpus().length} cores, node ${process.version}`,
    `host: ${desc}; runs per figure ${RUNS}; TUI idle window ${IDLE_S} s; load average at end ${loadavg()}`,
    line(all[0]!),
    w.map((n) => '-'.repeat(n)).join('-|-'),
    ...rows.map(line),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main()
  .catch((e: unknown) => {
    log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => {
    cleanup();
  });
