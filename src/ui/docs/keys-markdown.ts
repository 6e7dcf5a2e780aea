// The README's key table, generated from the one keymap so the documentation
// cannot drift from what the keys do (test/unit/readme-keys.test.ts checks
// the README against it; `npm run docs` rewrites it).
import { KEYMAP, type Command } from '../keymap.js';

const KEY_NAMES: Record<string, string> = {
  up: '↑',
  down: '↓',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  enter: 'Enter',
  escape: 'Esc',
  backspace: 'Backspace',
  tab: 'Tab',
  'shift+tab': 'Shift+Tab',
};

function keyLabel(k: string): string {
  if (KEY_NAMES[k]) return KEY_NAMES[k];
  if (k.startsWith('ctrl+')) return `Ctrl+${k.slice(5)}`;
  return k === '|' ? '\\|' : k;
}

function row(c: Command): string {
  const keys = c.keys.map((k) => `\`${keyLabel(k)}\``).join(' ');
  const notes = [c.changesFirewall ? 'changes the firewall; hidden by `--read-only`' : '', c.pending ? 'not available yet' : '']
    .filter(Boolean)
    .join('; ');
  return `| ${keys} | ${c.description.replace(/\|/g, '\\|')} | ${c.scope} | ${notes} |`;
}

export function keysMarkdown(): string {
  const lines = ['| keys | what it does | when | notes |', '|---|---|---|---|'];
  for (const c of KEYMAP) lines.push(row(c));
  return lines.join('\n');
}
