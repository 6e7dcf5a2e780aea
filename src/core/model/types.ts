// The joined model: what the views, `status` and the plans consume.
import type { Address, Backend, CaptureMeta, Counters, Family, Flow, Link, LinkStats, ParseIssue, Rule, Ruleset } from '../types.js';

/** Who wrote a rule, as far as its chain and shape tell. */
export type Provenance =
  | 'docker'
  | 'portcullis'
  | 'ufw'
  | 'firewalld'
  | 'kube'
  | 'fail2ban'
  | 'operator'
  | 'unknown';

/**
 * Which generation of Docker's iptables code wrote the rules:
 * - isolation-single: one DOCKER-ISOLATION chain (Engine <= 17.03)
 * - isolation-stage: DOCKER-ISOLATION-STAGE-1/2 (17.06 - 27.x)
 * - ipset: 28.0, isolation through ipsets
 * - forward-chains: DOCKER-FORWARD / DOCKER-CT / DOCKER-BRIDGE (28.x)
 * - internal-29: DOCKER-INTERNAL (29)
 * - none: no Docker chains at all
 */
export type LayoutGeneration =
  | 'isolation-single'
  | 'isolation-stage'
  | 'ipset'
  | 'forward-chains'
  | 'internal-29'
  | 'none'
  | 'unknown';

/** A rule with what the model knows about it. `key` is stable across refreshes. */
export interface RuleRef {
  key: string;
  rule: Rule;
  provenance: Provenance;
}

export interface BridgeModel {
  name: string;
  network: string | null;
  networkId: string | null;
  subnets: string[];
  /** Inter-container communication; null when neither rules nor Docker say. */
  icc: boolean | null;
  masquerade: boolean;
  internal: boolean;
  /** Where the bridge was learnt from. */
  sources: Array<'rules' | 'docker' | 'links'>;
  layout: LayoutGeneration;
  link: Link | null;
}

export interface ContainerNetworkModel {
  network: string;
  bridge: string | null;
  ipv4: string | null;
  ipv6: string | null;
}

export interface ContainerModel {
  id: string;
  name: string;
  image: string;
  running: boolean;
  composeProject: string | null;
  composeService: string | null;
  networks: ContainerNetworkModel[];
  /** Host-side veth of the container's interface on a bridge, when known. */
  veth: { name: string; stats: LinkStats | null } | null;
}

/** Where on a port's path a rule sits, in packet order. */
export type PathStage =
  | 'raw'
  | 'dnat'
  | 'docker-user'
  | 'forward'
  | 'docker-accept'
  | 'input'
  | 'other';

export interface PathRule {
  stage: PathStage;
  ref: RuleRef;
}

export interface PublishedPort {
  /** Stable identity: family/proto/hostIp/hostPort. */
  key: string;
  family: Family;
  proto: string;
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  bridge: string | null;
  container: string | null;
  containerId: string | null;
  /** A docker-proxy listens on the host port for this binding. */
  proxy: boolean;
  proxyPid: number | null;
  /** How the model learnt the port. */
  sources: Array<'rules' | 'docker' | 'proxy'>;
  /** Counters of the DNAT rule (new connections); null when no DNAT rule exists. */
  counters: Counters | null;
  dnat: RuleRef | null;
  path: PathRule[];
  flows: Flow[];
}

/**
 * A container port reachable without NAT: a filter ACCEPT in Docker's chains
 * for a container address and port that no DNAT rule leads to (the `routed`
 * gateway mode of Engine 27+, or a port opened directly).
 */
export interface DirectAccess {
  family: Family;
  proto: string;
  containerIp: string;
  containerPort: number;
  bridge: string | null;
  container: string | null;
  ref: RuleRef;
}

export interface FamilyInfo {
  family: Family;
  /** The backend whose tables hold Docker's chains (the one to write to). */
  backend: Backend | null;
  layout: LayoutGeneration;
  /** A swarm node: DOCKER-INGRESS chains publish service ports through the ingress sandbox. */
  swarm: boolean;
  backends: Backend[];
  forwardPolicy: string | null;
}

export interface HostModel {
  time: number;
  meta: CaptureMeta;
  families: FamilyInfo[];
  bridges: BridgeModel[];
  containers: ContainerModel[];
  published: PublishedPort[];
  directAccess: DirectAccess[];
  /** Every rule of every ruleset, with provenance, in dump order. */
  rules: RuleRef[];
  flows: Flow[];
  links: Link[];
  /** The parsed rulesets the model was built from (chain policies, empty chains). */
  rulesets: Ruleset[];
  /** The host's own addresses (addrtype LOCAL, routing); empty when unknown. */
  addresses: Address[];
  /** Docker's containers and networks were read (names are known). */
  dockerKnown: boolean;
  /** Kernel settings read with the snapshot (sysctl.txt); null when not read. */
  sysctls: Record<string, string> | null;
  /** Plain sentences about what could not be known or does not add up. */
  warnings: string[];
  issues: ParseIssue[];
}
