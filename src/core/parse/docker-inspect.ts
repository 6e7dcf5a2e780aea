// Parsers for `docker inspect` of containers and `docker network inspect` of
// networks (JSON arrays). The Engine API's GET /containers/{id}/json and
// GET /networks/{id} return the same objects, so an adapter can collect those
// into an array and use these parsers too.
//
// Lenient: missing fields become null/empty; a field of the wrong type is
// dropped and reported as a ParseIssue naming the object and the field; an
// object without an Id (or not an object at all) is skipped with an issue.
// Issue `line` is the array index + 1 (0 when the whole input is at fault).
//
// Pure: text in, objects out.

import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { DockerContainer, DockerEndpoint, DockerNetwork, DockerPortBinding, ParseIssue } from '../types.js';
import { cutJson, describeItem, lenientParse, parseJsonArray } from './json-util.js';

const str = z.string().nullish();
const num = z.number().nullish();
const bool = z.boolean().nullish();
const strRecord = z.record(z.string(), z.string()).nullish();

// ---------------------------------------------------------------- containers

const portBindingSchema = z.object({
  HostIp: str,
  // Always a string in practice ("8080"); accept a number too.
  HostPort: z.union([z.string(), z.number()]).nullish(),
});

const endpointSchema = z.object({
  NetworkID: str,
  IPAddress: str,
  IPPrefixLen: num,
  GlobalIPv6Address: str,
  GlobalIPv6PrefixLen: num,
  MacAddress: str,
  Aliases: z.array(z.string()).nullish(),
});

const containerSchema = z.object({
  Id: str,
  Name: str,
  /** Image id (sha256:...), used when Config.Image is missing. */
  Image: str,
  Config: z
    .object({
      Image: str,
      Labels: strRecord,
    })
    .nullish(),
  State: z
    .object({
      Status: str,
      Running: bool,
      Pid: num,
    })
    .nullish(),
  HostConfig: z.object({ NetworkMode: str }).nullish(),
  NetworkSettings: z
    .object({
      Ports: z.record(z.string(), z.array(portBindingSchema).nullish()).nullish(),
      Networks: z.record(z.string(), endpointSchema.nullish()).nullish(),
    })
    .nullish(),
});

/** '' and nulls become null; anything else is kept when it is a valid address. */
function ipOrNull(v: string | null | undefined, family: 4 | 6): string | null | 'invalid' {
  if (v == null || v === '') return null;
  const ok = family === 4 ? ipaddr.IPv4.isValidFourPartDecimal(v) : ipaddr.IPv6.isValid(v);
  return ok ? v : 'invalid';
}

/**
 * Parse `docker inspect` output for containers. Name loses its leading "/".
 * image is Config.Image (what the user ran), else the image id. pid is null
 * when not running (Docker reports 0). Ports come from NetworkSettings.Ports:
 * `"80/tcp": null` (exposed, not published) gives no binding; an empty
 * HostIp means all addresses and is reported as 0.0.0.0.
 */
export function parseContainers(
  json: string,
  source = 'containers.json',
): { containers: DockerContainer[]; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  const containers: DockerContainer[] = [];
  const { items, issue } = parseJsonArray(json, source, 'containers');
  if (!items) return { containers, issues: issue ? [issue] : [] };

  items.forEach((item, index) => {
    const label = describeItem(item, index, ['Name', 'Id'], 'container');
    const text = cutJson(item);
    const report = (message: string) => issues.push({ source, line: index + 1, text, message: `${label}: ${message}` });
    const { data, problems } = lenientParse(containerSchema, item);
    for (const p of problems) {
      if (p.path === '(root)') report(`not a container object (${p.message}); skipped`);
      else report(`field ${p.path}: ${p.message}${p.path === 'Id' ? '; skipped' : ''}`);
    }
    if (!data) return;
    if (!data.Id) {
      if (!problems.some((p) => p.path === 'Id')) report('no Id; skipped');
      return;
    }

    const ports: DockerPortBinding[] = [];
    for (const [key, bindings] of Object.entries(data.NetworkSettings?.Ports ?? {})) {
      const slash = key.indexOf('/');
      const portText = slash >= 0 ? key.slice(0, slash) : key;
      const proto = slash >= 0 ? key.slice(slash + 1).toLowerCase() : 'tcp';
      const containerPort = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (!(containerPort <= 65535) || !/^[a-z0-9]{1,16}$/.test(proto)) {
        report(`field NetworkSettings.Ports: bad port key ${JSON.stringify(key)}; skipped`);
        continue;
      }
      for (const b of bindings ?? []) {
        const hp = b.HostPort == null ? '' : String(b.HostPort);
        if (hp === '') continue; // not bound (yet)
        const hostPort = /^[0-9]{1,5}$/.test(hp) ? Number(hp) : NaN;
        if (!(hostPort <= 65535)) {
          report(`field NetworkSettings.Ports[${JSON.stringify(key)}]: bad HostPort ${JSON.stringify(hp)}; skipped`);
          continue;
        }
        const hostIp = b.HostIp == null || b.HostIp === '' ? '0.0.0.0' : b.HostIp;
        if (ipOrNull(hostIp, hostIp.includes(':') ? 6 : 4) === 'invalid') {
          report(`field NetworkSettings.Ports[${JSON.stringify(key)}]: bad HostIp ${JSON.stringify(hostIp)}; skipped`);
          continue;
        }
        ports.push({ containerPort, proto, hostIp, hostPort });
      }
    }

    const endpoints: DockerEndpoint[] = [];
    for (const [network, ep] of Object.entries(data.NetworkSettings?.Networks ?? {})) {
      if (!ep) continue;
      let ipv4 = ipOrNull(ep.IPAddress, 4);
      let ipv6 = ipOrNull(ep.GlobalIPv6Address, 6);
      if (ipv4 === 'invalid') {
        report(`field NetworkSettings.Networks.${network}.IPAddress: ${JSON.stringify(ep.IPAddress)} is not an IPv4 address`);
        ipv4 = null;
      }
      if (ipv6 === 'invalid') {
        report(
          `field NetworkSettings.Networks.${network}.GlobalIPv6Address: ${JSON.stringify(ep.GlobalIPv6Address)} is not an IPv6 address`,
        );
        ipv6 = null;
      }
      endpoints.push({
        network,
        networkId: ep.NetworkID ?? '',
        ipv4,
        ipv4Prefix: ipv4 !== null && ep.IPPrefixLen ? ep.IPPrefixLen : null,
        ipv6,
        ipv6Prefix: ipv6 !== null && ep.GlobalIPv6PrefixLen ? ep.GlobalIPv6PrefixLen : null,
        mac: ep.MacAddress ? ep.MacAddress : null,
        aliases: ep.Aliases ?? [],
      });
    }

    const name = (data.Name ?? '').replace(/^\//, '');
    const running = data.State?.Running ?? false;
    const pid = data.State?.Pid;
    containers.push({
      id: data.Id,
      name,
      image: data.Config?.Image || data.Image || '',
      running,
      status: data.State?.Status ?? (running ? 'running' : 'unknown'),
      pid: pid && pid > 0 ? pid : null,
      labels: data.Config?.Labels ?? {},
      networkMode: data.HostConfig?.NetworkMode ?? '',
      endpoints,
      ports,
    });
  });
  return { containers, issues };
}

// ---------------------------------------------------------------- networks

const networkSchema = z.object({
  Name: str,
  Id: str,
  Driver: str,
  Scope: str,
  EnableIPv6: bool,
  Internal: bool,
  IPAM: z
    .object({
      Config: z.array(z.object({ Subnet: str, Gateway: str })).nullish(),
    })
    .nullish(),
  Options: strRecord,
  Labels: strRecord,
  Containers: z
    .record(
      z.string(),
      z.object({
        Name: str,
        IPv4Address: str,
        IPv6Address: str,
      }),
    )
    .nullish(),
});

const BRIDGE_NAME = 'com.docker.network.bridge.name';
const ENABLE_ICC = 'com.docker.network.bridge.enable_icc';
const ENABLE_MASQ = 'com.docker.network.bridge.enable_ip_masquerade';

/** "true"/"false" option (Go strconv.ParseBool spellings); null when unset or unreadable. */
function boolOption(v: string | undefined): boolean | null | 'invalid' {
  if (v === undefined) return null;
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1' || s === 't') return true;
  if (s === 'false' || s === '0' || s === 'f') return false;
  return 'invalid';
}

/** "172.18.0.2/16" -> "172.18.0.2"; "" -> null. */
function stripPrefix(v: string | null | undefined): string | null {
  if (!v) return null;
  const slash = v.indexOf('/');
  return slash >= 0 ? v.slice(0, slash) : v;
}

/**
 * Parse `docker network inspect` output. bridge: the
 * com.docker.network.bridge.name option when set (the default `bridge`
 * network sets docker0 that way), else `br-<first 12 hex of Id>` for the
 * bridge driver, else null. icc/masquerade: the enable_icc /
 * enable_ip_masquerade options, null when unset. containers: id -> name and
 * addresses as the network lists them, prefix length removed ("" -> null).
 */
export function parseNetworks(json: string, source = 'networks.json'): { networks: DockerNetwork[]; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  const networks: DockerNetwork[] = [];
  const { items, issue } = parseJsonArray(json, source, 'networks');
  if (!items) return { networks, issues: issue ? [issue] : [] };

  items.forEach((item, index) => {
    const label = describeItem(item, index, ['Name', 'Id'], 'network');
    const text = cutJson(item);
    const report = (message: string) => issues.push({ source, line: index + 1, text, message: `${label}: ${message}` });
    const { data, problems } = lenientParse(networkSchema, item);
    for (const p of problems) {
      if (p.path === '(root)') report(`not a network object (${p.message}); skipped`);
      else report(`field ${p.path}: ${p.message}${p.path === 'Id' ? '; skipped' : ''}`);
    }
    if (!data) return;
    if (!data.Id) {
      if (!problems.some((p) => p.path === 'Id')) report('no Id; skipped');
      return;
    }
    const options = data.Options ?? {};
    const driver = data.Driver ?? '';
    let bridge: string | null = options[BRIDGE_NAME] || null;
    if (bridge === null && driver === 'bridge') {
      const hex = data.Id.slice(0, 12);
      if (/^[0-9a-f]{12}$/i.test(hex)) bridge = `br-${hex.toLowerCase()}`;
      else report(`Id ${JSON.stringify(data.Id)} is not hex; bridge name unknown`);
    }
    const flag = (key: string): boolean | null => {
      const v = boolOption(options[key]);
      if (v === 'invalid') {
        report(`option ${key}=${JSON.stringify(options[key])} is not true/false; treated as unset`);
        return null;
      }
      return v;
    };
    const subnets: string[] = [];
    const gateways: string[] = [];
    for (const c of data.IPAM?.Config ?? []) {
      if (c.Subnet) subnets.push(c.Subnet);
      if (c.Gateway) gateways.push(stripPrefix(c.Gateway)!);
    }
    const containers: DockerNetwork['containers'] = {};
    for (const [id, c] of Object.entries(data.Containers ?? {})) {
      containers[id] = { name: c.Name ?? '', ipv4: stripPrefix(c.IPv4Address), ipv6: stripPrefix(c.IPv6Address) };
    }
    networks.push({
      id: data.Id,
      name: data.Name ?? '',
      driver,
      scope: data.Scope ?? '',
      bridge,
      subnets,
      gateways,
      internal: data.Internal ?? false,
      enableIPv6: data.EnableIPv6 ?? false,
      icc: flag(ENABLE_ICC),
      masquerade: flag(ENABLE_MASQ),
      options,
      labels: data.Labels ?? {},
      containers,
    });
  });
  return { networks, issues };
}
