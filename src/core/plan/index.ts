// Guided actions as pure plans. See ARCHITECTURE.md "Guided actions".
export * from './types.js';
export * from './rules.js';
export * from './owned.js';
export * from './select.js';
export * from './plan.js';
export * from './actions.js';
export * from './restore.js';
