// From desired owned chains per family to a Plan: payload, diff, the text
// the apply step compares before (stale check) and after (verify).
import type { Backend, Family, Ruleset } from '../types.js';
import type { HostModel } from '../model/types.js';
import {
  chainsDiff,
  chainsText,
  chainsTextAfter,
  emptyRuleset,
  fwdParentOf,
  isEmptyTransition,
  ownedStateOf,
  payloadOf,
  transitionOf,
  watchedChains,
} from './owned.js';
import type { FamilyPlan, Intent, OwnedChains, OwnedState, Plan } from './types.js';

export interface PlanInput {
  model: HostModel;
  /** Every ruleset read (Snapshot.rulesets); the one Docker writes to is used per family. */
  rulesets: Ruleset[];
}

/** One family's filter table as the planner sees it. */
export interface FamilyContext {
  family: Family;
  backend: Backend;
  ruleset: Ruleset;
  state: OwnedState;
  /** The family's ruleset was read and has tables (false: e.g. no ip6tables rules at all). */
  present: boolean;
}

/** Backend to write a family to: Docker's; else the one whose rules were read (nft first); else IPv4's; else nft. */
export function backendFor(model: HostModel | null, rulesets: Ruleset[], family: Family): Backend {
  const info = model?.families.find((f) => f.family === family);
  if (info?.backend) return info.backend;
  const sets = rulesets.filter((r) => r.family === family && r.tables.length > 0);
  const pick = sets.find((r) => r.backend === 'nft') ?? sets[0];
  if (pick) return pick.backend;
  if (family === 6) {
    const v4 = model?.families.find((f) => f.family === 4)?.backend;
    if (v4) return v4;
  }
  return 'nft';
}

export function contextOf(family: Family, backend: Backend, ruleset: Ruleset | undefined): FamilyContext {
  const rs = ruleset ?? emptyRuleset(family, backend);
  return { family, backend, ruleset: rs, state: ownedStateOf(rs), present: rs.tables.length > 0 };
}

export function contextsOf(input: PlanInput): FamilyContext[] {
  return ([4, 6] as const).map((family) => {
    const backend = backendFor(input.model, input.rulesets, family);
    return contextOf(family, backend, input.rulesets.find((r) => r.family === family && r.backend === backend));
  });
}

/** The plan of one family from its desired owned chains. */
export function familyPlan(ctx: FamilyContext, desired: OwnedChains): FamilyPlan {
  const t = transitionOf(ctx.state, desired);
  const watched = watchedChains(ctx.state, desired);
  return {
    family: ctx.family,
    backend: ctx.backend,
    before: ctx.state,
    after: desired,
    fwdParent: fwdParentOf(ctx.state.dockerUser),
    payload: payloadOf(t, desired),
    watched,
    watchedBefore: chainsText(ctx.ruleset, watched),
    watchedAfter: chainsTextAfter(ctx.ruleset, watched, ctx.state, desired),
    diff: isEmptyTransition(t) ? '' : chainsDiff(ctx.family, ctx.ruleset, ctx.state, desired),
  };
}

export function makePlan(
  intent: Intent,
  contexts: FamilyContext[],
  desired: Map<Family, OwnedChains>,
  text: { summary: string; details?: string[]; warnings?: string[] },
): Plan {
  const families: FamilyPlan[] = [];
  const warnings = [...(text.warnings ?? [])];
  for (const ctx of contexts) {
    const want = desired.get(ctx.family);
    if (want === undefined) continue;
    const fp = familyPlan(ctx, want);
    if (fp.payload === '') continue;
    families.push(fp);
    if (ctx.state.foreign > 0) {
      warnings.push(
        `IPv${ctx.family}: ${ctx.state.foreign} rule(s) in Portcullis chains carry no portcullis comment (added by hand); they are kept at the end of their chain`,
      );
    }
    if (!ctx.state.dockerUser && want['PORTCULLIS-FWD'] !== undefined) {
      warnings.push(
        `IPv${ctx.family}: Docker made no DOCKER-USER chain in this family; PORTCULLIS-FWD is jumped from the top of FORWARD instead (the jump is put back on top by every later change)`,
      );
    }
  }
  return {
    intent,
    summary: text.summary,
    details: text.details ?? [],
    warnings,
    families,
    changed: families.length > 0,
  };
}
