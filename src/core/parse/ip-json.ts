// Parsers for iproute2 JSON output: `ip -j -s link`, `ip -j -s -d link`
// (links with kind, master, veth peer and counters) and `ip -j addr`.
// Pure: text in, objects out.

import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Address, Family, Link, LinkStats, ParseIssue } from '../types.js';
import { cutJson, describeItem, isEmptyObject, lenientParse, parseJsonArray } from './json-util.js';

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
