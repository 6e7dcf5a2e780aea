// `portcullis lockdown [--allow CIDR ...] [--off]`: emergency stop for every
// published port, in one transaction per family. The operator's own SSH
// client (SSH_CONNECTION) stays allowed; established flows are kept.
import { Option, type Command } from 'commander';
import { planLockdown } from '../../core/plan/actions.js';
import { sshClientOf } from '../../apply/state.js';
import { addActionOptions, collect, handled, loadHost, runPlanned, type ActionFlags } from './common.js';

type Flags = ActionFlags & { allow?: string[]; off?: boolean };

export function registerLockdown(program: Command): void {
  const cmd = program
    .command('lockdown')
    .description('drop new inbound connections to every published port (forwarded and docker-proxy paths), except --allow sources and your SSH client; --off lifts it')
    .addOption(new Option('--allow <cidr>', 'source still allowed (repeat for more)').argParser(collect))
    .addOption(new Option('--off', 'lift the lockdown (the other Portcullis rules stay)'));
  addActionOptions(cmd);
  cmd.action(
    handled(async (f: Flags) => {
      await runPlanned(
        f,
        async () => {
          const { input } = await loadHost(f);
          return planLockdown(input, { kind: 'lockdown', allow: f.allow ?? [], off: f.off === true, ssh: sshClientOf(process.env.SSH_CONNECTION) });
        },
        f.off ? {} : { typedWord: 'LOCKDOWN' },
      );
    }),
  );
}
