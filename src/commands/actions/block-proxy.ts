// `portcullis block-proxy --port 8080 [--loopback] [--off]`: drop new
// connections that would reach the docker-proxy listener through INPUT.
import { Option, type Command } from 'commander';
import { planBlockProxy } from '../../core/plan/actions.js';
import { addActionOptions, handled, loadHost, runPlanned, type ActionFlags } from './common.js';
import { addPortOptions, selectorOf, type PortFlags } from './whitelist.js';

type Flags = ActionFlags & PortFlags & { loopback?: boolean; off?: boolean };

export function registerBlockProxy(program: Command): void {
  const cmd = program
    .command('block-proxy')
    .description('drop new connections to a published host port that would reach docker-proxy through INPUT (external interfaces, IPv6 to IPv4-only networks; loopback with --loopback)');
  addPortOptions(cmd);
  cmd
    .addOption(new Option('--loopback', 'block loopback (127.0.0.1 / ::1 on the host) too'))
    .addOption(new Option('--off', 'remove the block'));
  addActionOptions(cmd);
  cmd.action(
    handled(async (f: Flags) => {
      const sel = selectorOf(f);
      await runPlanned(f, async () => {
        const { input } = await loadHost(f);
        return planBlockProxy(input, { kind: 'proxy', port: sel, loopback: f.loopback === true, off: f.off === true });
      });
    }),
  );
}
