// The live source: every adapter at once, into one RawCapture (the same shape
// a capture directory gives). A failing source never fails the read: its file
// is left out and meta.unavailable says why, in plain words.

import os from 'node:os';
import { CAPTURE_FILES, type CaptureFile, type RawCapture } from '../core/types.js';
import { assertNetnsName, netnsExists, RunError } from './runner.js';
import { mergeResults, type SourceResult } from './sources/common.js';
import { readConntrack } from './sources/conntrack.js';
import { readContainerIfaces } from './sources/container-ifaces.js';
import { readDockerSource } from './sources/docker.js';
import { readDockerProxies } from './sources/docker-proxy.js';
import { readIptables, type DumpCache } from './sources/iptables.js';
import { readLinks } from './sources/links.js';
import { readSysctl } from './sources/sysctl.js';

/** The sources a read can be limited to (LiveOptions.only / skip). */
export type LiveSourceName = 'iptables' | 'iptables-legacy' | 'conntrack' | 'links' | 'addresses' | 'docker' | 'proxies' | 'sysctl';

export const SOURCE_FILES: Record<LiveSourceName, readonly CaptureFile[]> = {
  iptables: ['iptables-save.txt', 'ip6tables-save.txt'],
  'iptables-legacy': ['iptables-legacy-save.txt', 'ip6tables-legacy-save.txt'],
  conntrack: ['conntrack.txt'],
  links: ['ip-link.json'],
  addresses: ['ip-addr.json'],
  docker: ['containers.json', 'networks.json', 'container-ifaces.json'],
  proxies: ['docker-proxy.txt'],
  sysctl: ['sysctl.txt'],
};

export interface LiveOptions {
  /**
   * Read only these sources (default: all), or all but `skip`. The files of
   * a source not read are absent from the capture and from meta.unavailable:
   * a caller that merges reads (src/host/refresh.ts) keeps its last copy.
   */
  only?: readonly LiveSourceName[];
  skip?: readonly LiveSourceName[];
  /** Read inside this network namespace (`ip netns add` name). */
  netns?: string;
  /** `--docker-host`: unix:///path or a path; default DOCKER_HOST, else /var/run/docker.sock. */
  dockerHost?: string;
  /** Per-command / per-request time limit (ms). Default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Last iptables dumps, for a caller that reads every tick (see DumpCache). */
  dumpCache?: DumpCache;
}

export interface LiveRead {
  capture: RawCapture;
  /** Milliseconds per command/request, and "total" for the whole read. */
  timings: Record<string, number>;
}

const NOT_ROOT_NOTE =
  'not root: reading the firewall and conntrack needs root or CAP_NET_ADMIN, and the Docker socket needs root or the docker group';

/**
 * Read everything live, with timings. Throws only for a bad namespace (an
 * invalid name, or one that does not exist), where nothing could be read.
 */
export async function readLiveDetailed(opts: LiveOptions = {}): Promise<LiveRead> {
  const t0 = performance.now();
  if (opts.netns !== undefined) {
    assertNetnsName(opts.netns);
    if (!netnsExists(opts.netns)) {
      throw new RunError({
        kind: 'not-found',
        argv: ['ip', 'netns', 'exec', opts.netns],
        message: `network namespace "${opts.netns}" does not exist (see ip netns list)`,
      });
    }
  }
  const time = Date.now();
  const common = { netns: opts.netns, timeoutMs: opts.timeoutMs, signal: opts.signal };

  const guard = async (files: CaptureFile[], f: () => Promise<SourceResult>): Promise<SourceResult> => {
    try {
      return await f();
    } catch (e) {
      // Adapters report failures in their result; this is the last line of defence.
      const reason = e instanceof Error ? e.message : String(e);
      return { files: {}, unavailable: Object.fromEntries(files.map((f) => [f, reason])), notes: [], timings: {} };
    }
  };

  let dockerVersion: string | null = null;
  const wanted = (name: LiveSourceName) => (opts.only === undefined || opts.only.includes(name)) && !(opts.skip ?? []).includes(name);
  const none = async (): Promise<SourceResult> => ({ files: {}, unavailable: {}, notes: [], timings: {} });
  const parts = await Promise.all([
    wanted('iptables') || wanted('iptables-legacy')
      ? (() => {
          const files = [...(wanted('iptables') ? SOURCE_FILES.iptables : []), ...(wanted('iptables-legacy') ? SOURCE_FILES['iptables-legacy'] : [])];
          return guard(files, () => readIptables({ ...common, files, dumpCache: opts.dumpCache }));
        })()
      : none(),
    wanted('conntrack') ? guard(['conntrack.txt'], () => readConntrack(common)) : none(),
    wanted('links') || wanted('addresses')
      ? (() => {
          const files = [...(wanted('links') ? SOURCE_FILES.links : []), ...(wanted('addresses') ? SOURCE_FILES.addresses : [])];
          return guard(files, () => readLinks({ ...common, files }));
        })()
      : none(),
    wanted('docker')
      ? guard(['containers.json', 'networks.json', 'container-ifaces.json'], async () => {
          const r = await readDockerSource({ ...common, dockerHost: opts.dockerHost });
          dockerVersion = r.dockerVersion;
          // Container interfaces need the containers' pids, so they come second.
          const ifaces = await readContainerIfaces(r.files['containers.json'], r.unavailable['containers.json']);
          return mergeResults([r, ifaces]);
        })
      : none(),
    wanted('proxies') ? guard(['docker-proxy.txt'], () => readDockerProxies({ netns: opts.netns })) : none(),
    wanted('sysctl') ? guard(['sysctl.txt'], () => readSysctl(common)) : none(),
  ]);
  const merged = mergeResults(parts);

  const notes = [...merged.notes];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && merged.permissionDenied) notes.unshift(NOT_ROOT_NOTE);

  // Files and reasons in the canonical order, so captures compare and diff well.
  const files: RawCapture['files'] = {};
  const unavailable: RawCapture['meta']['unavailable'] = {};
  const skipped = new Set<CaptureFile>();
  for (const [name, list] of Object.entries(SOURCE_FILES) as Array<[LiveSourceName, readonly CaptureFile[]]>) {
    if (!wanted(name)) for (const f of list) skipped.add(f);
  }
  for (const f of CAPTURE_FILES) {
    if (skipped.has(f)) continue;
    const text = merged.files[f];
    if (text !== undefined) files[f] = text;
    else unavailable[f] = merged.unavailable[f] ?? 'not read';
  }

  const timings = { ...merged.timings, total: Math.round((performance.now() - t0) * 10) / 10 };
  return {
    capture: {
      files,
      meta: {
        time,
        hostname: opts.netns ?? os.hostname(),
        netns: opts.netns ?? null,
        dockerVersion,
        unavailable,
        notes,
      },
    },
    timings,
  };
}

/** Read everything live into a RawCapture (see readLiveDetailed). */
export async function readLive(opts: LiveOptions = {}): Promise<RawCapture> {
  return (await readLiveDetailed(opts)).capture;
}
