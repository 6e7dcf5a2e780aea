// Everything a view needs from the data side, derived once per refresh:
// the current and previous samples, rates, and the flows of each port
// (recomputed from the live conntrack table when events are flowing).
import { flowsOfPort, indexFlows } from '../../core/model/flows.js';
import type { Rate, Rates } from '../../core/model/rates.js';
import type { PublishedPort } from '../../core/model/types.js';
import type { Flow } from '../../core/types.js';
import type { Sample } from '../data/sample.js';
import type { LiveFlows } from '../hooks/useConntrackFlows.js';
import type { HostData } from '../hooks/useHostModel.js';

export interface ViewData {
  sample: Sample;
  prev: Sample | null;
  rates: Rates | null;
  prevRates: Rates | null;
  flows: Flow[];
  portFlows: Map<string, Flow[]>;
  /** Flow count of each port at the previous refresh. */
  prevFlowCount: Map<string, number>;
}

export function viewData(d: HostData, live: LiveFlows | null): ViewData | null {
  if (!d.sample) return null;
  const model = d.sample.model;
  const portFlows = new Map<string, Flow[]>();
  if (live) {
    const idx = indexFlows(live.flows);
    for (const p of model.published) portFlows.set(p.key, flowsOfPort(p, idx));
  } else for (const p of model.published) portFlows.set(p.key, p.flows);
  const prevFlowCount = new Map<string, number>();
  for (const p of d.prev?.model.published ?? []) prevFlowCount.set(p.key, p.flows.length);
  return {
    sample: d.sample,
    prev: d.prev,
    rates: d.rates,
    prevRates: d.prevRates,
    flows: live ? live.flows : model.flows,
    portFlows,
    prevFlowCount,
  };
}

export function portRate(v: ViewData, p: PublishedPort): { cur: Rate | null; prev: Rate | null } {
  return { cur: v.rates?.ports.get(p.key) ?? null, prev: v.prevRates?.ports.get(p.key) ?? null };
}
