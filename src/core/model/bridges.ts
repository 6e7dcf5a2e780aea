// Bridges, from the rules alone and from Docker's networks, merged.
// Rules are the truth of what the kernel enforces; Docker gives names.
// Where both speak and disagree, the rules win and a warning says so.
import type { DockerNetwork, Link, RuleOption, Ruleset } from '../types.js';
import { networkText } from '../net/addr.js';
import { isDockerBridgeName } from './provenance.js';
import { valuedOption } from './match.js';
import type { BridgeModel, LayoutGeneration } from './types.js';

interface RuleFacts {
  subnets: Set<string>;
  icc: boolean | null;
  masquerade: boolean;
  internal: boolean;
}

/** Options the ICC test looks at (any other makes a rule "more specific"). */
const ICC_LOOKED_AT: ReadonlySet<string> = new Set(['-i', '-o', '-s', '-d', '-m', '--in-interface', '--out-interface']);

const ISOLATION_CHAINS = /^DOCKER-(ISOLATION(-STAGE-1)?|INTERNAL)$/;

/** Interface names Docker's rules speak of (docker0, br-<12 hex>, docker_gwbridge). */
function bridgesInRules(rs: Ruleset): Set<string> {
  const names = new Set<string>();
  for (const t of rs.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const m of r.matches) {
          const v = m.values[0];
          if ((m.flag === '-i' || m.flag === '-o') && v && isDockerBridgeName(v)) names.add(v);
        }
      }
    }
  }
  return names;
}

/**
 * Facts about every interface Docker's rules speak of, in one pass over the
 * ruleset (a pass per bridge is quadratic on hosts with hundreds of
 * networks). For each bridge the result is what a pass over the rules in
 * order, looking only at that bridge, finds: the first ICC rule decides.
 */
/** The value of an option valuedOption found. */
const val = (o: RuleOption): string => o.values[0] as string;

function factsFromRules(rs: Ruleset): Map<string, RuleFacts> {
  const all = new Map<string, RuleFacts>();
  const iccDecided = new Set<string>();
  const factsOf = (bridge: string): RuleFacts => {
    let f = all.get(bridge);
    if (!f) all.set(bridge, (f = { subnets: new Set(), icc: null, masquerade: false, internal: false }));
    return f;
  };
  for (const t of rs.tables) {
    for (const c of t.chains) {
      const isolation = t.name === 'filter' && ISOLATION_CHAINS.test(c.name);
      for (const r of c.rules) {
        // The options themselves (value = values[0]), not optionValue's copies: one pass over ~20k rules.
        const i = valuedOption(r, '-i');
        const o = valuedOption(r, '-o');
        if (!i && !o) continue; // every fact below names the bridge with -i or -o
        const s = valuedOption(r, '-s');
        const d = valuedOption(r, '-d');

        if (t.name === 'nat' && r.target === 'MASQUERADE' && s && !s.negated && o && o.negated) {
          const f = factsOf(val(o));
          f.masquerade = true;
          const net = networkText(val(s));
          if (net) f.subnets.add(net);
        }
        if (isolation && r.target === 'DROP') {
          // Internal networks: `! -s SUBNET -o br -j DROP` and `! -d SUBNET -i br -j DROP`.
          if (o && !o.negated && s?.negated) {
            const f = factsOf(val(o));
            f.internal = true;
            const net = networkText(val(s));
            if (net) f.subnets.add(net);
          }
          if (i && !i.negated && d?.negated) {
            const f = factsOf(val(i));
            f.internal = true;
            const net = networkText(val(d));
            if (net) f.subnets.add(net);
          }
        }
        // ICC: the first `-i br -o br` ACCEPT/DROP (or 28.x `-i br -j ACCEPT`) in a filter chain.
        if (t.name === 'filter' && !s && !d && i && !i.negated && !iccDecided.has(val(i))) {
          // Only options we did not look at make the rule "more specific".
          const others = r.matches.some((m) => !ICC_LOOKED_AT.has(m.flag));
          if (others) continue;
          const bridge = val(i);
          if (o && !o.negated && val(o) === bridge && (r.target === 'ACCEPT' || r.target === 'DROP')) {
            factsOf(bridge).icc = r.target === 'ACCEPT';
            iccDecided.add(bridge);
          } else if (!o && r.target === 'ACCEPT' && (c.name === 'FORWARD' || c.name.startsWith('DOCKER'))) {
            // Engine 28+: `-i br -j ACCEPT` (FORWARD in 28.0.0, DOCKER-FORWARD later) accepts
            // everything leaving the bridge, itself included: ICC on. ICC off puts
            // `-i br -o br -j DROP` before it, which decides first.
            factsOf(bridge).icc = true;
            iccDecided.add(bridge);
          }
        }
      }
    }
  }
  return all;
}

const NO_FACTS: RuleFacts = { subnets: new Set(), icc: null, masquerade: false, internal: false };

export function buildBridges(
  rulesets: Ruleset[],
  networks: DockerNetwork[] | null,
  links: Link[] | null,
  layoutOf: (family: 4 | 6) => LayoutGeneration,
  warnings: string[],
): BridgeModel[] {
  const byName = new Map<string, BridgeModel>();
  const get = (name: string): BridgeModel => {
    let b = byName.get(name);
    if (!b) {
      b = {
        name,
        network: null,
        networkId: null,
        subnets: [],
        icc: null,
        masquerade: false,
        internal: false,
        sources: [],
        layout: 'unknown',
        link: null,
      };
      byName.set(name, b);
    }
    return b;
  };

  const fromRules = new Set<string>();
  for (const rs of rulesets) {
    const facts = factsFromRules(rs);
    for (const name of bridgesInRules(rs)) {
      fromRules.add(name);
      const b = get(name);
      if (!b.sources.includes('rules')) b.sources.push('rules');
      const f = facts.get(name) ?? NO_FACTS;
      for (const s of f.subnets) if (!b.subnets.includes(s)) b.subnets.push(s);
      if (f.icc !== null && b.icc === null) b.icc = f.icc;
      else if (f.icc === false) b.icc = false;
      b.masquerade ||= f.masquerade;
      b.internal ||= f.internal;
      if (b.layout === 'unknown' || rs.family === 4) b.layout = layoutOf(rs.family);
    }
  }

  for (const n of networks ?? []) {
    if (n.driver !== 'bridge' || !n.bridge) continue;
    const b = get(n.bridge);
    b.network = n.name;
    b.networkId = n.id;
    if (!b.sources.includes('docker')) b.sources.push('docker');
    const dockerSubnets = n.subnets.map((s) => networkText(s) ?? s);
    if (!fromRules.has(n.bridge)) {
      // No rules about it (rules unreadable, or not written yet): Docker's word is all we have.
      b.subnets = dockerSubnets;
      b.icc = n.icc ?? true;
      b.masquerade = n.masquerade ?? true;
      b.internal = n.internal;
    } else {
      for (const s of dockerSubnets) if (!b.subnets.includes(s)) b.subnets.push(s);
      const dockerIcc = n.icc ?? true;
      if (b.icc !== null && b.icc !== dockerIcc)
        warnings.push(`bridge ${b.name} (${n.name}): Docker says ICC ${dockerIcc ? 'on' : 'off'} but the rules say ${b.icc ? 'on' : 'off'}`);
      if (b.icc === null) b.icc = dockerIcc;
      if (n.internal !== b.internal)
        warnings.push(`bridge ${b.name} (${n.name}): Docker says internal=${n.internal} but the rules say internal=${b.internal}`);
    }
  }

  for (const l of links ?? []) {
    const b = byName.get(l.name);
    if (b) {
      b.link = l;
      if (!b.sources.includes('links')) b.sources.push('links');
    } else if (l.kind === 'bridge' && isDockerBridgeName(l.name)) {
      const nb = get(l.name);
      nb.link = l;
      nb.sources.push('links');
    }
  }

  return [...byName.values()].sort((a, b) => bridgeOrder(a) - bridgeOrder(b) || a.name.localeCompare(b.name));
}

function bridgeOrder(b: BridgeModel): number {
  return b.name === 'docker0' ? 0 : 1;
}
