// Public shapes of `explain`: the query, each step of each route, verdicts.
import type { Backend, Family } from '../types.js';
import type { Provenance } from '../model/types.js';

export interface ExplainQuery {
  /** Client address; null = any source (used by findings). */
  src: string | null;
  /** Interface the packet comes in on; omitted: guessed from the addresses (said in notes). */
  iface?: string | null;
  /** Destination address: a host address, or a container address; null = "a host address" (unspecified). */
  dst: string | null;
  dport: number;
  /** tcp, udp, sctp... */
  proto: string;
  /** Needed only when src and dst are both null. */
  family?: Family;
  /** Client's source port; unknown by default (rules on --sport are then undecidable). */
  sport?: number | null;
  /** The packet's mark (and connection mark) on arrival; unknown by default (mark matches are undecidable). */
  mark?: number | null;
}

/**
 * How much of the walk a result records. 'all' (the default): every rule
 * evaluated, with its reason. 'decisive': only rules that act on the packet:
 * rules that do not match, and rules whose match changes nothing (LOG and the
 * other passive targets, a source NAT that may match) are left out (and not
 * explained) except in `keepHooks`; every other step, the assumptions and the
 * verdicts are exactly those of 'all'. For callers that read verdicts, not
 * walks (findings explain a packet per published port).
 */
export interface ExplainOptions {
  steps?: 'all' | 'decisive';
  /** Hooks ('filter INPUT') whose non-matching rules are recorded even when steps is 'decisive'. */
  keepHooks?: readonly string[];
}

/** A rule or a chain policy that decided something. */
export interface RuleInfo {
  kind: 'rule' | 'policy';
  family: Family;
  backend: Backend;
  table: string;
  chain: string;
  /** RuleRef key (null for a policy). */
  key: string | null;
  /** Rule text after `-A CHAIN `, or `policy DROP`. */
  text: string;
  position: number | null;
  provenance: Provenance | null;
}

export type StepKind = 'rule' | 'policy' | 'return' | 'hook' | 'route' | 'listener' | 'deliver' | 'note';

export interface ExplainStep {
  kind: StepKind;
  /** e.g. "nat PREROUTING" for rules and policies: the hook being traversed. */
  hook: string | null;
  rule: RuleInfo | null;
  /** For rules: the match result. 'maybe' steps carry `assumed`. */
  result: 'match' | 'no match' | 'maybe' | null;
  assumed: 'match' | 'no match' | null;
  /** Why it matched or not, or what happened (plain words). */
  why: string;
  /** What the rule did: "jump DOCKER-USER", "ACCEPT", "DNAT to 172.17.0.2:80"... */
  action: string | null;
  /** Depth of user-chain calls below the hook's built-in chain. */
  depth: number;
}

export interface Assumption {
  rule: RuleInfo;
  assumed: 'match' | 'no match';
  /** Why the match cannot be evaluated. */
  why: string;
}

export type VerdictKind = 'delivered' | 'dropped' | 'rejected' | 'no-listener' | 'forwarded' | 'unreachable' | 'undecidable';

export interface Verdict {
  kind: VerdictKind;
  /** One plain sentence. */
  summary: string;
  /** How the packet got there (for delivered). */
  route: 'forward' | 'docker-proxy' | 'local' | null;
  container: string | null;
  address: string | null;
  port: number | null;
  /** The rule (or policy) that decided: DROP/REJECT rule, policy, or the last ACCEPT on the way. */
  deciding: RuleInfo | null;
  /** For undecidable: the rule whose match could not be evaluated, and why. */
  undecidable: { rule: RuleInfo; why: string } | null;
}

export interface ExplainRoute {
  steps: ExplainStep[];
  assumptions: Assumption[];
  verdict: Verdict;
}

export interface ExplainResult {
  query: {
    family: Family;
    proto: string;
    src: string | null;
    sport: number | null;
    dst: string | null;
    dport: number;
    iface: string | null;
    /** The packet starts on the host itself (OUTPUT), not from outside. */
    localOrigin: boolean;
  };
  /** One line describing the packet. */
  packet: string;
  /** Every route the packet can take: one when every match could be evaluated. */
  routes: ExplainRoute[];
  verdict: Verdict;
  /** true / false when every route agrees; null when it depends on an undecidable rule. */
  delivered: boolean | null;
  notes: string[];
}
