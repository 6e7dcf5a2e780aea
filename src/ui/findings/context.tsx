// Findings for the views (overview markers, the port detail, the findings
// view), computed off the key path:
//  - after the render that brought a new model, in a setImmediate callback,
//    so key presses already waiting are handled first;
//  - memoized per join (joinRootOf: a refresh that carried the last join
//    over, with new counters or flows only, has the same findings), then by
//    a fingerprint of what
//    findings depend on (rules, policies, bridges, containers, bindings,
//    addresses, sysctls; not counters or flows): a refresh that changed only
//    counters reuses the last result. On a big host (~1-2 s per pass at 10k
//    rules) the pass runs once per change of the rules or of Docker, not
//    on every refresh.
// Until the first pass is done the views show no markers ("computing").
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { QUICK_EXPLAIN_BUDGET, findFindings } from '../../core/findings/findings.js';
import type { HostModel } from '../../core/model/types.js';
import { joinRootOf } from '../../core/refresh/model.js';
import { useHost } from '../data/context.js';
import { findingsFingerprint, indexFindings, type FindingsIndex } from '../present/findings-rows.js';

const Ctx = createContext<FindingsIndex | null>(null);

export function FindingsProvider(props: { children: ReactNode }) {
  const { data } = useHost();
  const model = data.sample?.model ?? null;
  const [index, setIndex] = useState<FindingsIndex | null>(null);
  const byModel = useRef(new WeakMap<HostModel, FindingsIndex>());
  const last = useRef<{ print: string; index: FindingsIndex } | null>(null);
  useEffect(() => {
    if (!model) return;
    const root = joinRootOf(model);
    const hit = byModel.current.get(root);
    if (hit) {
      setIndex(hit);
      return;
    }
    const t = setImmediate(() => {
      const print = findingsFingerprint(root);
      let ix = last.current?.print === print ? last.current.index : null;
      if (!ix) {
        // Bounded like `status`: this runs on the UI thread (skipped ports become a finding).
        ix = indexFindings(findFindings(root, { maxExplains: QUICK_EXPLAIN_BUDGET }));
        last.current = { print, index: ix };
      }
      byModel.current.set(root, ix);
      setIndex(ix);
    });
    return () => clearImmediate(t);
  }, [model]);
  return <Ctx.Provider value={index}>{props.children}</Ctx.Provider>;
}

/** The findings of the data on screen (possibly of the previous refresh); null until computed. */
export function useFindings(): FindingsIndex | null {
  return useContext(Ctx);
}
