// `portcullis whitelist --port 8080 [--proto tcp] [--host-ip IP] [--container NAME] --allow CIDR [--allow CIDR ...] | --clear`
import { Option, type Command } from 'commander';
import { planWhitelist } from '../../core/plan/actions.js';
import { UsageError } from '../errors.js';
import { addActionOptions, collect, handled, loadHost, parsePortArg, runPlanned, type ActionFlags } from './common.js';

export interface PortFlags {
  port?: string;
  proto?: string;
  hostIp?: string;
  container?: string;
}

export function addPortOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--port <port>', 'published host port').makeOptionMandatory())
    .addOption(new Option('--proto <proto>', 'tcp, udp or sctp (when the port is published for several)'))
    .addOption(new Option('--host-ip <ip>', 'host address the port is bound to (when bound to several)'))
    .addOption(new Option('--container <name>', 'container publishing the port (when several do)'));
}

export function selectorOf(f: PortFlags) {
  return {
    port: parsePortArg(f.port),
    ...(f.proto !== undefined ? { proto: f.proto } : {}),
    ...(f.hostIp !== undefined ? { hostIp: f.hostIp } : {}),
    ...(f.container !== undefined ? { container: f.container } : {}),
  };
}

type Flags = ActionFlags & PortFlags & { allow?: string[]; clear?: boolean };

export function registerWhitelist(program: Command): void {
  const cmd = program
    .command('whitelist')
    .description('allow new forwarded connections to a published port only from the given sources (others dropped; established flows kept)');
  addPortOptions(cmd);
  cmd
    .addOption(new Option('--allow <cidr>', 'allowed source address or CIDR (repeat for more); replaces the current list').argParser(collect))
    .addOption(new Option('--clear', 'remove the restriction'));
  addActionOptions(cmd);
  cmd.action(
    handled(async (f: Flags) => {
      const allow = f.allow ?? [];
      if (allow.length === 0 && !f.clear) throw new UsageError('--allow: give at least one source address or CIDR (or --clear to remove the restriction)');
      if (allow.length > 0 && f.clear) throw new UsageError('--clear removes the whole list; it cannot be combined with --allow');
      const sel = selectorOf(f);
      await runPlanned(f, async () => {
        const { input } = await loadHost(f);
        return planWhitelist(input, { kind: 'whitelist', port: sel, allow });
      });
    }),
  );
}
