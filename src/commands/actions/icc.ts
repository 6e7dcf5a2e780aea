// `portcullis icc --bridge NAME on|off`: inter-container communication on one
// bridge, toggled at runtime with a rule in PORTCULLIS-FWD (top of
// DOCKER-USER), which Docker does not rewrite when it restarts.
import { Option, type Command } from 'commander';
import { planIcc } from '../../core/plan/actions.js';
import { PlanError } from '../../core/plan/types.js';
import { readProcSys } from '../../apply/host.js';
import { UsageError } from '../errors.js';
import { addActionOptions, handled, loadHost, runPlanned, type ActionFlags } from './common.js';

type Flags = ActionFlags & { bridge?: string };

/**
 * Rules on `-i br -o br` see container-to-container packets only when the
 * bridge hands them to iptables: br_netfilter loaded and
 * net.bridge.bridge-nf-call-ip(6)tables = 1 (read inside the namespace).
 */
export async function checkBrNetfilter(netns: string | undefined, families: Array<4 | 6>): Promise<void> {
  for (const fam of families) {
    const key = fam === 4 ? 'bridge-nf-call-iptables' : 'bridge-nf-call-ip6tables';
    const v = await readProcSys(`/proc/sys/net/bridge/${key}`, { netns });
    if (v === null) {
      throw new PlanError(
        'refused',
        'br_netfilter is not loaded (no /proc/sys/net/bridge): traffic between containers on one bridge is switched by the bridge and never reaches iptables, so an ICC rule would do nothing. Load it (modprobe br_netfilter) and set net.bridge.bridge-nf-call-iptables=1 first',
      );
    }
    if (v !== '1') {
      throw new PlanError(
        'refused',
        `net.bridge.${key} is ${v}: bridged container-to-container traffic bypasses ${fam === 4 ? 'iptables' : 'ip6tables'}, so an ICC rule would do nothing. Set it to 1 (sysctl -w net.bridge.${key}=1) first`,
      );
    }
  }
}

export function registerIcc(program: Command): void {
  const cmd = program
    .command('icc')
    .description('turn inter-container communication on one Docker bridge on or off at runtime')
    .argument('<state>', 'on or off')
    .addOption(new Option('--bridge <name>', 'Docker bridge (docker0, br-<id>)').makeOptionMandatory());
  addActionOptions(cmd);
  cmd.action(
    handled(async (state: string, f: Flags) => {
      if (state !== 'on' && state !== 'off') throw new UsageError(`icc ${JSON.stringify(state)}: say on or off`);
      const bridge = f.bridge ?? '';
      await runPlanned(f, async () => {
        const { input } = await loadHost(f);
        const plan = planIcc(input, { kind: 'icc', bridge, enabled: state === 'on' });
        // A DROP that the kernel would never consult is worse than nothing: check before offering it.
        const dropping = plan.families.filter((fp) => (fp.after['PORTCULLIS-FWD'] ?? []).some((r) => r.includes(`portcullis:icc:${bridge}"`) && r.endsWith('-j DROP')));
        if (dropping.length) await checkBrNetfilter(f.netns, dropping.map((fp) => fp.family));
        return plan;
      });
    }),
  );
}
