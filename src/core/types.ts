// Core data types shared by parsers, the model, plans and the UI.
// Pure data only: nothing here does I/O. Counters are plain numbers
// (iptables counters stay far below 2^53 in practice).

export type Family = 4 | 6;
/** Which iptables backend a ruleset was read from. */
export type Backend = 'nft' | 'legacy';

/** A line some parser could not understand. Parsing always goes on after one. */
export interface ParseIssue {
  /** Which source the text came from, e.g. "iptables-save.txt" or "conntrack -L". */
  source: string;
  /** 1-based line number in that source (0 when the whole input is at fault). */
  line: number;
  /** The offending text, cut to a readable length. */
  text: string;
  message: string;
}

export interface Counters {
  packets: number;
  bytes: number;
}

// ---------------------------------------------------------------- iptables

/**
 * One option of a rule, in the order it appeared: `! -s 10.0.0.0/8` is
 * { flag: '-s', values: ['10.0.0.0/8'], negated: true, module: null }.
 * `module` is the `-m NAME` (or implicit `-p tcp`) the option belongs to.
 */
export interface RuleOption {
  flag: string;
  values: string[];
  negated: boolean;
  module: string | null;
}

export interface Rule {
  family: Family;
  backend: Backend;
  table: string;
  chain: string;
  /** 1-based position inside its chain. */
  position: number;
  /** `[packets:bytes]` prefix of `iptables-save -c`; null when the dump had none. */
  counters: Counters | null;
  /**
   * The rule exactly as written after `-A CHAIN ` (counters removed). The
   * serializer writes this back byte-for-byte, so rules we do not own are kept.
   */
  text: string;
  /** Match options (everything before -j/-g), in order. */
  matches: RuleOption[];
  /** `-m NAME` modules in order of appearance. */
  modules: string[];
  /** Target of -j or -g (e.g. ACCEPT, DNAT, DOCKER); null for a rule with none. */
  target: string | null;
  /** true when the rule used -g (goto) instead of -j. */
  goto: boolean;
  /** Options after the target (e.g. --to-destination 172.17.0.2:80). */
  targetOptions: RuleOption[];
  /** Value of `-m comment --comment`, unquoted; null when absent. */
  comment: string | null;
  /** Line number in the source dump. */
  line: number;
}

export interface Chain {
  name: string;
  /** Built-in chains (INPUT, FORWARD, ...) have a policy; user chains have '-'. */
  policy: string | null;
  /** Chain counters from the `:NAME POLICY [p:b]` line, when present. */
  counters: Counters | null;
  rules: Rule[];
}

export interface Table {
  name: string;
  /** Chains in declaration order. */
  chains: Chain[];
}

export interface Ruleset {
  family: Family;
  backend: Backend;
  tables: Table[];
  /**
   * Every line of the input in order, classified, so the serializer can
   * write the dump back (comments, unknown lines and all).
   */
  lines: RulesetLine[];
  issues: ParseIssue[];
}

export type RulesetLine =
  | { kind: 'comment'; text: string }
  | { kind: 'table'; table: string }
  | { kind: 'chain'; table: string; chain: string }
  | { kind: 'rule'; table: string; chain: string; position: number }
  | { kind: 'commit'; table: string }
  | { kind: 'blank' }
  /** A line that could not be parsed: kept verbatim, also reported as an issue. */
  | { kind: 'unknown'; text: string };

// ---------------------------------------------------------------- conntrack

export interface FlowTuple {
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  /** ICMP type/code/id when the protocol is icmp/icmpv6. */
  icmp?: { type: number; code: number; id: number };
  /** Accounting counters of this direction when conntrack accounting is on. */
  packets?: number;
  bytes?: number;
}

export interface Flow {
  /** 'ipv4' | 'ipv6' (from -o extended or inferred from the addresses). */
  family: Family;
  /** tcp, udp, icmp, icmpv6, sctp, dccp, gre, unknown... */
  proto: string;
  protoNum: number;
  /** Seconds left before the entry expires. */
  timeout: number;
  /** TCP/SCTP/DCCP state such as ESTABLISHED or TIME_WAIT; null for udp/icmp. */
  state: string | null;
  orig: FlowTuple;
  reply: FlowTuple;
  /** [ASSURED], [UNREPLIED], [OFFLOAD]... without brackets. */
  flags: string[];
  mark: number | null;
  zone: number | null;
  use: number | null;
  id: number | null;
}

// ---------------------------------------------------------------- links

export interface LinkStats {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
  rxDropped: number;
  txDropped: number;
}

export interface Link {
  ifindex: number;
  name: string;
  /** bridge, veth, ... from linkinfo when `ip -d`; else guessed null. */
  kind: string | null;
  /** Name of the bridge this port is enslaved to. */
  master: string | null;
  operstate: string;
  mac: string | null;
  mtu: number | null;
  /** ifindex of the veth peer (`link_index`) and its netns id, when shown. */
  peerIfindex: number | null;
  linkNetnsId: number | null;
  stats: LinkStats | null;
}

export interface Address {
  ifname: string;
  ifindex: number;
  family: Family;
  local: string;
  prefixlen: number;
  scope: string | null;
}

// ---------------------------------------------------------------- docker

export interface DockerPortBinding {
  /** "80/tcp" style key split. */
  containerPort: number;
  proto: string;
  hostIp: string;
  hostPort: number;
}

export interface DockerEndpoint {
  network: string;
  networkId: string;
  ipv4: string | null;
  ipv4Prefix: number | null;
  ipv6: string | null;
  ipv6Prefix: number | null;
  mac: string | null;
  aliases: string[];
}

export interface DockerContainer {
  id: string;
  name: string;
  image: string;
  running: boolean;
  status: string;
  pid: number | null;
  labels: Record<string, string>;
  networkMode: string;
  endpoints: DockerEndpoint[];
  ports: DockerPortBinding[];
}

export interface DockerNetwork {
  id: string;
  name: string;
  driver: string;
  scope: string;
  /** Linux bridge name: the com.docker.network.bridge.name option, else br-<id12>. */
  bridge: string | null;
  subnets: string[];
  gateways: string[];
  internal: boolean;
  enableIPv6: boolean;
  /** com.docker.network.bridge.enable_icc; null when unset (daemon default). */
  icc: boolean | null;
  /** com.docker.network.bridge.enable_ip_masquerade; null when unset. */
  masquerade: boolean | null;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** container id -> endpoint addresses as the network reports them. */
  containers: Record<string, { name: string; ipv4: string | null; ipv6: string | null }>;
}

/** One interface inside a container and the ifindex of its host-side peer. */
export interface ContainerIface {
  containerId: string;
  ifname: string;
  mac: string | null;
  /** The container interface's iflink: ifindex of the host-side veth. */
  peerIfindex: number;
}

export interface DockerProxy {
  pid: number | null;
  proto: string;
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  argv: string[];
}

// ---------------------------------------------------------------- capture

/**
 * The raw text of every source, keyed by the capture file name
 * (architecture.md "A capture is a directory"). The live source and the
 * capture directory both produce this, so everything downstream is shared.
 */
export const CAPTURE_FILES = [
  'iptables-save.txt',
  'iptables-legacy-save.txt',
  'ip6tables-save.txt',
  'ip6tables-legacy-save.txt',
  'conntrack.txt',
  'ip-link.json',
  'ip-addr.json',
  'containers.json',
  'networks.json',
  'docker-proxy.txt',
  // Extension to architecture.md's list: each running container's interfaces
  // with their iflink (the host-side veth's ifindex), read from the
  // container's own sysfs. It is what ties a veth to a container.
  'container-ifaces.json',
  // Extension: `sysctl -e` of the kernel settings the model judges rules by
  // (br_netfilter's bridge-nf-call-*, forwarding, conntrack table size).
  'sysctl.txt',
] as const;
export type CaptureFile = (typeof CAPTURE_FILES)[number];

export interface CaptureMeta {
  /** Milliseconds since the epoch when the capture was taken. */
  time: number;
  hostname: string | null;
  netns: string | null;
  dockerVersion: string | null;
  /** Why a source is missing: file name -> plain explanation. */
  unavailable: Partial<Record<CaptureFile, string>>;
  /** Free-form notes from the reader (e.g. "not root: conntrack needs CAP_NET_ADMIN"). */
  notes: string[];
}

export interface RawCapture {
  files: Partial<Record<CaptureFile, string>>;
  meta: CaptureMeta;
}

// ---------------------------------------------------------------- snapshot

export interface Snapshot {
  time: number;
  meta: CaptureMeta;
  /** Every ruleset that was read: v4/v6 x nft/legacy. */
  rulesets: Ruleset[];
  flows: Flow[] | null;
  links: Link[] | null;
  addresses: Address[] | null;
  containers: DockerContainer[] | null;
  networks: DockerNetwork[] | null;
  proxies: DockerProxy[] | null;
  containerIfaces: ContainerIface[] | null;
  /** `sysctl.txt` key -> value; null when not read. */
  sysctls: Record<string, string> | null;
  issues: ParseIssue[];
}
