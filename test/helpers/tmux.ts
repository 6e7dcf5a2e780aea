// Driving a program in a tmux pane for end-to-end tests: keys in with
// send-keys, the screen out with capture-pane, and a bounded wait for a
// screen that satisfies a predicate (no sleeps standing in for conditions).
import { execFileSync } from 'node:child_process';

export function tmuxPane(session: string) {
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k);
  const literal = (text: string) => tmux('send-keys', '-t', session, '-l', text);
  async function waitScreen(pred: (s: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = screen();
      if (pred(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { tmux, screen, keys, literal, waitScreen };
}
