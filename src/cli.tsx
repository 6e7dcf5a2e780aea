#!/usr/bin/env node
// Entry point: argument parsing and mode choice. Subcommands live in
// src/commands/; this file only wires them to commander and maps errors to
// exit codes (see README "Exit codes").
import { Command, Option } from 'commander';
import { runStatus } from './commands/status.js';
import { runSnapshot } from './commands/snapshot.js';
import { EXIT, UsageError, exitCodeOf } from './commands/errors.js';
import type { SourceFlags } from './commands/source.js';
import { registerExplain } from './commands/explain.js';
import { registerFindings } from './commands/findings.js';
import { registerActionCommands } from './commands/actions/register.js';

const program = new Command();
// Options after a subcommand name belong to that subcommand (several share --netns etc.).
program.enablePositionalOptions();

function sourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--netns <name>', 'read the host inside this network namespace (ip netns exec NAME)'))
    .addOption(new Option('--docker-host <url>', 'Docker Engine API socket (unix:///path or a path)').env('DOCKER_HOST'))
    .addOption(new Option('--from <dir>', 'read a capture directory instead of the live host'));
}

program
  .name('portcullis')
  .description('Firewall manager for Docker hosts: see what iptables and conntrack do to each container, and change it safely.')
  .version('0.1.0');

sourceOptions(
  program
    .command('status')
    .description('print the firewall grouped by Docker network, container and published port')
    .option('--json', 'machine-readable output'),
).action(async (opts: SourceFlags & { json?: boolean }) => {
  await runStatus(opts);
});

sourceOptions(
  program
    .command('snapshot')
    .description('write a capture directory (every raw source, one file each) from the live host')
    .argument('<dir>', 'directory to write'),
).action(async (dir: string, opts: SourceFlags) => {
  await runSnapshot(dir, opts);
});

registerActionCommands(program);
registerExplain(program);
registerFindings(program);

sourceOptions(program)
  .addOption(new Option('--interval <seconds>', 'seconds between reads of counters and rules').default('2'))
  .option('--read-only', 'hide and disable every command that changes the firewall')
  .option('--theme <name|file>', 'a built-in or user theme name, or a theme JSON file')
  .option('--no-color', 'monochrome output (NO_COLOR is honoured too)')
  .option('--state-dir <dir>', 'journal and pending-change state (env PORTCULLIS_STATE_DIR, default /var/lib/portcullis)')
  .option('--confirm-timeout <seconds>', 'seconds before an unconfirmed change is rolled back (default 60)')
  .action(async (opts: SourceFlags & { interval: string; readOnly?: boolean; theme?: string; color?: boolean; stateDir?: string; confirmTimeout?: string }) => {
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      process.stderr.write(
        'portcullis: the interactive view needs a terminal (stdin and stdout are not a TTY).\n' +
          'For scripts and pipes use `portcullis status` (or `portcullis status --json`).\n',
      );
      process.exit(EXIT.usage);
    }
    // Loaded only for the TUI, so subcommands start without Ink and React.
    // React's development build (the default without NODE_ENV) checks and
    // logs every render: several times the CPU of the production build.
    process.env.NODE_ENV ??= 'production';
    // Ink draws only the final frame when CI or CONTINUOUS_INTEGRATION is set
    // (it reads them when first loaded). We have checked there is a terminal,
    // so an inherited CI variable must not blank the screen.
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
    const { runTui } = await import('./commands/tui.js');
    await runTui({
      netns: opts.netns,
      dockerHost: opts.dockerHost,
      from: opts.from,
      interval: opts.interval,
      readOnly: opts.readOnly,
      theme: opts.theme,
      noColor: opts.color === false,
      stateDir: opts.stateDir,
      confirmTimeout: opts.confirmTimeout,
    });
  });

program.exitOverride((err) => {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
  process.exit(EXIT.usage);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const code = exitCodeOf(e);
  const msg = e instanceof UsageError ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`portcullis: ${msg}\n`);
  process.exit(code);
}
