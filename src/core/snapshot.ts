// RawCapture -> Snapshot: runs every pure parser over the raw text of each
// source. The live source and a capture directory both produce a RawCapture,
// so this is the single place where "what the host said" becomes data.
import type { Backend, CaptureFile, Family, ParseIssue, RawCapture, Ruleset, Snapshot } from './types.js';
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

export function buildSnapshot(raw: RawCapture): Snapshot {
  const issues: ParseIssue[] = [];
  const rulesets: Ruleset[] = [];
  for (const { file, family, backend } of RULESET_FILES) {
    const text = raw.files[file];
    if (text === undefined || text.trim() === '') continue;
    const rs = parseIptablesSave(text, { family, backend, source: file });
    issues.push(...rs.issues);
    if (rs.tables.length > 0) rulesets.push(rs);
  }

  const take = <T>(file: CaptureFile, parse: (text: string, source: string) => T & { issues: ParseIssue[] }): T | null => {
    const text = raw.files[file];
    if (text === undefined) return null;
    const out = parse(text, file);
    issues.push(...out.issues);
    return out;
  };

  const conntrack = take('conntrack.txt', parseConntrack);
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
    flows: conntrack?.flows ?? null,
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
