// End to end: the real binary in tmux against the Docker lab (root only).
// Brings lab "e2e" up, runs `portcullis --netns pcl-e2e --docker-host ...
// --interval 1` in a 100x30 tmux pane, and drives it with send-keys while
// reading the screen with capture-pane (polling with deadlines, no fixed
// sleeps): the lab's containers and ports appear, a port's rate rises under
// real traffic, "/" + a container name filters to it, "?" shows help, "q"
// exits and gives the shell back. The session and the lab are removed in
// after(), whatever happened.
//
// Builds nothing: it runs `node dist/cli.js` when the build routes the
// default action to the TUI, else scripts/e2e-tui-main.tsx (same flags,
// through tsx) until src/cli.tsx is wired.
import assert from 'node:assert/strict';
import { tmuxPane } from '../helpers/tmux.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAB = 'e2e';
const SESSION = 'pcl-e2e-tui';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const sh = (file: string, args: string[], timeoutMs = 60_000) =>
  execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
const lab = (...args: string[]) => sh('bash', ['scripts/lab', ...args], 300_000);
const { tmux, keys, literal, waitScreen } = tmuxPane(SESSION);

function command(): string {
  const dist = path.join(ROOT, 'dist/cli.js');
  if (existsSync(dist) && readFileSync(dist, 'utf8').includes('runTui')) return `node ${dist}`;
  return `node --import tsx ${path.join(ROOT, 'scripts/e2e-tui-main.tsx')}`;
}

interface LabInfo {
  hostNetns: string;
  dockerHost: string;
  containers: Array<{ name: string; bindings: Array<{ hostIp: string; hostPort: number; proto: string }> | null }>;
}

/** The PKT/S value on the overview row of NAME's host port (null when not on screen or "-"). */
function rateOf(s: string, name: string, port: number): number | null {
  const line = s.split('\n').find((l) => new RegExp(`^..${name}\\s+0\\.0\\.0\\.0:${port}\\s`).test(l));
  const m = line ? /→ \S+\s+([\d.]+)([kM]?)/.exec(line) : null;
  if (!m || !m[1]) return null;
  return Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1);
}

describe('portcullis TUI against the lab', { skip: isRoot ? false : 'needs root (lab in a netns)' }, () => {
  let info: LabInfo;
  let traffic: ChildProcess | null = null;

  before(() => {
    lab('up', LAB);
    info = JSON.parse(lab('info', LAB)) as LabInfo;
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // no leftover session
    }
    // A plain shell in the pane, so "the shell is back" is visible after q.
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '30', 'env -u CI -u NO_COLOR PS1="E2E-SHELL$ " TERM=xterm-256color bash --norc --noprofile');
  });

  after(() => {
    if (traffic && traffic.exitCode === null) traffic.kill('SIGTERM');
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // already gone
    }
    lab('down', LAB);
  });

  it('shows the lab, live rates, filters, help, and quits cleanly', async () => {
    await waitScreen((s) => s.includes('E2E-SHELL$'), 'the shell prompt');
    literal(`cd ${ROOT} && ${command()} --netns ${info.hostNetns} --docker-host ${info.dockerHost} --interval 1; echo "EXIT=$?"`);
    keys('Enter');

    // Containers and their published ports appear.
    const published = info.containers.filter((c) => c.bindings?.some((b) => b.hostIp === '0.0.0.0' && b.proto === 'tcp'));
    assert.ok(published.length >= 3, 'the lab publishes ports');
    const first = await waitScreen((s) => s.includes('CONTAINER') && s.includes('0.0.0.0:8080') && /web\s+0\.0\.0\.0:8080/.test(s), 'overview with the lab');
    const visible = published.filter((c) => c.bindings?.some((b) => new RegExp(`${c.name}\\s+0\\.0\\.0\\.0:${b.hostPort}\\s`).test(first)));
    assert.ok(visible.length >= 3, `containers with their ports on screen: ${visible.map((c) => c.name).join(' ')}\n${first}`);
    assert.match(first, new RegExp(`netns ${info.hostNetns}`));

    // Real traffic: the web port's rate rises.
    const before = rateOf(first, 'web', 8080) ?? 0;
    traffic = spawn('bash', ['scripts/lab', 'traffic', LAB, '--seconds', '8', '--rps', '10'], { cwd: ROOT, stdio: 'ignore' });
    const busy = await waitScreen((s) => (rateOf(s, 'web', 8080) ?? 0) > before, 'web:8080 rate rising', 25_000);
    assert.ok((rateOf(busy, 'web', 8080) ?? 0) > 0);

    // Filter to one container.
    literal('/app1');
    keys('Enter');
    const filtered = await waitScreen((s) => s.includes('filter: app1'), 'filtered overview');
    const portRows = filtered.split('\n').filter((l) => /\s(\d{1,3}\.){3}\d{1,3}:\d+\s|\[[0-9a-f:]*\]:\d+\s/.test(l) && /(tcp|udp) →/.test(l));
    assert.ok(portRows.length >= 1, filtered);
    for (const l of portRows) assert.match(l, /app1/);
    assert.doesNotMatch(filtered, /web\s+0\.0\.0\.0:8080/);

    // Help, then close it.
    literal('?');
    const help = await waitScreen((s) => s.includes('esc or ? closes'), 'help screen');
    assert.match(help, /Quit/);
    literal('?');
    await waitScreen((s) => s.includes('filter: app1') && !s.includes('esc or ? closes'), 'help closed');

    // Quit: the process ends and the shell is back.
    literal('q');
    const done = await waitScreen((s) => s.includes('EXIT=0') && /E2E-SHELL\$\s*$/m.test(s), 'shell back after q', 15_000);
    assert.doesNotMatch(done, /Portcullis │/, 'the alternate screen is gone');
    const panePid = tmux('display-message', '-p', '-t', SESSION, '#{pane_pid}').trim();
    let children = '';
    try {
      children = sh('pgrep', ['-P', panePid]).trim();
    } catch {
      children = ''; // pgrep exits 1 when nothing matches
    }
    assert.equal(children, '', 'no process left under the pane shell');
  });

  it('SIGTERM restores the terminal too', async () => {
    keys('C-l');
    literal(`${command()} --netns ${info.hostNetns} --docker-host ${info.dockerHost} --interval 1; echo "EXIT=$?"`);
    keys('Enter');
    await waitScreen((s) => /web\s+0\.0\.0\.0:8080/.test(s), 'overview again');
    const panePid = tmux('display-message', '-p', '-t', SESSION, '#{pane_pid}').trim();
    const pid = sh('pgrep', ['-P', panePid]).trim().split('\n')[0] ?? '';
    assert.match(pid, /^\d+$/);
    process.kill(Number(pid), 'SIGTERM');
    const done = await waitScreen((s) => s.includes('EXIT=143') && /E2E-SHELL\$\s*$/m.test(s), 'shell back after SIGTERM', 15_000);
    assert.doesNotMatch(done, /Portcullis │/);
  });
});
