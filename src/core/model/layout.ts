// Which generation of Docker's iptables code wrote a ruleset, and which
// backend (nft or legacy) holds Docker's chains for each family.
import type { Backend, Family, Ruleset } from '../types.js';
import type { FamilyInfo, LayoutGeneration } from './types.js';

export function chainNames(rs: Ruleset): Set<string> {
  const names = new Set<string>();
  for (const t of rs.tables) for (const c of t.chains) names.add(`${t.name}/${c.name}`);
  return names;
}

function hasDockerChains(rs: Ruleset): boolean {
  for (const t of rs.tables) for (const c of t.chains) if (c.name === 'DOCKER' || c.name.startsWith('DOCKER-')) return true;
  return false;
}

export function detectLayout(rs: Ruleset | undefined): LayoutGeneration {
  if (!rs) return 'none';
  const names = chainNames(rs);
  const has = (n: string) => names.has(`filter/${n}`);
  // 28.0.0 drove FORWARD through the docker-ext-bridges-v4/v6 ipsets.
  const usesIpset = rs.tables.some((t) =>
    t.chains.some(
      (c) => (c.name === 'FORWARD' || c.name.startsWith('DOCKER')) && c.rules.some((r) => r.modules.includes('set') && /docker-ext-bridges/.test(r.text)),
    ),
  );
  if (has('DOCKER-INTERNAL')) return 'internal-29';
  if (usesIpset) return 'ipset';
  if (has('DOCKER-FORWARD') || has('DOCKER-CT') || has('DOCKER-BRIDGE')) return 'forward-chains';
  if (has('DOCKER-ISOLATION-STAGE-1')) return 'isolation-stage';
  if (has('DOCKER-ISOLATION')) return 'isolation-single';
  if (!hasDockerChains(rs)) return 'none';
  return 'unknown';
}

function policyOf(rs: Ruleset | undefined, table: string, chain: string): string | null {
  const t = rs?.tables.find((x) => x.name === table);
  return t?.chains.find((c) => c.name === chain)?.policy ?? null;
}

/**
 * Per family: the ruleset Docker writes to (the one holding DOCKER chains;
 * nft when both or neither do), its layout and the FORWARD policy.
 */
export function familyInfo(rulesets: Ruleset[]): { infos: FamilyInfo[]; primary: Map<Family, Ruleset> } {
  const infos: FamilyInfo[] = [];
  const primary = new Map<Family, Ruleset>();
  for (const family of [4, 6] as const) {
    const sets = rulesets.filter((r) => r.family === family);
    if (sets.length === 0) continue;
    const withDocker = sets.filter(hasDockerChains);
    const pick =
      withDocker.find((r) => r.backend === 'nft') ?? withDocker[0] ?? sets.find((r) => r.backend === 'nft') ?? sets[0];
    if (pick) primary.set(family, pick);
    infos.push({
      family,
      swarm: pick !== undefined && chainNames(pick).has('nat/DOCKER-INGRESS'),
      backend: (withDocker.length > 0 ? pick?.backend : null) ?? null,
      layout: detectLayout(withDocker.length > 0 ? pick : undefined),
      backends: sets.map((r) => r.backend as Backend),
      forwardPolicy: policyOf(pick, 'filter', 'FORWARD'),
    });
  }
  return { infos, primary };
}
