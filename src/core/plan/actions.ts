// The guided actions as pure plans: (model + rules, intent) -> Plan.
//
// Rule shapes (docs/netfilter-facts.md): the host port never matches in
// DOCKER-USER, so forwarded traffic is matched on the post-DNAT destination
// (container address and port, `-o <bridge>`), not from the bridge itself
// (`! -i <bridge>`), and pinned to the published host port with
// `-m conntrack --ctorigdstport`. Allowed sources RETURN (Docker's own checks
// still run); other NEW connections DROP; established flows are untouched.
import type { Family } from '../types.js';
import type { BridgeModel, HostModel, PublishedPort } from '../model/types.js';
import { contains, isAnyAddr } from '../net/addr.js';
import { parseRuleText } from '../parse/iptables-tokens.js';
import { commentOf, sectionsOf, withSection } from './owned.js';
import { contextsOf, makePlan, type FamilyContext, type PlanInput } from './plan.js';
import { conntrackMatch, hostCidr, isIfName, parseAddr, parseHostAddr, ruleText, type Addr } from './rules.js';
import { bindingsOf, forwardedPorts, resolveBinding, type Binding } from './select.js';
import { CHAIN_FWD, CHAIN_IN, CHAIN_LOCK, PlanError, type Intent, type OwnedChains, type Plan } from './types.js';

type WhitelistIntent = Extract<Intent, { kind: 'whitelist' }>;
type ProxyIntent = Extract<Intent, { kind: 'proxy' }>;
type IccIntent = Extract<Intent, { kind: 'icc' }>;
type LockdownIntent = Extract<Intent, { kind: 'lockdown' }>;

const fam = (f: Family) => `IPv${f}`;

function dedupe(addrs: Addr[]): Addr[] {
  const seen = new Set<string>();
  return addrs.filter((a) => (seen.has(a.cidr) ? false : (seen.add(a.cidr), true)));
}

function parseAllowList(list: readonly string[], arg: string, warnings: string[]): Addr[] {
  const out = list.map((t) => {
    const a = parseAddr(t, arg);
    if (a.hostBitsCleared) warnings.push(`${arg} ${t}: host bits set; the rule covers the whole network ${a.cidr}`);
    return a;
  });
  return dedupe(out);
}

/** -s values of the RETURN rules of a section in one chain (the allowed sources). */
function sourcesOf(rules: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const text of rules ?? []) {
    const p = parseRuleText(text);
    if (!p.ok || p.body.target !== 'RETURN') continue;
    const s = p.body.matches.find((m) => (m.flag === '-s' || m.flag === '--source') && !m.negated);
    if (s?.values[0]) out.push(s.values[0]);
  }
  return out;
}

function hasLoopbackReturn(rules: readonly string[] | undefined): boolean {
  return (rules ?? []).some((t) => / -i lo /.test(` ${t} `) && t.endsWith('-j RETURN'));
}

function hostIpOf(p: PublishedPort): string | null {
  return isAnyAddr(p.hostIp) ? null : parseHostAddr(p.hostIp, 'host ip').ip;
}

function bridgeNames(model: HostModel): string[] {
  return [...new Set(model.bridges.map((b) => b.name))].filter(isIfName).sort();
}

function proxiesKnown(model: HostModel): boolean {
  return model.meta.unavailable['docker-proxy.txt'] === undefined;
}

// ---------------------------------------------------------------- whitelist

function whitelistRules(b: Binding, family: Family, allow: Addr[], ports: PublishedPort[]): string[] {
  const comment = commentOf('whitelist', b.id);
  const out: string[] = [];
  for (const p of ports) {
    if (!p.bridge || !isIfName(p.bridge)) {
      throw new PlanError('refused', `${b.label}: the bridge of container address ${p.containerIp} is unknown, so the rule cannot be scoped to it`);
    }
    const base = {
      dst: hostCidr(p.containerIp),
      inIf: p.bridge,
      notInIf: true,
      outIf: p.bridge,
      proto: p.proto,
      dport: p.containerPort,
      comment,
    };
    const origDst = hostIpOf(p) ?? undefined;
    for (const a of allow) {
      if (a.family !== family) continue;
      out.push(ruleText({ ...base, src: a.cidr, matches: [conntrackMatch({ origDst, origDport: p.hostPort })], target: 'RETURN' }));
    }
    out.push(ruleText({ ...base, matches: [conntrackMatch({ state: 'NEW', origDst, origDport: p.hostPort })], target: 'DROP' }));
  }
  return out;
}

/** Whitelist sources of a binding in one family's chains, as iptables spells them. */
export function whitelistSources(chains: OwnedChains, id: string): string[] {
  return sourcesOf(sectionsOf(chains).get(`whitelist:${id}`)?.get(CHAIN_FWD));
}

export function planWhitelist(input: PlanInput, intent: WhitelistIntent): Plan {
  const { model } = input;
  const warnings: string[] = [];
  const b = resolveBinding(model, intent.port);
  const allow = parseAllowList(intent.allow, '--allow', warnings);
  const fwdFamilies = ([4, 6] as const).filter((f) => forwardedPorts(b, f).length > 0);
  for (const [i, a] of allow.entries()) {
    if (!fwdFamilies.includes(a.family)) {
      const only = fwdFamilies.map(fam).join(' and ');
      const proxyOnly = b.ports.some((p) => p.family === a.family && p.dnat === null);
      throw new PlanError(
        'usage',
        `--allow ${intent.allow[i] ?? a.cidr}: ${b.label} is forwarded for ${only || 'no family'} only` +
          (proxyOnly ? ` (${fam(a.family)} clients reach it only through docker-proxy: see block-proxy)` : ''),
        '--allow',
      );
    }
  }
  if (allow.length > 0 && fwdFamilies.length === 0) {
    throw new PlanError('refused', `${b.label}: no DNAT rule forwards this port, so there is no forwarded path to whitelist`);
  }
  const contexts = contextsOf(input);
  const desired = new Map<Family, OwnedChains>();
  const key = `whitelist:${b.id}`;
  for (const ctx of contexts) {
    const ports = forwardedPorts(b, ctx.family);
    const rules = allow.length > 0 && ports.length > 0 ? whitelistRules(b, ctx.family, allow, ports) : null;
    let chains = withSection(ctx.state.chains, key, rules ? new Map([[CHAIN_FWD, rules]]) : null);
    chains = refreshProxySection(model, b, ctx, chains);
    desired.set(ctx.family, chains);
  }
  const p4 = forwardedPorts(b, 4)[0] ?? forwardedPorts(b, 6)[0];
  const target = p4 ? ` -> ${p4.containerIp}:${p4.containerPort} on ${p4.bridge ?? '?'}` : '';
  const summary =
    allow.length === 0
      ? `whitelist ${b.label}: restriction removed; every source may open connections again`
      : `whitelist ${b.label}${target}: new forwarded connections (${fwdFamilies.map(fam).join(', ')}) only from ${allow.map((a) => a.cidr).join(', ')}; others dropped; established flows and containers on the same bridge unaffected`;
  const details: string[] = [];
  const proxied = b.ports.filter((p) => p.proxy);
  if (allow.length > 0 && proxied.length > 0) {
    const hasBlock = contexts.some((c) => sectionsOf(desired.get(c.family) ?? {}).has(`proxy:${b.id}`));
    if (!hasBlock) {
      details.push(
        `docker-proxy also listens for ${b.label} (${[...new Set(proxied.map((p) => fam(p.family)))].join(', ')}): connections that reach it through INPUT (loopback, IPv6 to an IPv4-only network, traffic not DNATed) bypass this whitelist; block them with block-proxy`,
      );
    }
  }
  return makePlan(intent, contexts, desired, { summary, details, warnings });
}

// ---------------------------------------------------------------- block-proxy

function proxyFamilies(model: HostModel, b: Binding): Family[] {
  const known = proxiesKnown(model);
  return [...new Set(b.ports.filter((p) => p.proxy || !known).map((p) => p.family))].sort();
}

function proxyRules(model: HostModel, b: Binding, family: Family, loopback: boolean, sources: string[]): string[] {
  const comment = commentOf('proxy', b.id);
  const p = b.ports.find((x) => x.family === family);
  if (!p) return [];
  const hostIp = hostIpOf(p);
  const base = { dst: hostIp === null ? undefined : hostCidr(hostIp), proto: b.proto, dport: b.hostPort, comment };
  const out: string[] = [];
  for (const s of sources) out.push(ruleText({ ...base, src: s, target: 'RETURN' }));
  // Containers reaching the port through their gateway address use the proxy too: not "external".
  for (const br of bridgeNames(model)) out.push(ruleText({ ...base, inIf: br, target: 'RETURN' }));
  if (!loopback) out.push(ruleText({ ...base, inIf: 'lo', target: 'RETURN' }));
  out.push(ruleText({ ...base, matches: [conntrackMatch({ state: 'NEW' })], target: 'DROP' }));
  return out;
}

/** Re-render an existing block-proxy section after its whitelist changed (its loopback choice is read from its rules). */
function refreshProxySection(model: HostModel, b: Binding, ctx: FamilyContext, chains: OwnedChains): OwnedChains {
  const key = `proxy:${b.id}`;
  const cur = sectionsOf(chains).get(key);
  if (!cur) return chains;
  const loopback = !hasLoopbackReturn(cur.get(CHAIN_IN));
  const rules = proxyRules(model, b, ctx.family, loopback, whitelistSources(chains, b.id));
  return withSection(chains, key, rules.length ? new Map([[CHAIN_IN, rules]]) : null);
}

export function planBlockProxy(input: PlanInput, intent: ProxyIntent): Plan {
  const { model } = input;
  const b = resolveBinding(model, intent.port);
  const fams = proxyFamilies(model, b);
  if (!intent.off && fams.length === 0) {
    throw new PlanError(
      'refused',
      `${b.label}: no docker-proxy listens for this port (userland proxy off?), so there is no INPUT path to block`,
    );
  }
  const warnings: string[] = [];
  if (!proxiesKnown(model)) warnings.push('docker-proxy listeners could not be read; blocking the INPUT path in every family of the binding');
  const contexts = contextsOf(input);
  const desired = new Map<Family, OwnedChains>();
  const key = `proxy:${b.id}`;
  const kept: string[] = [];
  for (const ctx of contexts) {
    let rules: string[] | null = null;
    if (!intent.off && fams.includes(ctx.family)) {
      const sources = whitelistSources(ctx.state.chains, b.id);
      kept.push(...sources);
      rules = proxyRules(model, b, ctx.family, intent.loopback, sources);
    }
    desired.set(ctx.family, withSection(ctx.state.chains, key, rules && rules.length ? new Map([[CHAIN_IN, rules]]) : null));
  }
  const paths = ['external interfaces', ...(intent.loopback ? ['loopback'] : [])].join(' and ');
  const summary = intent.off
    ? `block-proxy ${b.label}: docker-proxy reachable through INPUT again`
    : `block-proxy ${b.label}: new connections to host port ${b.hostPort}/${b.proto} that would reach docker-proxy (${fams.map(fam).join(', ')}) dropped on ${paths}` +
      (kept.length ? `; whitelisted ${kept.join(', ')} still allowed` : '') +
      `; forwarded (DNAT) traffic and containers unaffected`;
  const details = intent.off || intent.loopback ? [] : ['loopback (127.0.0.1 / ::1 on the host) stays allowed; add --loopback to block it too'];
  return makePlan(intent, contexts, desired, { summary, details, warnings });
}

// ---------------------------------------------------------------- icc

function bridgeFamilies(br: BridgeModel): Family[] {
  const f = new Set<Family>();
  for (const s of br.subnets) f.add(s.includes(':') ? 6 : 4);
  if (f.size === 0) f.add(4);
  return [...f].sort();
}

export interface IccImpact {
  containers: string[];
  flows: string[];
}

/** Running containers on the bridge, and live flows between addresses of the bridge (what `off` cuts). */
export function iccImpact(model: HostModel, bridge: string): IccImpact {
  const br = model.bridges.find((b) => b.name === bridge);
  const containers = model.containers
    .filter((c) => c.running && c.networks.some((n) => n.bridge === bridge))
    .map((c) => c.name)
    .sort();
  // Flows between two containers of the bridge (the gateway's are the host's own, e.g. docker-proxy).
  const addrs = new Set<string>();
  for (const c of model.containers) {
    if (!c.running) continue;
    for (const n of c.networks) {
      if (n.bridge !== bridge) continue;
      if (n.ipv4) addrs.add(n.ipv4);
      if (n.ipv6) addrs.add(n.ipv6);
    }
  }
  const inside = (ip: string) => addrs.has(ip) || (addrs.size === 0 && (br?.subnets ?? []).some((s) => contains(s, ip)));
  const flows: string[] = [];
  for (const f of model.flows) {
    if (f.state === 'TIME_WAIT' || f.state === 'CLOSE') continue;
    if (inside(f.orig.src) && inside(f.orig.dst) && f.orig.src !== f.orig.dst) {
      const port = f.orig.dport === null ? '' : `:${f.orig.dport}`;
      flows.push(`${f.proto} ${f.orig.src} -> ${f.orig.dst}${port}${f.state ? ` ${f.state}` : ''}`);
    }
  }
  return { containers, flows };
}

export function planIcc(input: PlanInput, intent: IccIntent): Plan {
  const { model } = input;
  const br = model.bridges.find((b) => b.name === intent.bridge);
  if (!br) {
    const known = model.bridges.map((b) => b.name);
    throw new PlanError(
      'usage',
      `--bridge ${JSON.stringify(intent.bridge)}: no such Docker bridge${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      '--bridge',
    );
  }
  if (!isIfName(br.name)) throw new PlanError('usage', `--bridge ${JSON.stringify(br.name)}: not a usable interface name`, '--bridge');
  const dockerIcc = br.icc ?? true;
  const fams = bridgeFamilies(br);
  const contexts = contextsOf(input);
  const desired = new Map<Family, OwnedChains>();
  const key = `icc:${br.name}`;
  for (const ctx of contexts) {
    const rule =
      intent.enabled === dockerIcc || !fams.includes(ctx.family)
        ? null
        : ruleText({ inIf: br.name, outIf: br.name, comment: commentOf('icc', br.name), target: intent.enabled ? 'ACCEPT' : 'DROP' });
    desired.set(ctx.family, withSection(ctx.state.chains, key, rule ? new Map([[CHAIN_FWD, [rule]]]) : null));
  }
  const impact = iccImpact(model, br.name);
  const name = br.network ? `${br.name} (network ${br.network})` : br.name;
  const details: string[] = [];
  let summary: string;
  if (intent.enabled) {
    summary =
      dockerIcc
        ? `icc ${name} on: Portcullis' override removed; Docker's own setting (on) applies: containers on the bridge reach each other`
        : `icc ${name} on: containers on the bridge may reach each other, overriding Docker's icc=false (an ACCEPT for -i ${br.name} -o ${br.name} only)`;
  } else {
    summary = dockerIcc
      ? `icc ${name} off: all traffic between containers on this bridge dropped (${fams.map(fam).join(', ')}), live flows included; traffic to and from other networks unaffected`
      : `icc ${name} off: Portcullis' override removed; Docker's own setting (off) applies`;
    details.push(
      `containers on the bridge that lose each other: ${impact.containers.length ? impact.containers.join(', ') : '(none running)'}`,
    );
    if (impact.flows.length) {
      details.push(`live flows it cuts (${impact.flows.length}):`);
      for (const f of impact.flows.slice(0, 20)) details.push(`  ${f}`);
      if (impact.flows.length > 20) details.push(`  ... and ${impact.flows.length - 20} more`);
    } else details.push('live flows it cuts: none seen in conntrack');
  }
  return makePlan(intent, contexts, desired, { summary, details });
}

// ---------------------------------------------------------------- lockdown

interface ProxyPort {
  proto: string;
  hostPort: number;
  hostIp: string | null;
}

export function planLockdown(input: PlanInput, intent: LockdownIntent): Plan {
  const { model } = input;
  const warnings: string[] = [];
  const contexts = contextsOf(input);
  const desired = new Map<Family, OwnedChains>();
  const key = 'lockdown';
  if (intent.off) {
    for (const ctx of contexts) desired.set(ctx.family, withSection(ctx.state.chains, key, null));
    return makePlan(intent, contexts, desired, {
      summary: 'lockdown off: published ports reachable again as before the lockdown (the other Portcullis rules stay)',
    });
  }
  const allow = parseAllowList(intent.allow, '--allow', warnings);
  let ssh: Addr | null = null;
  if (intent.ssh !== null) {
    try {
      ssh = parseHostAddr(intent.ssh, 'SSH_CONNECTION');
    } catch {
      warnings.push(`SSH_CONNECTION client ${JSON.stringify(intent.ssh)} is not an address; not exempted`);
    }
  } else {
    warnings.push('SSH_CONNECTION is not set: no session address to exempt (established sessions are kept anyway)');
  }
  const known = proxiesKnown(model);
  const bridges = bridgeNames(model);
  const comment = commentOf('lockdown', null);
  const ports = bindingsOf(model);
  for (const ctx of contexts) {
    const f = ctx.family;
    const fwd = model.published.some((p) => p.family === f && p.dnat !== null) || model.families.some((i) => i.family === f && i.backend !== null && i.layout !== 'none');
    const proxyPorts = new Map<string, ProxyPort>();
    for (const p of model.published) {
      if (p.family !== f || !(p.proxy || !known)) continue;
      const hostIp = hostIpOf(p);
      proxyPorts.set(`${p.proto}/${String(p.hostPort).padStart(5, '0')}/${hostIp ?? ''}`, { proto: p.proto, hostPort: p.hostPort, hostIp });
    }
    if (!fwd && proxyPorts.size === 0) {
      desired.set(f, withSection(ctx.state.chains, key, null));
      continue;
    }
    const rules = new Map<string, string[]>();
    if (fwd) {
      rules.set(CHAIN_FWD, [
        ruleText({ matches: ['-m conntrack --ctstate NEW', '-m conntrack --ctstate DNAT'], comment, target: CHAIN_LOCK }),
      ]);
    }
    if (proxyPorts.size) {
      rules.set(
        CHAIN_IN,
        [...proxyPorts.keys()].sort().map((k) => {
          const pp = proxyPorts.get(k) as ProxyPort;
          return ruleText({
            dst: pp.hostIp === null ? undefined : hostCidr(pp.hostIp),
            proto: pp.proto,
            dport: pp.hostPort,
            matches: [conntrackMatch({ state: 'NEW' })],
            comment,
            target: CHAIN_LOCK,
          });
        }),
      );
    }
    const lock: string[] = [];
    const sources = dedupe([...allow, ...(ssh ? [ssh] : [])]).filter((a) => a.family === f);
    for (const a of sources) lock.push(ruleText({ src: a.cidr, comment, target: 'RETURN' }));
    lock.push(ruleText({ inIf: 'lo', comment, target: 'RETURN' }));
    for (const br of bridges) lock.push(ruleText({ inIf: br, comment, target: 'RETURN' }));
    lock.push(ruleText({ comment, target: 'DROP' }));
    rules.set(CHAIN_LOCK, lock);
    desired.set(f, withSection(ctx.state.chains, key, rules));
  }
  const list = ports.map((b) => b.label);
  const except = [...allow.map((a) => a.cidr), ...(ssh ? [`${ssh.cidr} (SSH_CONNECTION)`] : [])];
  const summary =
    `LOCKDOWN: new inbound connections to every published port (${list.length}) dropped on the forwarded and docker-proxy paths` +
    (except.length ? `, except from ${except.join(', ')}` : '') +
    '; established flows, loopback, container-to-container traffic and container egress unaffected';
  const details = [`published ports locked: ${list.length ? list.join(', ') : '(none right now; ports published later are locked on the forwarded path)'}`];
  return makePlan(intent, contexts, desired, { summary, details, warnings });
}
