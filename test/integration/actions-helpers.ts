// Helpers of the guided-action acceptance tests (actions-*.test.ts): the
// built CLI against a lab of the test's own, rule dumps without counters,
// bounded waits, long-lived TCP sessions between lab namespaces.
// Every iptables command here runs inside a lab namespace (ip netns exec).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { inNetns, type LabInfo } from '../helpers/lab.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli.js');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/** Build dist/ when it is older than src/ (the watchdog runs from dist). */
export function ensureBuilt(): void {
  const cli = join(ROOT, 'dist/cli.js');
  const wd = join(ROOT, 'dist/apply/watchdog.js');
  if (existsSync(cli) && existsSync(wd) && newest(join(ROOT, 'dist')) >= newest(join(ROOT, 'src'))) return;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 180_000 });
  } catch (e) {
    // Someone else's half-written file elsewhere in src/ must not stop these tests when dist/ exists.
    if (!existsSync(cli) || !existsSync(wd)) throw e;
    console.log(`# npm run build failed (${(e as Error).message.split('\n')[0]}); using the existing dist/`);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function labFlags(lab: LabInfo, stateDir: string): string[] {
  return ['--netns', lab.hostNetns, '--docker-host', lab.dockerHost, '--state-dir', stateDir];
}

/** Run the built CLI; never throws on a non-zero exit. */
export function cli(args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: o.timeoutMs ?? 60_000, maxBuffer: 32 << 20, env: { ...process.env, SSH_CONNECTION: '', ...o.env } },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: unknown }).code as number | null | undefined) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}

export async function cliOk(args: string[], o: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const r = await cli(args, o);
  if (r.code !== 0) throw new Error(`portcullis ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** `iptables-save` (no counters, no comment lines) of one family inside the lab. */
export function save(ns: string, family: 4 | 6, table?: string): string {
  const bin = family === 4 ? 'iptables-save' : 'ip6tables-save';
  const r = inNetns(ns, table ? [bin, '-t', table] : [bin], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`${bin} failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

/** The dump without anything Portcullis owns (its chains and the jumps into them). */
export function withoutOwned(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/PORTCULLIS-/.test(l))
    .join('\n');
}

export function ownedLines(text: string): string[] {
  return text.split('\n').filter((l) => /PORTCULLIS-/.test(l));
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- long-lived TCP sessions

const SERVER_JS = `
const net = require('net');
const [host, port] = process.argv.slice(1);
const srv = net.createServer((s) => { s.on('error', () => {}); s.pipe(s); });
srv.listen(Number(port), host, () => console.log('listening'));
setTimeout(() => process.exit(0), 300000).unref();
`;

const HTTP_JS = `
const http = require('http');
const [host, port] = process.argv.slice(1);
http.createServer((q, r) => r.end('ok\\n')).listen(Number(port), host, () => console.log('listening'));
setTimeout(() => process.exit(0), 300000).unref();
`;

/** A TCP echo (or tiny HTTP) server inside a lab namespace. */
export async function startServer(ns: string, host: string, port: number, kind: 'echo' | 'http' = 'echo'): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', kind === 'echo' ? SERVER_JS : HTTP_JS, host, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start')), 10_000);
    child.stdout!.once('data', () => {
      clearTimeout(t);
      resolve();
    });
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return child;
}

const PINGER_JS = `
const net = require('net');
const [host, port, from] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), localAddress: from || undefined });
let n = 0, got = 0, buf = '';
s.on('connect', () => { console.log('connected'); setInterval(() => s.write('ping ' + (n++) + '\\n'), 100); });
s.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\\n')) >= 0) { buf = buf.slice(i + 1); got++; console.log('echo ' + got); } });
s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
s.on('close', () => { console.log('closed'); process.exit(1); });
setTimeout(() => process.exit(0), 240000).unref();
`;

export interface Session {
  /** Echoes received so far. */
  echoes(): number;
  closed(): boolean;
  stop(): void;
}

/** A long-lived TCP connection from `ns` (source `from`) that sends a line every 100 ms and counts the echoes. */
export async function openSession(ns: string, host: string, port: number, from?: string): Promise<Session> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', PINGER_JS, host, String(port), from ?? ''], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let echoes = 0;
  let closed = false;
  let connected = false;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l === 'connected') connected = true;
    else if (l.startsWith('echo ')) echoes = Number(l.slice(5));
    else closed = true;
  });
  child.once('exit', () => (closed = true));
  await waitFor(`session to ${host}:${port}`, () => (connected && echoes > 0) || closed, 10_000);
  if (closed) throw new Error(`session to ${host}:${port} failed`);
  return { echoes: () => echoes, closed: () => closed, stop: () => child.kill('SIGKILL') };
}
