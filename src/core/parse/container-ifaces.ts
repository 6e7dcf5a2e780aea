// container-ifaces.json: [{ containerId, ifname, mac, peerIfindex }], written by
// the live source from each container's sysfs (see types.ts CAPTURE_FILES).
import { z } from 'zod';
import type { ContainerIface, ParseIssue } from '../types.js';

const Entry = z.object({
  containerId: z.string().min(1),
  ifname: z.string().min(1),
  mac: z.string().nullable().default(null),
  peerIfindex: z.number().int().nonnegative(),
});

export function parseContainerIfaces(text: string, source = 'container-ifaces.json'): { ifaces: ContainerIface[]; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    issues.push({ source, line: 0, text: text.slice(0, 200), message: `not JSON: ${(e as Error).message}` });
    return { ifaces: [], issues };
  }
  if (!Array.isArray(data)) {
    issues.push({ source, line: 0, text: text.slice(0, 200), message: 'expected a JSON array' });
    return { ifaces: [], issues };
  }
  const ifaces: ContainerIface[] = [];
  data.forEach((item, i) => {
    const r = Entry.safeParse(item);
    if (r.success) ifaces.push(r.data);
    else issues.push({ source, line: i + 1, text: JSON.stringify(item).slice(0, 200), message: r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ') });
  });
  return { ifaces, issues };
}
