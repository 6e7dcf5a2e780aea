// The views, in tab / number-key order, and the sort orders each offers.
// Pure data shared by the reducer, the tab bar and the views.
export const VIEW_IDS = ['overview', 'detail', 'rules', 'flows', 'interfaces', 'findings'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

export const VIEW_TITLES: Record<ViewId, string> = {
  overview: 'Overview',
  detail: 'Port',
  rules: 'Rules',
  flows: 'Flows',
  interfaces: 'Interfaces',
  findings: 'Findings',
};

/**
 * Sort orders per view; the first is the default (model order, stable
 * between refreshes). `s` moves to the next one ascending, `S` reverses.
 * Grouped views sort inside their groups (ports inside a container,
 * containers inside a network; rules inside a chain) so the grouping holds.
 */
export const SORT_OPTIONS: Record<ViewId, readonly string[]> = {
  overview: ['name', 'pkt/s', 'B/s', 'flows'],
  detail: ['path'],
  rules: ['order', 'pkt/s', 'packets'],
  flows: ['port', 'client', 'state', 'timeout', 'bytes'],
  interfaces: ['name', 'rx B/s', 'tx B/s'],
  findings: ['severity', 'kind'],
};
