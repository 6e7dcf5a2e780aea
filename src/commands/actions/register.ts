// The guided actions' subcommands, wired by src/cli.tsx.
import type { Command } from 'commander';
import { registerBlockProxy } from './block-proxy.js';
import { registerConfirm, registerRollback } from './confirm.js';
import { registerExport } from './export.js';
import { registerIcc } from './icc.js';
import { registerJournal } from './journal.js';
import { registerLockdown } from './lockdown.js';
import { registerUndo } from './undo.js';
import { registerWhitelist } from './whitelist.js';

export function registerActionCommands(program: Command): void {
  registerWhitelist(program);
  registerBlockProxy(program);
  registerIcc(program);
  registerLockdown(program);
  registerConfirm(program);
  registerRollback(program);
  registerJournal(program);
  registerUndo(program);
  registerExport(program);
}
