// Rollback and undo as plans. Both write only the owned chains (and their
// jumps), so whatever Docker or anyone else changed meanwhile stays.
// - rollback: the owned chains go back to exactly what they were before a
//   transaction (used at the watchdog's deadline and by `portcullis rollback`);
// - undo: only the sections a past transaction changed go back, so later
//   unrelated changes survive; a section changed again since is a conflict.
import type { Family } from '../types.js';
import { sameRules, sectionsOf, chainsOf, type Sections } from './owned.js';
import { makePlan, type FamilyContext } from './plan.js';
import { PlanError, type Intent, type OwnedChains, type Plan } from './types.js';

/** What a journaled transaction did in one family. */
export interface TxFamily {
  family: Family;
  before: OwnedChains;
  after: OwnedChains;
}

export function planRollback(contexts: FamilyContext[], tx: string, targets: Map<Family, OwnedChains>): Plan {
  const intent: Intent = { kind: 'rollback', tx };
  return makePlan(intent, contexts, targets, {
    summary: `rollback of ${tx}: Portcullis chains back to their state before it (rules Docker or others added meanwhile stay)`,
  });
}

function sameSection(a: Map<string, string[]> | undefined, b: Map<string, string[]> | undefined): boolean {
  const chains = new Set([...(a?.keys() ?? []), ...(b?.keys() ?? [])]);
  for (const c of chains) if (!sameRules(a?.get(c) ?? [], b?.get(c) ?? [])) return false;
  return true;
}

function describeKey(key: string): string {
  const i = key.indexOf(':');
  return i === -1 ? key : `${key.slice(0, i)} ${key.slice(i + 1)}`;
}

/** Sections that differ between two owned states. */
export function changedSections(before: OwnedChains, after: OwnedChains): string[] {
  const a = sectionsOf(before);
  const b = sectionsOf(after);
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => !sameSection(a.get(k), b.get(k))).sort();
}

export function planUndo(contexts: FamilyContext[], tx: string, families: TxFamily[]): Plan {
  const intent: Intent = { kind: 'undo', tx };
  const desired = new Map<Family, OwnedChains>();
  const undone = new Set<string>();
  for (const ctx of contexts) {
    const t = families.find((f) => f.family === ctx.family);
    if (!t) continue;
    const keys = changedSections(t.before, t.after);
    if (keys.length === 0) continue;
    const cur: Sections = sectionsOf(ctx.state.chains);
    const before = sectionsOf(t.before);
    const after = sectionsOf(t.after);
    for (const k of keys) {
      if (!sameSection(cur.get(k), after.get(k))) {
        throw new PlanError(
          'refused',
          `cannot undo ${tx}: IPv${ctx.family} ${describeKey(k)} changed again since (undo the later transaction first, or make the change you want directly)`,
        );
      }
      const b = before.get(k);
      if (b) cur.set(k, b);
      else cur.delete(k);
      undone.add(describeKey(k));
    }
    desired.set(ctx.family, chainsOf(cur));
  }
  return makePlan(intent, contexts, desired, {
    summary: `undo ${tx}: ${undone.size ? [...undone].join(', ') : 'nothing'} back to before it (other Portcullis rules untouched)`,
  });
}
