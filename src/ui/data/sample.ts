// One read of the host as the UI keeps it: the joined model plus the parsed
// rulesets (the rules view lists every chain with its policy and counters,
// which the model does not carry).
import { buildModel } from '../../core/model/build.js';
import type { HostModel } from '../../core/model/types.js';
import { buildSnapshot } from '../../core/snapshot.js';
import type { RawCapture, Ruleset } from '../../core/types.js';

export interface Sample {
  model: HostModel;
  rulesets: Ruleset[];
  /** Some sources are still to come (the first read leaves flows out): read again at once. */
  partial?: boolean;
}

export function sampleFromCapture(raw: RawCapture): Sample {
  const snap = buildSnapshot(raw);
  return { model: buildModel(snap), rulesets: snap.rulesets };
}

/** Reads the host once; rejects when nothing at all could be read. */
export type Loader = (signal: AbortSignal) => Promise<Sample>;

/** Live event feeds (absent for --from captures). Each resolves when its stream ends. */
export interface Feeds {
  /**
   * Samples built between reads by the refresh engine (src/host/refresh.ts):
   * the last read's model with flows kept live from conntrack events. When
   * given it replaces `conntrack`; it reports a failing stream through
   * onError (null once it works again) and does not reject.
   */
  samples?: (onSample: (s: Sample) => void, signal: AbortSignal, onError: (msg: string | null) => void) => Promise<void>;
  /** Docker container/network events: call onEvent for each. */
  docker?: (onEvent: () => void, signal: AbortSignal) => Promise<void>;
  /** `conntrack -E` lines. */
  conntrack?: (onLine: (line: string) => void, signal: AbortSignal) => Promise<void>;
}
