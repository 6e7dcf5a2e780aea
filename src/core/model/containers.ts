// Containers as the model shows them: names, compose labels, networks with
// the bridge each one sits on, and the host-side veth when it can be found.
import type { ContainerIface, DockerContainer, DockerNetwork, Link } from '../types.js';
import type { ContainerModel } from './types.js';


export function buildContainers(
  containers: DockerContainer[] | null,
  networks: DockerNetwork[] | null,
  links: Link[] | null,
  ifaces: ContainerIface[] | null,
): ContainerModel[] {
  const bridgeOf = new Map<string, string | null>();
  for (const n of networks ?? []) {
    bridgeOf.set(n.name, n.bridge);
    bridgeOf.set(n.id, n.bridge);
  }
  const linkByIndex = new Map<number, Link>();
  for (const l of links ?? []) linkByIndex.set(l.ifindex, l);

  const out: ContainerModel[] = [];
  for (const c of containers ?? []) {
    let veth: ContainerModel['veth'] = null;
    const mine = (ifaces ?? []).filter((i) => i.containerId === c.id);
    for (const i of mine) {
      const l = linkByIndex.get(i.peerIfindex);
      if (l && !veth) veth = { name: l.name, stats: l.stats };
    }
    out.push({
      id: c.id,
      name: c.name,
      image: c.image,
      running: c.running,
      composeProject: c.labels['com.docker.compose.project'] ?? null,
      composeService: c.labels['com.docker.compose.service'] ?? null,
      networks: c.endpoints.map((e) => ({
        network: e.network,
        bridge: bridgeOf.get(e.networkId) ?? bridgeOf.get(e.network) ?? null,
        ipv4: e.ipv4,
        ipv6: e.ipv6,
      })),
      veth,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
