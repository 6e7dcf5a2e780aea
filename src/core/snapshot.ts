// RawCapture -> Snapshot: runs every pure parser over the raw text of each
// source. The live source and a capture directory both produce a RawCapture,
// so this is the single place where "what the host said" becomes data.
import type { Backend, CaptureFile, Family, Flow, ParseIssue, RawCapture, Ruleset, Snapshot } from './types.js';
import { parseIptablesSave } from './parse/iptables-save.js';
import { parseConntrack } from './parse/conntrack.js';
import { parseIpAddr, parseIpLink } from './parse/ip-json.js';
import { parseContainers, parseNetworks } from './parse/docker-inspect.js';
import { parseDockerProxyLines } from './parse/docker-proxy.js';
import { parseContainerIfaces } from './parse/container-ifaces.js';
import { parseSysctl } from './parse/sysctl.js';

export const RULESET_FILES: ReadonlyArray<{ file: CaptureFile; family: Family; backend: Backend }> = [
  { file: 'iptables-save.txt', family: 4, backend: 'nft' },
  { file: 'iptables-legacy-save.txt', family: 4, backend: 'legacy' },
  { file: 'ip6tables-save.txt', family: 6, backend: 'nft' },
  { file: 'ip6tables-legacy-save.txt', family: 6, backend: 'legacy' },
];

type Parser<T> = (text: string, source: string) => T & { issues: ParseIssue[] };

/**
 * How buildSnapshot parses; the incremental refresh (src/core/refresh)
 * passes memoising versions and flows kept live from conntrack events.
 */
export interface SnapshotParsers {
  ruleset(file: CaptureFile, text: string, family: Family, backend: Backend): Ruleset;
  parse<T>(file: CaptureFile, text: string, parse: Parser<T>): T & { issues: ParseIssue[] };
  /** Flows from elsewhere (a FlowTable); conntrack.txt is then not parsed. */
  flows?: Flow[] | null;
  /**
   * conntrack.txt parsed elsewhere, its flows counted rather than kept (the
   * one-shot status, src/commands/status.ts): the snapshot then has no flows
   * (null) and these parse issues in conntrack.txt's place among the issues.
   */
  conntrackIssues?: readonly ParseIssue[];
}

/** Every source parsed from its text, nothing memoised. */
export const PLAIN_PARSERS: SnapshotParsers = {
  ruleset: (file, text, family, backend) => parseIptablesSave(text, { family, backend, source: file }),
  parse: (file, text, parse) => parse(text, file),
};

export function buildSnapshot(raw: RawCapture, parsers: SnapshotParsers = PLAIN_PARSERS): Snapshot {
  const issues: ParseIssue[] = [];
  const rulesets: Ruleset[] = [];
  for (const { file, family, backend } of RULESET_FILES) {
    const text = raw.files[file];
    if (text === undefined || text.trim() === '') continue;
    const rs = parsers.ruleset(file, text, family, backend);
    issues.push(...rs.issues);
    if (rs.tables.length > 0) rulesets.push(rs);
  }

  const take = <T>(file: CaptureFile, parse: Parser<T>): T | null => {
    const text = raw.files[file];
    if (text === undefined) return null;
    const out = parsers.parse(file, text, parse);
    issues.push(...out.issues);
    return out;
  };

  let flows: Flow[] | null;
  if (parsers.flows !== undefined) flows = parsers.flows;
  else if (parsers.conntrackIssues !== undefined) {
    flows = null;
    for (const i of parsers.conntrackIssues) issues.push(i);
  } else flows = take('conntrack.txt', parseConntrack)?.flows ?? null;
  const links = take('ip-link.json', parseIpLink);
  const addrs = take('ip-addr.json', parseIpAddr);
  const containers = take('containers.json', parseContainers);
  const networks = take('networks.json', parseNetworks);
  const proxies = take('docker-proxy.txt', parseDockerProxyLines);
  const ifaces = take('container-ifaces.json', parseContainerIfaces);
  const sysctl = take('sysctl.txt', parseSysctl);

  return {
    time: raw.meta.time,
    meta: raw.meta,
    rulesets,
    flows,
    links: links?.links ?? null,
    addresses: addrs?.addresses ?? null,
    containers: containers?.containers ?? null,
    networks: networks?.networks ?? null,
    proxies: proxies?.proxies ?? null,
    containerIfaces: ifaces?.ifaces ?? null,
    sysctls: sysctl?.values ?? null,
    issues,
  };
}
