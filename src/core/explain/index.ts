// explain: what the host's rules do to one new connection (see explain.ts).
export { explain, describeRule, hostAddrs, type ExplainHost } from './explain.js';
export { explainText } from './format.js';
export { parseDstSpec, resolveExplain, defaultHostAddr, type DstSpec, type ExplainArgs, type ResolvedQuery } from './query.js';
export type * from './types.js';
