// Parsers for iproute2 JSON output: `ip -j -s link`, `ip -j -s -d link`
// (links with kind, master, veth peer and counters) and `ip -j addr`.
//
// Also home of the small helpers shared by the JSON parsers of this set
// (docker-inspect.ts uses them): reading a JSON array with one issue on
// broken input, and lenient zod validation that drops a field of the wrong
// type (reporting it) instead of dropping the whole object.
//
// Pure: text in, objects out.

import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Address, Family, Link, LinkStats, ParseIssue } from '../types.js';

// ---------------------------------------------------------------- shared helpers

/** Longest `text` kept in a ParseIssue. */
export const ISSUE_TEXT_MAX = 200;

/**
 * Cut text for a ParseIssue: at most ISSUE_TEXT_MAX characters (with an
 * ellipsis when cut) and control characters (NUL, escape sequences, ...)
 * replaced by U+FFFD so junk input cannot upset a terminal.
 */
export function cutText(text: string): string {
  const cut = text.length > ISSUE_TEXT_MAX ? text.slice(0, ISSUE_TEXT_MAX) + '…' : text;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\uFFFD');
}

/** JSON text of a value, cut for an issue. Never throws. */
export function cutJson(value: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch {
    s = undefined;
  }
  return cutText(s ?? String(value));
}

/**
 * Parse text that must hold a JSON array. Broken JSON, empty input or a
 * non-array value give one issue (line 0) and null.
 */
export function parseJsonArray(
  text: string,
  source: string,
  what: string,
): { items: unknown[] | null; issue: ParseIssue | null } {
  if (text.trim() === '') {
    return { items: null, issue: { source, line: 0, text: '', message: `empty input: expected a JSON array of ${what}` } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      items: null,
      issue: { source, line: 0, text: cutText(text), message: `invalid JSON (truncated or corrupt?): ${msg}` },
    };
  }
  if (!Array.isArray(value)) {
    const got = value === null ? 'null' : typeof value;
    return {
      items: null,
      issue: { source, line: 0, text: cutJson(value), message: `expected a JSON array of ${what}, got ${got}` },
    };
  }
  return { items: value, issue: null };
}

/** A field that failed validation and was dropped. */
export interface FieldProblem {
  /** Dotted path inside the object, e.g. `NetworkSettings.Ports["80/tcp"][0].HostPort`. */
  path: string;
  message: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      const s = String(p);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? (out ? '.' : '') + s : `[${JSON.stringify(s)}]`;
    }
  }
  return out || '(root)';
}

const DROPPED = Symbol('dropped');

/**
 * Validate `input` with `schema`, leniently: every value that fails is
 * removed from the input (an array element is removed from its array; a
 * missing required key removes the object that needed it) and reported as a
 * FieldProblem, then validation runs again. So a field of the wrong type
 * becomes "absent" instead of costing the whole object. The schema should
 * make fields optional (`.nullish()`) for this to converge. `data` is null
 * only when the value as a whole is unusable (e.g. not an object).
 *
 * Mutates `input` (callers pass freshly parsed JSON they own).
 */
export function lenientParse<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { data: z.output<S> | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  for (let round = 0; round < 8; round++) {
    const r = schema.safeParse(input);
    if (r.success) return { data: r.data, problems };
    const touchedArrays = new Set<unknown[]>();
    let progressed = false;
    for (const issue of r.error.issues) {
      let path = issue.path;
      const at = formatPath(path);
      // A required field of the wrong type is deleted in one round and
      // reported missing in the next: report it once.
      if (!problems.some((p) => p.path === at)) problems.push({ path: at, message: issue.message });
      if (path.length === 0) return { data: null, problems };
      // A required key that is missing: drop the object that lacks it.
      if (valueAt(input, path) === undefined && path.length > 1) path = path.slice(0, -1);
      if (path.length === 0) return { data: null, problems };
      if (dropAt(input, path, touchedArrays)) progressed = true;
    }
    for (const arr of touchedArrays) {
      for (let i = arr.length - 1; i >= 0; i--) if (arr[i] === DROPPED) arr.splice(i, 1);
    }
    if (!progressed) return { data: null, problems };
  }
  return { data: null, problems };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function dropAt(root: unknown, path: readonly PropertyKey[], touchedArrays: Set<unknown[]>): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (parent === null || typeof parent !== 'object' || key === undefined) return false;
  if (Array.isArray(parent)) {
    if (typeof key !== 'number' || key >= parent.length || parent[key] === DROPPED) return false;
    parent[key] = DROPPED;
    touchedArrays.add(parent);
    return true;
  }
  const obj = parent as Record<PropertyKey, unknown>;
  if (!(key in obj)) return false;
  delete obj[key];
  return true;
}

/** Label for an object in issue messages: its name when it has one, else its position. */
export function describeItem(item: unknown, index: number, keys: readonly string[], noun: string): string {
  if (item !== null && typeof item === 'object') {
    for (const k of keys) {
      const v = (item as Record<string, unknown>)[k];
      if (typeof v === 'string' && v !== '') return `${noun} ${JSON.stringify(v)}`;
    }
  }
  return `${noun} #${index + 1}`;
}

/** True for a JSON object with no keys (`ip -j -4 addr` prints `{}` for links it filtered out). */
function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

// ---------------------------------------------------------------- ip -j link

const statsDir = z.object({
  bytes: z.number(),
  packets: z.number(),
  dropped: z.number(),
});
const statsSchema = z.object({ rx: statsDir, tx: statsDir });

const linkSchema = z.object({
  ifindex: z.number().int().nonnegative().nullish(),
  ifname: z.string().nullish(),
  operstate: z.string().nullish(),
  address: z.string().nullish(),
  mtu: z.number().int().nullish(),
  master: z.string().nullish(),
  /** Same-netns peer / lower device, by name (`pcpva@pcpvb`). */
  link: z.string().nullish(),
  link_index: z.number().int().nullish(),
  link_netnsid: z.number().int().nullish(),
  linkinfo: z.object({ info_kind: z.string().nullish() }).nullish(),
  stats64: statsSchema.nullish(),
  stats: statsSchema.nullish(),
});

const MAC_RE = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2})+$/;

/**
 * Parse `ip -j [-s] [-d] link`. Counters come from `stats64` (or the 32-bit
 * `stats` of old kernels) when `-s` was given, else stats is null. `kind`
 * comes from `linkinfo.info_kind` (`-d` only), else null. `peerIfindex` is
 * `link_index` (peer in another netns, with `linkNetnsId`) or, for a veth
 * pair inside one netns (ip prints the peer by name, `"link": "vethB"`), the
 * ifindex of the named peer when the two name each other. `mac` is kept only
 * when the address looks like a MAC (tunnels print IPs there).
 */
export function parseIpLink(json: string, source = 'ip-link.json'): { links: Link[]; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  const { items, issue } = parseJsonArray(json, source, 'links');
  if (!items) return { links: [], issues: issue ? [issue] : [] };

  const parsed: { link: Link; peerName: string | null }[] = [];
  items.forEach((item, index) => {
    if (isEmptyObject(item)) return;
    const label = describeItem(item, index, ['ifname'], 'link');
    const { data, problems } = lenientParse(linkSchema, item);
    for (const p of problems) {
      issues.push({ source, line: index + 1, text: cutJson(item), message: `${label}: field ${p.path}: ${p.message}` });
    }
    if (!data) return;
    if (data.ifindex == null || !data.ifname) {
      issues.push({
        source,
        line: index + 1,
        text: cutJson(item),
        message: `${label}: no ${data.ifindex == null ? 'ifindex' : 'ifname'}; link skipped`,
      });
      return;
    }
    const st = data.stats64 ?? data.stats ?? null;
    const stats: LinkStats | null = st
      ? {
          rxBytes: st.rx.bytes,
          rxPackets: st.rx.packets,
          txBytes: st.tx.bytes,
          txPackets: st.tx.packets,
          rxDropped: st.rx.dropped,
          txDropped: st.tx.dropped,
        }
      : null;
    parsed.push({
      link: {
        ifindex: data.ifindex,
        name: data.ifname,
        kind: data.linkinfo?.info_kind ?? null,
        master: data.master ?? null,
        operstate: data.operstate ?? 'UNKNOWN',
        mac: data.address && MAC_RE.test(data.address) ? data.address.toLowerCase() : null,
        mtu: data.mtu ?? null,
        peerIfindex: data.link_index ?? null,
        linkNetnsId: data.link_netnsid ?? null,
        stats,
      },
      peerName: data.link ?? null,
    });
  });

  // Same-netns veth pairs: `"link": "<peer name>"` on both ends.
  const byName = new Map<string, { link: Link; peerName: string | null }>();
  for (const p of parsed) byName.set(p.link.name, p);
  for (const p of parsed) {
    if (p.link.peerIfindex !== null || p.peerName === null) continue;
    const other = byName.get(p.peerName);
    if (!other) continue;
    const isVeth = p.link.kind === 'veth' || (p.link.kind === null && other.peerName === p.link.name);
    if (isVeth) p.link.peerIfindex = other.link.ifindex;
  }
  return { links: parsed.map((p) => p.link), issues };
}

// ---------------------------------------------------------------- ip -j addr

const addrInfoSchema = z.object({
  family: z.string().nullish(),
  local: z.string().nullish(),
  prefixlen: z.number().int().nonnegative().nullish(),
  scope: z.union([z.string(), z.number()]).nullish(),
});

const addrLinkSchema = z.object({
  ifindex: z.number().int().nonnegative().nullish(),
  ifname: z.string().nullish(),
  addr_info: z.array(z.unknown()).nullish(),
});

/**
 * Parse `ip -j addr`. Only inet/inet6 entries become Addresses; other
 * families and the empty `{}` objects ip prints for filtered links are
 * skipped silently. An entry without a valid `local`/`prefixlen` is an issue.
 */
export function parseIpAddr(json: string, source = 'ip-addr.json'): { addresses: Address[]; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  const addresses: Address[] = [];
  const { items, issue } = parseJsonArray(json, source, 'links with addresses');
  if (!items) return { addresses, issues: issue ? [issue] : [] };

  items.forEach((item, index) => {
    if (isEmptyObject(item)) return;
    const label = describeItem(item, index, ['ifname'], 'link');
    const report = (message: string, text: unknown = item) =>
      issues.push({ source, line: index + 1, text: cutJson(text), message: `${label}: ${message}` });
    const { data, problems } = lenientParse(addrLinkSchema, item);
    for (const p of problems) report(`field ${p.path}: ${p.message}`);
    if (!data) return;
    if (data.ifindex == null || !data.ifname) {
      report(`no ${data.ifindex == null ? 'ifindex' : 'ifname'}; its addresses skipped`);
      return;
    }
    const infos = data.addr_info ?? [];
    infos.forEach((raw, j) => {
      if (isEmptyObject(raw)) return;
      const where = `addr_info[${j}]`;
      const r = lenientParse(addrInfoSchema, raw);
      for (const p of r.problems) report(`${where}.${p.path}: ${p.message}`, raw);
      const a = r.data;
      if (!a) return;
      let family: Family;
      if (a.family === 'inet') family = 4;
      else if (a.family === 'inet6') family = 6;
      else return; // other families (or none): not an IP address
      if (!a.local || a.prefixlen == null) {
        report(`${where}: no ${a.local ? 'prefixlen' : 'local address'}; skipped`, raw);
        return;
      }
      const ok = family === 4 ? ipaddr.IPv4.isValidFourPartDecimal(a.local) : ipaddr.IPv6.isValid(a.local);
      if (!ok) {
        report(`${where}: ${JSON.stringify(a.local)} is not a valid IPv${family} address; skipped`, raw);
        return;
      }
      if (a.prefixlen > (family === 4 ? 32 : 128)) {
        report(`${where}: prefixlen ${a.prefixlen} out of range for IPv${family}; skipped`, raw);
        return;
      }
      addresses.push({
        ifname: data.ifname!,
        ifindex: data.ifindex!,
        family,
        local: a.local,
        prefixlen: a.prefixlen,
        scope: a.scope == null ? null : String(a.scope),
      });
    });
  });
  return { addresses, issues };
}
