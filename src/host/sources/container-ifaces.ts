// container-ifaces adapter: each running container's interfaces and the
// ifindex of their host-side peer (container-ifaces.json, an extension of the
// capture format, see types.ts), read from the container's own sysfs through
// /proc/PID/root/sys/class/net: the sysfs a container mounts belongs to its
// network namespace, so `iflink` there is the host-side veth's ifindex.
//
// Format: JSON array of { containerId, ifname, mac, peerIfindex }, sorted by
// container id then ifname. Interfaces that are not one end of a pair (iflink
// equal to their own ifindex, e.g. lo) are left out. Containers sharing
// another network namespace (`host`, `container:ID`) are left out too: their
// interfaces are not theirs.

import { readdir, readFile } from 'node:fs/promises';
import { emptyResult, mapLimit, type SourceResult } from './common.js';

export interface ContainerIfaceEntry {
  containerId: string;
  ifname: string;
  mac: string | null;
  peerIfindex: number;
}

interface InspectLike {
  Id?: unknown;
  State?: { Running?: unknown; Pid?: unknown };
  HostConfig?: { NetworkMode?: unknown };
}

async function readTrim(p: string): Promise<string | null> {
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch {
    return null;
  }
}

async function ifacesOf(id: string, pid: number): Promise<ContainerIfaceEntry[] | null> {
  const base = `/proc/${pid}/root/sys/class/net`;
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return null;
  }
  const out: ContainerIfaceEntry[] = [];
  for (const ifname of names.sort()) {
    const [iflink, ifindex, mac] = await Promise.all([
      readTrim(`${base}/${ifname}/iflink`),
      readTrim(`${base}/${ifname}/ifindex`),
      readTrim(`${base}/${ifname}/address`),
    ]);
    const peer = iflink === null ? NaN : Number(iflink);
    if (!Number.isInteger(peer) || peer < 0 || iflink === ifindex) continue;
    out.push({ containerId: id, ifname, mac: mac || null, peerIfindex: peer });
  }
  return out;
}

/** Build container-ifaces.json from containers.json text (docker inspect shape). */
export async function readContainerIfaces(containersJson: string | undefined, unavailableWhy?: string): Promise<SourceResult> {
  const out = emptyResult();
  if (containersJson === undefined) {
    out.unavailable['container-ifaces.json'] = unavailableWhy ?? 'containers could not be read';
    return out;
  }
  const t0 = performance.now();
  let list: InspectLike[];
  try {
    const parsed: unknown = JSON.parse(containersJson);
    list = Array.isArray(parsed) ? (parsed as InspectLike[]) : [];
  } catch {
    out.unavailable['container-ifaces.json'] = 'containers.json is not JSON';
    return out;
  }
  const running = list.flatMap((c) => {
    const id = typeof c.Id === 'string' ? c.Id : null;
    const pid = typeof c.State?.Pid === 'number' ? c.State.Pid : 0;
    const mode = typeof c.HostConfig?.NetworkMode === 'string' ? c.HostConfig.NetworkMode : '';
    if (!id || c.State?.Running !== true || pid <= 0) return [];
    if (mode === 'host' || mode.startsWith('container:')) return [];
    return [{ id, pid }];
  });
  let unreadable = 0;
  const per = await mapLimit(running, 16, async ({ id, pid }) => {
    const r = await ifacesOf(id, pid);
    if (r === null) unreadable++;
    return r ?? [];
  });
  const entries = per.flat().sort((a, b) => (a.containerId === b.containerId ? (a.ifname < b.ifname ? -1 : 1) : a.containerId < b.containerId ? -1 : 1));
  if (unreadable > 0) {
    out.notes.push(`interfaces of ${unreadable} running container(s) could not be read from /proc/PID/root/sys (needs root)`);
  }
  out.files['container-ifaces.json'] = `${JSON.stringify(entries, null, 2)}\n`;
  out.timings['container sysfs scan'] = Math.round((performance.now() - t0) * 10) / 10;
  return out;
}
