// Plans: (current ruleset + model, intent) -> the new content of the chains
// Portcullis owns, the restore payload that gets there, and a diff.
// Pure data; see ./README in ARCHITECTURE.md "Guided actions".
import type { Backend, Family } from '../types.js';

/** Chains Portcullis owns (filter table). Everything else is never rewritten. */
export const CHAIN_FWD = 'PORTCULLIS-FWD';
export const CHAIN_IN = 'PORTCULLIS-IN';
export const CHAIN_LOCK = 'PORTCULLIS-LOCK';
export const OWNED_CHAINS = [CHAIN_FWD, CHAIN_IN, CHAIN_LOCK] as const;
export type OwnedChain = (typeof OWNED_CHAINS)[number];

/** Every rule we write carries `-m comment --comment "portcullis:<kind>[:<id>]"`. */
export const COMMENT_PREFIX = 'portcullis:';

export type SectionKind = 'icc' | 'lockdown' | 'whitelist' | 'proxy';

/** Owned chain name -> rule texts (what follows `-A CHAIN `), in order. A missing key: the chain does not exist. */
export type OwnedChains = Partial<Record<string, string[]>>;

/** A rule in a chain we do not own that jumps into one of ours. */
export interface Jump {
  parent: string;
  target: string;
  /** 1-based position in the parent chain. */
  position: number;
  /** Rule text as read (`-j PORTCULLIS-FWD`). */
  text: string;
}

/** What Portcullis owns in one family's filter table, read from the live rules. */
export interface OwnedState {
  family: Family;
  backend: Backend;
  chains: OwnedChains;
  jumps: Jump[];
  /** Docker's DOCKER-USER chain exists in this family (else PORTCULLIS-FWD hangs off FORWARD). */
  dockerUser: boolean;
  /** Rules in our chains without a portcullis comment (hand-made): kept at the end, reported. */
  foreign: number;
}

/** Which published binding an action is about (CLI --port/--proto/--host-ip/--container). */
export interface PortSelector {
  port: number;
  proto?: string;
  hostIp?: string;
  container?: string;
}

export type Intent =
  | { kind: 'whitelist'; port: PortSelector; allow: string[] }
  | { kind: 'proxy'; port: PortSelector; loopback: boolean; off: boolean }
  | { kind: 'icc'; bridge: string; enabled: boolean }
  | { kind: 'lockdown'; allow: string[]; off: boolean; ssh: string | null }
  | { kind: 'rollback'; tx: string }
  | { kind: 'undo'; tx: string };

export interface FamilyPlan {
  family: Family;
  backend: Backend;
  before: OwnedState;
  /** The owned chains after the change (jumps follow from them: see desiredJumps). */
  after: OwnedChains;
  /** Parent chain of PORTCULLIS-FWD in this family. */
  fwdParent: string;
  /** `iptables-restore --noflush` input; '' when this family does not change. */
  payload: string;
  /** Chains whose text is compared before applying (owned chains + the chains we jump from). */
  watched: string[];
  /** Canonical text of the watched chains when the plan was made (no counters). */
  watchedBefore: string;
  /** Canonical text of the watched chains the plan expects afterwards. */
  watchedAfter: string;
  /** Unified diff of the chains that change (iptables-save text, before -> after). */
  diff: string;
}

export interface Plan {
  intent: Intent;
  /** One line: what traffic the change affects. */
  summary: string;
  /** More lines for the preview: what is cut, what stays. */
  details: string[];
  warnings: string[];
  families: FamilyPlan[];
  /** true when at least one family has a payload. */
  changed: boolean;
}

/** A plan that cannot be made: `usage` names a bad argument (exit 2), `refused` is a state that makes the action unsafe or meaningless (exit 3). */
export class PlanError extends Error {
  override name = 'PlanError';
  constructor(
    readonly kind: 'usage' | 'refused',
    message: string,
    readonly arg: string | null = null,
  ) {
    super(message);
  }
}
