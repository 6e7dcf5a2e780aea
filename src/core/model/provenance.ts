// Who wrote a rule. Decided from the chain it lives in and, for rules in
// built-in chains, from what it jumps to or which Docker bridge it names.
// Anything an operator added by hand to DOCKER-USER or the built-in chains is
// 'operator'; chains we cannot attribute are 'unknown', never dropped.
import type { Rule } from '../types.js';
import type { Provenance } from './types.js';

export const OWNED_CHAIN_PREFIX = 'PORTCULLIS-';

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);

// Chain and interface names are few and asked about once per rule: the
// answers are memoised (dropped whole past MEMO_MAX, so memory stays bounded).
const MEMO_MAX = 10_000;
const chainMemo = new Map<string, Provenance | null>();
const bridgeNameMemo = new Map<string, boolean>();

function chainFamily(chain: string): Provenance | null {
  let p = chainMemo.get(chain);
  if (p === undefined) {
    if (chainMemo.size >= MEMO_MAX) chainMemo.clear();
    p = chainFamilyUncached(chain);
    chainMemo.set(chain, p);
  }
  return p;
}

function chainFamilyUncached(chain: string): Provenance | null {
  if (chain.startsWith(OWNED_CHAIN_PREFIX)) return 'portcullis';
  if (chain === 'DOCKER-USER') return null; // decided per rule
  if (chain === 'DOCKER' || chain.startsWith('DOCKER-') || chain.startsWith('DOCKER_')) return 'docker';
  if (/^ufw6?-/.test(chain)) return 'ufw';
  if (/^(KUBE-|cali-|CILIUM_|KUBE_|flannel|FLANNEL)/.test(chain)) return 'kube';
  if (/^(f2b-|fail2ban-)/.test(chain)) return 'fail2ban';
  if (/(_direct|_ZONES|_ZONES_SOURCE|_allow|_deny|_log|_pre|_post)$/.test(chain) || /^(IN|FWDI|FWDO|FWD|OUT|PRE|POST)_[a-z]/.test(chain))
    return 'firewalld';
  return null;
}

/** Docker bridges are docker0, br-<12 hex> and docker_gwbridge. */
export function isDockerBridgeName(name: string): boolean {
  let b = bridgeNameMemo.get(name);
  if (b === undefined) {
    if (bridgeNameMemo.size >= MEMO_MAX) bridgeNameMemo.clear();
    b = name === 'docker0' || /^br-[0-9a-f]{12}$/.test(name) || name === 'docker_gwbridge';
    bridgeNameMemo.set(name, b);
  }
  return b;
}

function namesDockerBridge(rule: Rule): boolean {
  for (const m of rule.matches) {
    if ((m.flag === '-i' || m.flag === '-o' || m.flag === '--in-interface' || m.flag === '--out-interface') && m.values[0]) {
      if (isDockerBridgeName(m.values[0])) return true;
    }
  }
  return false;
}

export function provenanceOf(rule: Rule, extraDockerBridges?: ReadonlySet<string>): Provenance {
  const byChain = chainFamily(rule.chain);
  if (byChain) return byChain;

  const target = rule.target ?? '';
  const byTarget = chainFamily(target);

  if (rule.chain === 'DOCKER-USER') {
    // Docker writes only the trailing RETURN (older engines); everything else is the operator's,
    // except our own jump.
    if (byTarget === 'portcullis') return 'portcullis';
    if (target === 'RETURN' && rule.matches.length === 0) return 'docker';
    return 'operator';
  }

  if (BUILTIN.has(rule.chain)) {
    if (byTarget) return byTarget;
    // Docker itself writes the FORWARD -> DOCKER-USER jump.
    if (target === 'DOCKER-USER') return 'docker';
    if (namesDockerBridge(rule)) return 'docker';
    if (extraDockerBridges && rule.matches.some((m) => (m.flag === '-i' || m.flag === '-o') && m.values[0] && extraDockerBridges.has(m.values[0])))
      return 'docker';
    // Docker's masquerade for a bridge subnet when the bridge is named elsewhere.
    if (rule.table === 'nat' && rule.chain === 'POSTROUTING' && target === 'MASQUERADE' && isDockerMasquerade(rule)) return 'docker';
    if (rule.comment && /ufw/i.test(rule.comment)) return 'ufw';
    return 'operator';
  }
  return 'unknown';
}

/**
 * Docker's POSTROUTING masquerades: `-s SUBNET ! -o br -j MASQUERADE` and the
 * hairpin `-s C/32 -d C/32 -p tcp --dport P -j MASQUERADE` of a published port.
 */
function isDockerMasquerade(rule: Rule): boolean {
  if (/(^| )-s \S+ ! -o (docker0|br-[0-9a-f]{12}|docker_gwbridge)( |$)/.test(rule.text)) return true;
  const hairpin = /^-s (\S+)\/(32|128) -d (\S+)\/(32|128) -p (tcp|udp|sctp) -m \5 --dport \d+ -j MASQUERADE$/.exec(rule.text);
  return hairpin !== null && hairpin[1] === hairpin[3];
}
