// Findings: things in the firewall that do not do what they look like they
// do, or leave a container more open than its owner probably thinks.
import type { Backend, Family } from '../types.js';
import type { Provenance } from '../model/types.js';

export type Severity = 'info' | 'warn' | 'critical';

export type FindingKind =
  | 'input-rule-on-published-port'
  | 'docker-user-host-port'
  | 'docker-user-accept'
  | 'docker-user-drop-unscoped'
  | 'published-open'
  | 'proxy-bypass'
  | 'stale-container-address'
  | 'both-backends'
  | 'forward-policy-accept'
  | 'icc-without-br-netfilter'
  | 'portcullis-jump-missing'
  /** The explain-based checks stopped at their budget on a large host: said, not hidden. */
  | 'checks-incomplete';

export interface FindingRule {
  /** RuleRef key (stable across refreshes). */
  key: string;
  /** Rule text after `-A CHAIN `. */
  text: string;
  family: Family;
  backend: Backend;
  table: string;
  chain: string;
  position: number;
  provenance: Provenance;
}

export type FindingSubject =
  | { kind: 'port'; key: string }
  | { kind: 'bridge'; name: string }
  | { kind: 'chain'; family: Family; backend: Backend; table: string; chain: string }
  | { kind: 'address'; address: string }
  | { kind: 'host'; family: Family | null };

/** The guided action that fixes it (see src/core/plan Intent), or null when none does. */
export type FindingFix =
  | { action: 'whitelist'; port: string }
  | { action: 'block-proxy'; port: string; loopback: boolean }
  | { action: 'icc'; bridge: string; enabled: boolean }
  | { action: 'reapply'; chain: string; family: Family }
  | null;

export interface Finding {
  /** Stable id: kind, subject and a hash of the rules involved. */
  id: string;
  kind: FindingKind;
  severity: Severity;
  title: string;
  /** Plain sentences: what happens, why, what to do. */
  explanation: string;
  rules: FindingRule[];
  subject: FindingSubject;
  fix: FindingFix;
}

export interface FindingsContext {
  /** Snapshot.addresses: addrtype LOCAL and the host's own addresses on bridges. */
  addresses?: import('../types.js').Address[] | null;
  /** Snapshot.rulesets: chain policies (INPUT DROP...), which the model lacks. */
  rulesets?: import('../types.js').Ruleset[] | null;
  /**
   * Host facts the snapshot does not read yet. brNetfilter: the br_netfilter
   * module is loaded and net.bridge.bridge-nf-call-iptables = 1 in the
   * namespace (null: unknown).
   */
  sysctls?: { brNetfilter: boolean | null } | null;
  /**
   * At most this many packets are explained (the per-port checks: open to
   * every source, docker-proxy bypasses, INPUT rules). Each explain walks the
   * rules and may fork on matches it cannot evaluate, so on a host with
   * thousands of ports the whole pass would take minutes; past the budget the
   * remaining ports are skipped and a 'checks-incomplete' finding says how
   * many. Default: no limit.
   */
  maxExplains?: number;
}
