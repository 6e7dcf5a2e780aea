// Findings over the model (see findings.ts).
export { findFindings, QUICK_EXPLAIN_BUDGET } from './findings.js';
export { findingsText } from './format.js';
export type * from './types.js';
