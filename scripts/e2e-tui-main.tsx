// Stand-in entry for the end-to-end test while src/cli.tsx does not yet
// route the default action to runTui: the same flags, straight to runTui.
// Once `node dist/cli.js` opens the TUI, the e2e test uses that instead.
import { Command } from 'commander';
import { runTui, type TuiOptions } from '../src/commands/tui.js';

const program = new Command()
  .option('--netns <name>')
  .option('--docker-host <url>')
  .option('--from <dir>')
  .option('--interval <seconds>')
  .option('--read-only')
  .option('--theme <name|file>')
  .option('--no-color');
program.parse(process.argv);
const o = program.opts<{ netns?: string; dockerHost?: string; from?: string; interval?: string; readOnly?: boolean; theme?: string; color?: boolean }>();
const opts: TuiOptions = { netns: o.netns, dockerHost: o.dockerHost, from: o.from, interval: o.interval, readOnly: o.readOnly, theme: o.theme, noColor: o.color === false };
try {
  await runTui(opts);
} catch (e) {
  process.stderr.write(`portcullis: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
