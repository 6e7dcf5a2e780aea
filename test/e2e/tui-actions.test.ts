// End to end: a guided action applied from the TUI in the Docker lab, proved
// with real traffic (root only). Brings up lab "tact" (its own: its
// firewall gets changed), runs the TUI from source (through tsx, so it is
// the code under test, not an old dist/) with `--netns pcl-tact` in a tmux
// pane, and drives it with send-keys while reading the screen with
// capture-pane (polling with deadlines, no fixed sleeps):
//   select web's 0.0.0.0:8080, w, type 198.51.100.10/32, enter (preview),
//   enter (apply), y (keep)
// then 198.51.100.10 gets 200 from web, 198.51.100.11 times out, and the
// journal (a temp state dir, PORTCULLIS_STATE_DIR) has the transaction
// applied and confirmed. Only the lab's namespace is touched; the session,
// the lab and the state dir are removed in after(), whatever happened.
import assert from 'node:assert/strict';
import { tmuxPane } from '../helpers/tmux.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { httpProbe, labDown, labUnavailableReason, labUp, type LabInfo } from '../helpers/lab.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAB = 'tact';
const SESSION = 'pcl-e2e-tui-act';
const skip = labUnavailableReason();

const { tmux, keys, literal, waitScreen } = tmuxPane(SESSION);

const selected = (s: string) => s.split('\n').find((l) => l.startsWith('>')) ?? '';
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface JournalLine {
  id: string;
  event: string;
  outcome: string;
  intent?: { kind: string; allow?: string[] };
}

describe('TUI guided action against the lab', { skip: skip ?? false }, () => {
  let lab: LabInfo;
  let state = '';

  before(() => {
    lab = labUp(LAB, 'main');
    state = mkdtempSync(path.join(tmpdir(), 'pcl-e2e-act-'));
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // no leftover session
    }
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '30', 'env -u CI -u NO_COLOR -u SSH_CONNECTION PS1="E2E-SHELL$ " TERM=xterm-256color bash --norc --noprofile');
  });

  after(() => {
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // already gone
    }
    try {
      labDown(LAB);
    } finally {
      if (state) rmSync(state, { recursive: true, force: true });
    }
  });

  it('w on web:8080, allow 198.51.100.10/32, preview, apply, y: only that client gets through, journaled as confirmed', async () => {
    const host = `${lab.hostAddr4}:8080`;
    const [allowed, other] = ['198.51.100.10', '198.51.100.11'];
    assert.ok(lab.clientAddrs4.includes(allowed) && lab.clientAddrs4.includes(other), `lab clients: ${lab.clientAddrs4.join(' ')}`);
    assert.equal(httpProbe(lab, { from: other, to: host }).status, 200, 'everyone reaches web before');

    await waitScreen((s) => s.includes('E2E-SHELL$'), 'the shell prompt');
    const entry = path.join(ROOT, 'scripts/e2e-tui-main.tsx');
    literal(
      `cd ${shq(ROOT)} && PORTCULLIS_STATE_DIR=${shq(state)} node --import tsx ${shq(entry)} --netns ${lab.hostNetns} --docker-host ${shq(lab.dockerHost)} --interval 1; echo "EXIT=$?"`,
    );
    keys('Enter');
    await waitScreen((s) => /web\s+0\.0\.0\.0:8080/.test(s) && s.includes('CONTAINER'), 'overview with the lab', 45_000);

    literal('/8080');
    keys('Enter');
    await waitScreen((s) => /web\s+0\.0\.0\.0:8080/.test(selected(s)), 'web:8080 selected');

    literal('w');
    const dialog = await waitScreen((s) => s.includes('Allowed sources'), 'the whitelist dialog');
    assert.match(dialog, /Whitelist 8080\/tcp \(web\)/);
    literal(`${allowed}/32`);
    await waitScreen((s) => s.includes(`> ${allowed}/32▏`), 'the CIDR typed');
    keys('Enter');
    const preview = await waitScreen((s) => s.includes('Preview: Whitelist 8080/tcp (web)') && s.includes(`+-A PORTCULLIS-FWD -s ${allowed}/32`), 'the diff preview', 30_000);
    assert.match(preview, new RegExp(`enter applies to netns ${lab.hostNetns}`));
    assert.equal(httpProbe(lab, { from: other, to: host }).status, 200, 'nothing applied by the preview');

    keys('Enter');
    const pending = await waitScreen((s) => /rolled back in \d+ s/.test(s), 'applied, awaiting confirmation', 30_000);
    const tx = /Applied (\S+): keep it\?/.exec(pending)?.[1] ?? '';
    assert.match(tx, /^\d{8}-\d{6}-[0-9a-f]{4}$/, pending);

    literal('y');
    await waitScreen((s) => s.includes(`Kept: ${tx}`), 'kept', 30_000);

    // Real traffic: the allowed client is served, another one is dropped.
    assert.equal(httpProbe(lab, { from: allowed, to: host }).status, 200, `${allowed} is allowed`);
    const denied = httpProbe(lab, { from: other, to: host, timeoutMs: 1500 });
    assert.equal(denied.ok, false);
    assert.ok(denied.timedOut, `${other} times out (DROP)`);

    // The journal: applied, then confirmed; nothing pending.
    const dir = path.join(state, `netns-${lab.hostNetns}`);
    const journal = readFileSync(path.join(dir, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JournalLine)
      .filter((e) => e.id === tx);
    assert.deepEqual(journal.map((e) => `${e.event}:${e.outcome}`), ['apply:applied', 'confirm:confirmed']);
    assert.equal(journal[0]?.intent?.kind, 'whitelist');
    assert.deepEqual(journal[0]?.intent?.allow, [`${allowed}/32`]);
    assert.equal(existsSync(path.join(dir, 'pending.json')), false, 'nothing awaits confirmation');

    // The view was read again after the change: web's row is marked (a Portcullis DROP on its path).
    keys('Escape');
    await waitScreen((s) => !s.includes('Kept:') && /^>X\s*web\s+0\.0\.0\.0:8080/m.test(s), 'back on the overview, web marked', 15_000);
    literal('q');
    await waitScreen((s) => s.includes('EXIT=0') && /E2E-SHELL\$\s*$/m.test(s), 'shell back after q', 15_000);
  });
});
