// `portcullis status [--json]`: one read of the host, joined, printed.
//
// Flows appear in status only as numbers, so this path never keeps a Flow:
// conntrack.txt is counted by join key (parse/conntrack-count.ts) and
// each port gets its number from those counts. On a live host the count runs
// in a worker thread while everything else is read, parsed, joined and
// checked (host/sources/conntrack.ts says why). The output is the one
// buildModel + flowsOfPorts would give (test/unit/status-counted.test.ts).
import { buildSnapshot, PLAIN_PARSERS } from '../core/snapshot.js';
import { buildModel } from '../core/model/build.js';
import { countFlowsOfPorts } from '../core/model/flows.js';
import { countConntrack, type FlowCounts } from '../core/parse/conntrack-count.js';
import type { HostModel } from '../core/model/types.js';
import { statusJson, statusText, type FlowNumbers } from '../core/report/status.js';
import { findFindings, QUICK_EXPLAIN_BUDGET } from '../core/findings/index.js';
import type { Finding } from '../core/findings/types.js';
import { CAPTURE_FILES, type ParseIssue, type RawCapture } from '../core/types.js';
import { readCaptureDir } from '../host/capture-dir.js';
import { readLive } from '../host/live-source.js';
import { countConntrackInWorker, type ConntrackCount } from '../host/sources/conntrack.js';
import { validateSourceFlags, type SourceFlags } from './source.js';

/** conntrack.txt counted: its counts by join key (null: not read) and its parse issues. */
export interface CountedConntrack {
  counts: FlowCounts | null;
  issues: readonly ParseIssue[];
}

/** A capture's conntrack.txt counted (what the worker does for a live host). */
export function countCaptured(raw: RawCapture): CountedConntrack {
  const text = raw.files['conntrack.txt'];
  return text === undefined ? { counts: null, issues: [] } : countConntrack(text, 'conntrack.txt');
}

/**
 * The model of `raw` without flows, and the flow numbers status shows: the
 * same output as buildModel(buildSnapshot(raw)) with conntrack.txt in `raw`.
 * `raw` itself need not hold conntrack.txt (the live path reads it apart).
 */
export function countedModel(raw: RawCapture, ct: CountedConntrack): { model: HostModel; flows: FlowNumbers } {
  const model = buildModel(buildSnapshot(raw, { ...PLAIN_PARSERS, conntrackIssues: ct.issues }));
  const flows: FlowNumbers = ct.counts
    ? { total: ct.counts.total, ports: countFlowsOfPorts(model.published, ct.counts) }
    : { total: 0, ports: model.published.map(() => 0) };
  return { model, flows };
}

interface StatusData {
  model: HostModel;
  findings: Finding[];
  flows: FlowNumbers;
}

function withFindings(m: { model: HostModel; flows: FlowNumbers }): StatusData {
  // Bounded so a host with thousands of published ports still answers in seconds
  // (the skipped ports are reported as a finding of their own).
  return { ...m, findings: findFindings(m.model, { maxExplains: QUICK_EXPLAIN_BUDGET }) };
}

/**
 * The live capture with conntrack's outcome merged in as readLive would have
 * merged it: its reasons in CAPTURE_FILES order, its notes after the others.
 */
function withConntrackMeta(raw: RawCapture, c: ConntrackCount): RawCapture {
  const unavailable: RawCapture['meta']['unavailable'] = {};
  for (const f of CAPTURE_FILES) {
    const why = f === 'conntrack.txt' ? c.result.unavailable[f] : raw.meta.unavailable[f];
    if (why !== undefined) unavailable[f] = why;
  }
  return { ...raw, meta: { ...raw.meta, unavailable, notes: [...raw.meta.notes, ...c.result.notes] } };
}

/** Nothing of conntrack's outcome but its counts reaches the model: it can be built before them. */
function clean(c: ConntrackCount): boolean {
  return c.counts !== null && c.issues.length === 0 && Object.keys(c.result.unavailable).length === 0 && c.result.notes.length === 0 && !c.result.permissionDenied;
}

async function statusData(opts: SourceFlags): Promise<StatusData> {
  validateSourceFlags(opts);
  if (opts.from !== undefined) {
    const raw = await readCaptureDir(opts.from);
    return withFindings(countedModel(raw, countCaptured(raw)));
  }
  const job = countConntrackInWorker({ netns: opts.netns });
  try {
    let counted: ConntrackCount | null = null;
    void job.done.then((c) => (counted = c));
    const raw = await readLive({ netns: opts.netns, dockerHost: opts.dockerHost, skip: ['conntrack'] });
    // Settled already (typically a quick failure): one build with it.
    if (counted !== null) return withFindings(countedModel(withConntrackMeta(raw, counted), counted));
    // Otherwise build as if conntrack will be read cleanly, which it almost
    // always is; when it then is not (a reason, a note, a bad line), build
    // again with its outcome rather than patch warnings and issues in place.
    const guess = withFindings(countedModel(raw, { counts: null, issues: [] }));
    const c = await job.done;
    if (!clean(c)) return withFindings(countedModel(withConntrackMeta(raw, c), c));
    return { ...guess, flows: { total: c.counts!.total, ports: countFlowsOfPorts(guess.model.published, c.counts!) } };
  } finally {
    job.stop();
  }
}

export async function runStatus(opts: SourceFlags & { json?: boolean }): Promise<void> {
  const { model, findings, flows } = await statusData(opts);
  // Indented for a person at a terminal; compact into a pipe or file (jq and
  // scripts do not need it, and on a big host indentation is a quarter of
  // the output and of the time spent writing it).
  const indent = process.stdout.isTTY ? 2 : undefined;
  process.stdout.write(opts.json ? JSON.stringify(statusJson(model, findings, flows), null, indent) + '\n' : statusText(model, findings, flows));
}
