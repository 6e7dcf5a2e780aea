// Snapshot -> HostModel: the join described in architecture.md. Works from
// any subset of the sources; what is missing becomes a warning, not an error.
import type { CaptureFile, Family, Rule, Ruleset, Snapshot } from '../types.js';
import { contains } from '../net/addr.js';
import { buildBridges } from './bridges.js';
import { buildContainers } from './containers.js';
import { flowsOfPorts } from './flows.js';
import { familyInfo } from './layout.js';
import { buildPath, indexChains, indexPaths, type PathIndex } from './path.js';
import { provenanceOf } from './provenance.js';
import { joinPublished, publishedFromRules } from './published.js';
import type { BridgeModel, DirectAccess, HostModel, PublishedPort, RuleRef } from './types.js';
import type { DockerContainer } from '../types.js';
import { hostOf } from '../net/addr.js';
import { optionValue } from './match.js';

/** Stable identity of a rule across refreshes: its place by content, not by position. */
export function ruleKeyPrefix(r: Rule): string {
  return `${r.family}/${r.backend}/${r.table}/${r.chain}/${r.text}`;
}

function buildRuleRefs(rulesets: Ruleset[], dockerBridges: ReadonlySet<string>): { refs: RuleRef[]; byRule: Map<Rule, RuleRef> } {
  const refs: RuleRef[] = [];
  const byRule = new Map<Rule, RuleRef>();
  for (const rs of rulesets) {
    for (const t of rs.tables) {
      for (const c of t.chains) {
        // ruleKeyPrefix(rule) is the same for every rule of a chain (their
        // family/backend/table/chain are the chain's): built once per run of
        // equal fields, and occurrences counted by text within it.
        let prefix = '';
        let seen: Map<string, number> | null = null;
        let f: number | null = null, b: string | null = null, tn: string | null = null, cn: string | null = null;
        const groups = new Map<string, Map<string, number>>();
        for (const rule of c.rules) {
          if (rule.family !== f || rule.backend !== b || rule.table !== tn || rule.chain !== cn) {
            f = rule.family;
            b = rule.backend;
            tn = rule.table;
            cn = rule.chain;
            prefix = `${f}/${b}/${tn}/${cn}/`; // ruleKeyPrefix without the text
            seen = groups.get(prefix) ?? null;
            if (seen === null) groups.set(prefix, (seen = new Map()));
          }
          const n = seen!.get(rule.text) ?? 0;
          seen!.set(rule.text, n + 1);
          const ref: RuleRef = { key: `${prefix}${rule.text}#${n}`, rule, provenance: provenanceOf(rule, dockerBridges) };
          refs.push(ref);
          byRule.set(rule, ref);
        }
      }
    }
  }
  return { refs, byRule };
}

const SOURCE_LABEL: Partial<Record<CaptureFile, string>> = {
  'iptables-save.txt': 'IPv4 rules (nft)',
  'ip6tables-save.txt': 'IPv6 rules (nft)',
  'conntrack.txt': 'conntrack flows',
  'ip-link.json': 'interfaces',
  'ip-addr.json': 'addresses',
  'containers.json': 'Docker containers',
  'networks.json': 'Docker networks',
  'docker-proxy.txt': 'docker-proxy listeners',
};

export function buildModel(snap: Snapshot): HostModel {
  const warnings: string[] = [];
  for (const [file, why] of Object.entries(snap.meta.unavailable)) {
    const label = SOURCE_LABEL[file as CaptureFile];
    if (label) warnings.push(`${label} unavailable: ${why}`);
  }

  const { infos, primary } = familyInfo(snap.rulesets);
  const dockerBridges = new Set<string>();
  for (const n of snap.networks ?? []) if (n.bridge) dockerBridges.add(n.bridge);

  const { refs, byRule } = buildRuleRefs(snap.rulesets, dockerBridges);
  const layoutOf = (f: Family) => infos.find((i) => i.family === f)?.layout ?? 'none';
  // Only the rulesets Docker writes to describe bridges; the other backend may hold stale copies.
  const bridgeRulesets = [...primary.values()];
  const bridges = buildBridges(bridgeRulesets, snap.networks, snap.links, layoutOf, warnings);

  const bridgeOfIp = bridgeLookup(bridges);
  const primaryRefs = refs.filter((r) => primary.get(r.rule.family) === rulesetOf(snap.rulesets, r.rule));
  const published = joinPublished(publishedFromRules(primaryRefs), snap.containers, snap.proxies, bridgeOfIp, warnings);

  const bridgeNames = new Set(bridges.map((b) => b.name));
  const indexes = new Map<Family, PathIndex>();
  for (const [f, rs] of primary) indexes.set(f, indexPaths(indexChains(rs), bridgeNames));
  const refOf = (r: Rule): RuleRef => byRule.get(r) ?? { key: ruleKeyPrefix(r), rule: r, provenance: 'unknown' };
  const portFlows = flowsOfPorts(published, snap.flows ?? []);
  for (let k = 0; k < published.length; k++) {
    const p = published[k]!;
    p.path = buildPath(p, primary.get(p.family), indexes.get(p.family), refOf);
    p.flows = portFlows[k]!;
  }

  const containers = buildContainers(snap.containers, snap.networks, snap.links, snap.containerIfaces);
  const directAccess = findDirectAccess(primaryRefs, published, bridgeOfIp, snap.containers);

  for (const info of infos) {
    if (info.backends.length > 1) {
      const legacy = snap.rulesets.find((r) => r.family === info.family && r.backend === 'legacy');
      if (legacy && legacy.tables.some((t) => t.chains.some((c) => c.rules.length > 0)))
        warnings.push(`IPv${info.family}: rules exist in both iptables-nft and iptables-legacy; Docker uses ${info.backend ?? 'neither'}`);
    }
  }
  if (snap.rulesets.length === 0) warnings.push('no iptables rules could be read: published ports come from Docker and docker-proxy only');
  if (!snap.containers) warnings.push('Docker state unknown: names come from rules only (container = null)');

  return {
    families: infos,
    bridges,
    containers,
    published,
    directAccess,
    rules: refs,
    warnings,
    ...snapshotFields(snap),
  };
}

function rulesetOf(rulesets: Ruleset[], r: Rule): Ruleset | undefined {
  return rulesets.find((rs) => rs.family === r.family && rs.backend === r.backend);
}

export function bridgeForIp(bridges: BridgeModel[], ip: string): string | null {
  for (const b of bridges) for (const s of b.subnets) if (contains(s, ip)) return b.name;
  return null;
}

/**
 * bridgeForIp for many addresses: the first bridge (in model order) whose
 * subnet holds the address, memoised per address (thousands of published
 * ports ask about the same few hundred subnets).
 */
export function bridgeLookup(bridges: BridgeModel[]): (ip: string) => string | null {
  const memo = new Map<string, string | null>();
  return (ip) => {
    let b = memo.get(ip);
    if (b === undefined) {
      b = bridgeForIp(bridges, ip);
      memo.set(ip, b);
    }
    return b;
  };
}


/** Docker ACCEPTs for a container address and port that no DNAT rule leads to. */
function findDirectAccess(
  refs: RuleRef[],
  published: PublishedPort[],
  bridgeOfIp: (ip: string) => string | null,
  containers: DockerContainer[] | null,
): DirectAccess[] {
  const viaDnat = new Set(published.map((p) => `${p.proto}/${p.containerIp}/${p.containerPort}`));
  const out: DirectAccess[] = [];
  for (const ref of refs) {
    const r = ref.rule;
    if (r.table !== 'filter' || r.chain !== 'DOCKER' || r.target !== 'ACCEPT' || ref.provenance !== 'docker') continue;
    const d = optionValue(r, '-d');
    const p = optionValue(r, '-p');
    const port = optionValue(r, '--dport');
    if (!d || d.negated || !p || p.negated || !port || port.negated || !/^\d+$/.test(port.value)) continue;
    // Old engines' --link rules name both ends (-s and -d); they are not published access.
    if (optionValue(r, '-s')) continue;
    const ip = hostOf(d.value);
    if (!ip || viaDnat.has(`${p.value}/${ip}/${port.value}`)) continue;
    const container = containers?.find((c) => c.endpoints.some((e) => e.ipv4 === ip || e.ipv6 === ip))?.name ?? null;
    out.push({ family: r.family, proto: p.value, containerIp: ip, containerPort: Number(port.value), bridge: bridgeOfIp(ip) ?? optionValue(r, '-o')?.value ?? null, container, ref });
  }
  return out;
}

/**
 * The model's fields taken straight from the snapshot, no join needed: one
 * place for buildModel and for the refresh that carries a join forward
 * (src/core/refresh/model.ts), so a new snapshot field reaches both.
 */
export function snapshotFields(snap: Snapshot): Pick<HostModel, 'time' | 'meta' | 'flows' | 'links' | 'rulesets' | 'addresses' | 'dockerKnown' | 'sysctls' | 'issues'> {
  return {
    time: snap.time,
    meta: snap.meta,
    flows: snap.flows ?? [],
    links: snap.links ?? [],
    rulesets: snap.rulesets,
    addresses: snap.addresses ?? [],
    dockerKnown: snap.containers !== null && snap.networks !== null,
    sysctls: snap.sysctls,
    issues: snap.issues,
  };
}
