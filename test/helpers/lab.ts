// Test helpers for the Docker-in-a-netns lab built by scripts/lab (see the comment block at the top
// of that script and docs/lab.md). Everything here runs processes with argument arrays (never a shell
// with interpolated text) and absolute timeouts. Root only: guard tests with requireRoot(t).
//
//   const info = labUp('t1', 'main');
//   const r = httpProbe(info, { from: info.clientAddrs4[0]!, to: `${info.hostAddr4}:8080` });
//   labDown('t1');
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LAB_SCRIPT = fileURLToPath(new URL('../../scripts/lab', import.meta.url));
export const LAB_BASE = '/tmp/pc-lab';

export type LabProfile = 'main' | 'alt';

export interface LabBinding {
  hostIp: string; // "0.0.0.0", "::", "198.51.100.1", "127.0.0.1"
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
}

export interface LabContainer {
  name: string;
  id: string;
  networks: string[];
  ip: string | null;
  ip6: string | null;
  addresses: Record<string, { ip: string | null; ip6: string | null }>;
  /** "8080:80/tcp", "198.51.100.1:9090:90/tcp", "5353:53/udp" (wildcard host IPs omitted) */
  published: string[];
  bindings: LabBinding[];
}

export interface LabNetwork {
  name: string;
  id: string;
  driver: string;
  bridge: string | null; // "docker0", "br-<12 hex>"
  subnets: string[];
  internal: boolean;
  enableIPv6: boolean;
  icc: boolean | null; // null for non-bridge networks
  masquerade: boolean | null;
}

export interface LabInfo {
  name: string;
  profile: LabProfile;
  hostNetns: string;
  clientNetns: string;
  stateDir: string;
  dockerHost: string; // unix:///tmp/pc-lab/NAME/docker.sock
  dockerdPid: number;
  dockerVersion: string;
  storageDriver: string;
  dockerdFlags: string[];
  hostIface: string; // ext0
  hostAddr4: string;
  hostAddr6: string;
  clientIface: string; // eth0 (in the client netns)
  clientAddrs4: string[];
  clientAddrs6: string[];
  brNetfilter: boolean;
  networks: LabNetwork[];
  containers: LabContainer[];
}

export interface RunResult {
  code: number | null; // null when killed (timeout)
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

function run(cmd: string, argv: readonly string[], opts: RunOptions = {}): RunResult {
  const timeout = opts.timeoutMs ?? 10_000;
  const r = spawnSync(cmd, argv, {
    encoding: 'utf8',
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    input: opts.input,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const err = r.error as NodeJS.ErrnoException | undefined;
  const timedOut = err?.code === 'ETIMEDOUT' || (r.signal === 'SIGKILL' && r.status === null);
  if (err && !timedOut) throw err; // ENOENT and the like: a broken environment, not a result
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut };
}

function runAsync(cmd: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeout = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      [...argv],
      { encoding: 'utf8', timeout, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr, timedOut: false });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string | null };
        if (typeof e.code === 'string' && e.code !== 'ETIMEDOUT') return reject(error);
        const timedOut = e.killed === true || e.code === 'ETIMEDOUT';
        resolve({ code: typeof e.code === 'number' ? e.code : null, stdout, stderr, timedOut });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

function lab(argv: readonly string[], timeoutMs: number): RunResult {
  return run('bash', [LAB_SCRIPT, ...argv], { timeoutMs });
}

function fail(what: string, r: RunResult): never {
  const tail = (r.stderr + r.stdout).trim().split('\n').slice(-40).join('\n');
  throw new Error(`${what} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${tail}`);
}

/** Build (or reuse, when already up and healthy) lab NAME; returns its info. Takes ~5-10 s. */
export function labUp(name: string, profile: LabProfile = 'main', opts: { timeoutMs?: number } = {}): LabInfo {
  const r = lab(['up', name, '--profile', profile], opts.timeoutMs ?? 180_000);
  if (r.code !== 0) fail(`scripts/lab up ${name} --profile ${profile}`, r);
  return labInfo(name);
}

/** Tear lab NAME down; safe on half-built or absent labs. */
export function labDown(name: string, opts: { timeoutMs?: number } = {}): void {
  const r = lab(['down', name], opts.timeoutMs ?? 90_000);
  if (r.code !== 0) fail(`scripts/lab down ${name}`, r);
}

/** "up" | "down" | "broken: reason" */
export function labStatus(name: string): string {
  return lab(['status', name], 15_000).stdout.trim();
}

/** The JSON written by `scripts/lab up` (readable without root). */
export function labInfo(name: string): LabInfo {
  const file = `${LAB_BASE}/${name}/info.json`;
  if (!existsSync(file)) throw new Error(`lab ${name} is not up (no ${file})`);
  return JSON.parse(readFileSync(file, 'utf8')) as LabInfo;
}

/** Run argv inside network namespace ns (`ip netns exec ns ...`). */
export function inNetns(ns: string, argv: readonly string[], opts: RunOptions = {}): RunResult {
  if (argv.length === 0) throw new Error('inNetns: empty argv');
  return run('ip', ['netns', 'exec', ns, ...argv], opts);
}

/** Same as inNetns, without blocking the event loop (for use next to a rendering Ink app). */
export function inNetnsAsync(ns: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (argv.length === 0) return Promise.reject(new Error('inNetns: empty argv'));
  return runAsync('ip', ['netns', 'exec', ns, ...argv], opts);
}

/** The docker CLI against the lab's own daemon. */
export function labDocker(name: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const docker = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
  return run(docker, args, {
    timeoutMs: opts.timeoutMs ?? 60_000,
    env: { ...process.env, ...opts.env, DOCKER_HOST: `unix://${LAB_BASE}/${name}/docker.sock` },
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

export interface ProbeResult {
  ok: boolean;
  status: number | null; // HTTP status, null when no response
  timedOut: boolean;
  exitCode: number | null; // curl's exit code (7 refused, 28 timeout)
}

function infoOf(labOrName: LabInfo | string): LabInfo {
  return typeof labOrName === 'string' ? labInfo(labOrName) : labOrName;
}

function hostPortUrl(to: string, path: string): string {
  // "198.51.100.1:8080", "[2001:db8:ff::1]:8080"
  if (!/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[a-zA-Z0-9.-]+):\d+$/.test(to)) throw new Error(`bad probe target ${to}`);
  return `http://${to}${path}`;
}

function probeArgs(url: string, from: string | undefined, timeoutMs: number): string[] {
  const args = ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', (timeoutMs / 1000).toFixed(3)];
  if (from) args.push('--interface', from);
  args.push(url);
  return args;
}

function probeResult(r: RunResult): ProbeResult {
  const code = Number.parseInt(r.stdout.trim(), 10);
  const status = Number.isFinite(code) && code > 0 ? code : null;
  const timedOut = r.timedOut || r.code === 28;
  return { ok: status !== null && status >= 200 && status < 400, status, timedOut, exitCode: r.code };
}

export interface HttpProbeOptions {
  /** source address (one of clientAddrs4/6); omit to let the kernel choose */
  from?: string;
  /** "host:port" or "[v6]:port" */
  to: string;
  timeoutMs?: number;
  path?: string;
  /** namespace to probe from; default the lab's client netns (use hostNetns for 127.0.0.1 probes) */
  netns?: string;
}

/** One HTTP GET with curl from the lab's client netns (by default). Never throws on network errors. */
export function httpProbe(labOrName: LabInfo | string, o: HttpProbeOptions): ProbeResult {
  const info = infoOf(labOrName);
  const timeoutMs = o.timeoutMs ?? 2_000;
  const argv = probeArgs(hostPortUrl(o.to, o.path ?? '/'), o.from, timeoutMs);
  return probeResult(inNetns(o.netns ?? info.clientNetns, argv, { timeoutMs: timeoutMs + 3_000 }));
}

export async function httpProbeAsync(labOrName: LabInfo | string, o: HttpProbeOptions): Promise<ProbeResult> {
  const info = infoOf(labOrName);
  const timeoutMs = o.timeoutMs ?? 2_000;
  const argv = probeArgs(hostPortUrl(o.to, o.path ?? '/'), o.from, timeoutMs);
  return probeResult(await inNetnsAsync(o.netns ?? info.clientNetns, argv, { timeoutMs: timeoutMs + 3_000 }));
}

export interface UdpProbeResult {
  ok: boolean;
  reply: string | null;
  timedOut: boolean;
}

/** One UDP datagram to the lab's udpecho service (e.g. port 5353), answered with "pong ping". */
export function udpProbe(
  labOrName: LabInfo | string,
  o: { from?: string; to: string; timeoutMs?: number; netns?: string },
): UdpProbeResult {
  const info = infoOf(labOrName);
  const m = /^\[?([0-9a-fA-F:.]+?)\]?:(\d+)$/.exec(o.to);
  if (!m) throw new Error(`bad udp target ${o.to}`);
  const timeoutMs = o.timeoutMs ?? 2_000;
  const argv = [`${info.stateDir}/udpecho`, m[1]!, m[2]!, o.from ?? '', String(timeoutMs)];
  const r = inNetns(o.netns ?? info.clientNetns, argv, { timeoutMs: timeoutMs + 3_000 });
  const ok = r.code === 0;
  return { ok, reply: ok ? r.stdout.trim() : null, timedOut: !ok };
}

/** HTTP from inside a container with busybox nc (busybox wget segfaults here). */
export function containerProbe(
  name: string,
  fromContainer: string,
  ip: string,
  port: number,
  opts: { timeoutSec?: number } = {},
): { ok: boolean; statusLine: string | null } {
  const t = opts.timeoutSec ?? 3;
  if (!/^[0-9a-fA-F:.]+$/.test(ip)) throw new Error(`bad ip ${ip}`);
  // the script is constant; ip/port/timeout travel as positional parameters, not interpolated text
  const script = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout "$3" nc "$1" "$2"`;
  const r = labDocker(name, ['exec', fromContainer, 'sh', '-c', script, 'probe', ip, String(port), String(t)], {
    timeoutMs: (t + 10) * 1000,
  });
  const first = r.stdout.split('\n')[0]?.trim() ?? '';
  return { ok: / 200 /.test(first), statusLine: first || null };
}

/** Bounded traffic from the client netns to every published port (foreground unless background). */
export function labTraffic(name: string, o: { seconds?: number; rps?: number; background?: boolean } = {}): RunResult {
  const seconds = Math.min(Math.max(1, Math.floor(o.seconds ?? 10)), 600);
  const rps = Math.min(Math.max(1, Math.floor(o.rps ?? 5)), 50);
  const argv = ['traffic', name, '--seconds', String(seconds), '--rps', String(rps)];
  if (o.background) argv.push('--background');
  return lab(argv, o.background ? 15_000 : (seconds + 20) * 1000);
}

/** Minimal shape of node:test's TestContext that we need. */
export interface SkippableTest {
  skip(message?: string): void;
}

let rootCheck: string | null | undefined;

/** Why the lab cannot run here, or null when it can (root, working `ip netns`, dockerd, curl). */
export function labUnavailableReason(): string | null {
  if (rootCheck !== undefined) return rootCheck;
  rootCheck = (() => {
    if (process.platform !== 'linux') return 'lab tests need Linux';
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'lab tests need root (run as root)';
    try {
      const r = run('ip', ['netns', 'list'], { timeoutMs: 5_000 });
      if (r.code !== 0) return `'ip netns list' is not usable: ${r.stderr.trim()}`;
    } catch (e) {
      return `'ip' is not available: ${(e as Error).message}`;
    }
    for (const bin of ['/usr/sbin/dockerd', '/usr/bin/curl', '/usr/bin/nsenter']) {
      if (!existsSync(bin)) return `${bin} is missing (see docs/lab.md for the packages)`;
    }
    return null;
  })();
  return rootCheck;
}

/**
 * Skip the test (with the reason) unless the lab can run here. Returns false when skipped:
 *   test('...', (t) => { if (!requireRoot(t)) return; ... })
 */
export function requireRoot(t: SkippableTest): boolean {
  const why = labUnavailableReason();
  if (why) {
    t.skip(why);
    return false;
  }
  return true;
}
