// `portcullis status`: the model as a JSON document and as plain text,
// grouped network -> container -> published port. Pure: model in, data out.
import type { ContainerNetworkModel, HostModel, PathRule, PublishedPort, RuleRef } from '../model/types.js';
import type { Finding } from '../findings/types.js';
import { findingsText } from '../findings/format.js';

export interface StatusJson {
  time: string;
  host: { hostname: string | null; netns: string | null; dockerVersion: string | null };
  families: HostModel['families'];
  bridges: Array<{
    name: string;
    network: string | null;
    subnets: string[];
    icc: boolean | null;
    masquerade: boolean;
    internal: boolean;
    layout: string;
  }>;
  published: Array<{
    family: 4 | 6;
    proto: string;
    hostIp: string;
    hostPort: number;
    containerIp: string;
    containerPort: number;
    bridge: string | null;
    container: string | null;
    proxy: boolean;
    packets: number | null;
    bytes: number | null;
    flows: number;
    path: Array<{ stage: string; chain: string; table: string; rule: string; provenance: string; packets: number | null; bytes: number | null }>;
  }>;
  containers: Array<{
    name: string;
    id: string;
    image: string;
    running: boolean;
    compose: { project: string; service: string | null } | null;
    networks: ContainerNetworkModel[];
    veth: { name: string; rxBytes: number | null; txBytes: number | null; rxPackets: number | null; txPackets: number | null } | null;
  }>;
  rules: Record<string, { total: number; byProvenance: Record<string, number> }>;
  flows: number;
  unavailable: Record<string, string>;
  findings: Finding[];
  warnings: string[];
  issues: Array<{ source: string; line: number; message: string; text: string }>;
}

/**
 * Flow numbers in place of the model's flow lists, for a model built without
 * them (the one-shot status counts flows by join key: model/flows.ts
 * countFlowsOfPorts): all flows, and per port in m.published's order.
 */
export interface FlowNumbers {
  total: number;
  ports: readonly number[];
}

/** The numbers the model's own flow lists give. */
export function flowNumbersOf(m: HostModel): FlowNumbers {
  return { total: m.flows.length, ports: m.published.map((p) => p.flows.length) };
}

function pathJson(p: PathRule) {
  const r = p.ref.rule;
  return {
    stage: p.stage,
    table: r.table,
    chain: r.chain,
    rule: r.text,
    provenance: p.ref.provenance,
    packets: r.counters?.packets ?? null,
    bytes: r.counters?.bytes ?? null,
  };
}

function rulesSummary(rules: RuleRef[]): StatusJson['rules'] {
  const out: StatusJson['rules'] = {};
  for (const ref of rules) {
    const k = `ipv${ref.rule.family}/${ref.rule.backend}`;
    const e = (out[k] ??= { total: 0, byProvenance: {} });
    e.total++;
    e.byProvenance[ref.provenance] = (e.byProvenance[ref.provenance] ?? 0) + 1;
  }
  return out;
}

export function statusJson(m: HostModel, findings: Finding[] = [], flows: FlowNumbers = flowNumbersOf(m)): StatusJson {
  return {
    time: new Date(m.time).toISOString(),
    host: { hostname: m.meta.hostname, netns: m.meta.netns, dockerVersion: m.meta.dockerVersion },
    families: m.families,
    bridges: m.bridges.map((b) => ({
      name: b.name,
      network: b.network,
      subnets: b.subnets,
      icc: b.icc,
      masquerade: b.masquerade,
      internal: b.internal,
      layout: b.layout,
    })),
    published: m.published.map((p, k) => ({
      family: p.family,
      proto: p.proto,
      hostIp: p.hostIp,
      hostPort: p.hostPort,
      containerIp: p.containerIp,
      containerPort: p.containerPort,
      bridge: p.bridge,
      container: p.container,
      proxy: p.proxy,
      packets: p.counters?.packets ?? null,
      bytes: p.counters?.bytes ?? null,
      flows: flows.ports[k]!,
      path: p.path.map(pathJson),
    })),
    containers: m.containers.map((c) => ({
      name: c.name,
      id: c.id,
      image: c.image,
      running: c.running,
      compose: c.composeProject ? { project: c.composeProject, service: c.composeService } : null,
      networks: c.networks,
      veth: c.veth
        ? {
            name: c.veth.name,
            rxBytes: c.veth.stats?.rxBytes ?? null,
            txBytes: c.veth.stats?.txBytes ?? null,
            rxPackets: c.veth.stats?.rxPackets ?? null,
            txPackets: c.veth.stats?.txPackets ?? null,
          }
        : null,
    })),
    rules: rulesSummary(m.rules),
    flows: flows.total,
    findings,
    unavailable: Object.fromEntries(Object.entries(m.meta.unavailable).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
    warnings: m.warnings,
    issues: m.issues.map((i) => ({ source: i.source, line: i.line, message: i.message, text: i.text })),
  };
}

const onOff = (v: boolean | null, on = 'on', off = 'off') => (v === null ? 'unknown' : v ? on : off);

function portLine(p: PublishedPort, flows: number): string {
  const host = p.family === 6 ? `[${p.hostIp}]` : p.hostIp;
  const ctr = p.containerIp.includes(':') ? `[${p.containerIp}]` : p.containerIp;
  const counters = p.counters
    ? `${p.counters.packets} pkts ${p.counters.bytes} B`
    : p.proxy
      ? 'docker-proxy only (not NATed)'
      : 'no DNAT rule';
  return `${host}:${p.hostPort}/${p.proto} -> ${ctr || '?'}:${p.containerPort}  ${counters}  flows ${flows}  proxy ${p.proxy ? 'yes' : 'no'}`;
}

function pathLines(p: PublishedPort, indent: string): string[] {
  // Docker's own plumbing is summarised; rules someone else wrote are listed,
  // since those are what decide whether a client gets through.
  const lines: string[] = [];
  let dockerRules = 0;
  for (const step of p.path) {
    if (step.ref.provenance === 'docker' && step.stage !== 'raw') {
      dockerRules++;
      continue;
    }
    const c = step.ref.rule.counters;
    lines.push(`${indent}${step.stage.padEnd(11)} ${step.ref.rule.chain}: ${step.ref.rule.text}  [${c ? `${c.packets} pkts` : '-'}] (${step.ref.provenance})`);
  }
  if (dockerRules) lines.unshift(`${indent}${dockerRules} Docker rule(s) on the path`);
  return lines;
}

export function statusText(m: HostModel, findings: Finding[] = [], flows: FlowNumbers = flowNumbersOf(m)): string {
  const out: string[] = [];
  const fam = m.families.map((f) => `IPv${f.family}: ${f.backend ?? 'no Docker rules'}${f.backend ? `, ${f.layout}` : ''}, FORWARD ${f.forwardPolicy ?? '?'}`).join('  ');
  out.push(`Host ${m.meta.netns ?? m.meta.hostname ?? '(unknown)'}  Docker ${m.meta.dockerVersion ?? 'unknown'}  ${fam}`);
  out.push('');

  const byBridge = new Map<string | null, PublishedPort[]>();
  for (const p of m.published) {
    const list = byBridge.get(p.bridge) ?? [];
    list.push(p);
    byBridge.set(p.bridge, list);
  }
  const containerByName = new Map(m.containers.map((c) => [c.name, c]));
  const flowsOf = new Map(m.published.map((p, k) => [p, flows.ports[k]!]));

  const bridgeNames = [...m.bridges.map((b) => b.name), ...[...byBridge.keys()].filter((k) => k === null || !m.bridges.some((b) => b.name === k))];
  for (const name of bridgeNames) {
    const b = m.bridges.find((x) => x.name === name);
    const ports = byBridge.get(name) ?? [];
    const members = m.containers.filter((c) => c.networks.some((n) => n.bridge === name));
    if (b) {
      out.push(
        `network ${b.network ?? '(unnamed)'} (${b.name}) ${b.subnets.join(', ') || 'subnet unknown'}  ICC ${onOff(b.icc)}  masquerade ${onOff(b.masquerade)}${b.internal ? '  internal' : ''}`,
      );
    } else {
      out.push(name === null ? 'ports whose bridge is unknown' : `bridge ${name}`);
    }
    const shown = new Set<PublishedPort>();
    for (const c of members) {
      const addrs = c.networks.filter((n) => n.bridge === name).map((n) => [n.ipv4, n.ipv6].filter(Boolean).join(' ')).join(' ');
      out.push(`  ${c.name}  ${addrs}${c.running ? '' : '  (stopped)'}${c.veth ? `  veth ${c.veth.name}` : ''}`);
      for (const p of ports.filter((x) => x.container === c.name)) {
        shown.add(p);
        out.push(`    ${portLine(p, flowsOf.get(p)!)}`);
        out.push(...pathLines(p, '      '));
      }
    }
    const orphans = ports.filter((p) => !shown.has(p));
    for (const p of orphans) {
      const who = p.container && !containerByName.has(p.container) ? p.container : p.container ?? '(container unknown)';
      out.push(`  ${who}`);
      out.push(`    ${portLine(p, flowsOf.get(p)!)}`);
      out.push(...pathLines(p, '      '));
    }
    out.push('');
  }

  out.push(`${m.rules.length} rules, ${flows.total} flows, ${m.containers.length} containers`);
  if (findings.length) {
    out.push('');
    out.push('Findings:');
    out.push(findingsText(findings).trimEnd());
  }
  if (m.warnings.length) {
    out.push('');
    out.push('Could not know / does not add up:');
    for (const w of m.warnings) out.push(`  - ${w}`);
  }
  if (m.issues.length) {
    out.push('');
    out.push(`${m.issues.length} unparsed line(s):`);
    for (const i of m.issues.slice(0, 10)) out.push(`  ${i.source}:${i.line}: ${i.message}: ${i.text}`);
  }
  return out.join('\n') + '\n';
}
