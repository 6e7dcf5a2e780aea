// docker-proxy adapter: the userland proxies Docker starts for published
// ports, found in /proc (docker-proxy.txt).
//
// Format of docker-proxy.txt, one process per line, sorted by pid:
//   pid=PID ARGV0 ARG1 ARG2 ...
// i.e. the `pid=N ` prefix then the process's argv joined by single spaces, e.g.
//   pid=4242 /usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80
//
// Only processes in the network namespace being read are kept: the named
// netns (/var/run/netns/NAME) or, without one, our own (/proc/self/ns/net).
// /proc shows every process on the machine whatever namespace we are in.

import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { assertNetnsName } from '../runner.js';
import { emptyResult, reasonOf, type SourceResult } from './common.js';

export interface DockerProxyProcess {
  pid: number;
  argv: string[];
}

/** The inode in a `net:[4026532281]` namespace link. */
function nsInode(link: string): number | null {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

async function targetInode(netns: string | undefined): Promise<number> {
  if (netns === undefined) {
    const ino = nsInode(await readlink('/proc/self/ns/net'));
    if (ino === null) throw new Error('cannot read our own network namespace (/proc/self/ns/net)');
    return ino;
  }
  assertNetnsName(netns);
  const st = await stat(path.join('/var/run/netns', netns));
  return st.ino;
}

/** Format one process as a docker-proxy.txt line. */
export function formatProxyLine(p: DockerProxyProcess): string {
  return `pid=${p.pid} ${p.argv.join(' ')}`;
}

/**
 * docker-proxy processes in the namespace, sorted by pid. `unchecked` counts
 * proxies whose namespace could not be read (not root): they are left out when
 * a netns is given, kept otherwise.
 */
export async function findDockerProxies(netns?: string): Promise<{ processes: DockerProxyProcess[]; unchecked: number }> {
  const want = await targetInode(netns);
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  let unchecked = 0;
  const processes: DockerProxyProcess[] = [];
  // Tiny /proc files read synchronously are ~10x faster than through the
  // thread pool; yield to the event loop every CHUNK processes.
  const CHUNK = 256;
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % CHUNK === 0) await new Promise((r) => setImmediate(r));
    const pid = pids[i] as number;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const argv = cmdline.split('\0');
    if (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();
    if (!argv[0] || path.basename(argv[0]) !== 'docker-proxy') continue;
    let ino: number | null = null;
    try {
      ino = nsInode(readlinkSync(`/proc/${pid}/ns/net`));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // exited
    }
    if (ino === null) {
      unchecked++;
      if (netns === undefined) processes.push({ pid, argv });
    } else if (ino === want) processes.push({ pid, argv });
  }
  processes.sort((a, b) => a.pid - b.pid);
  return { processes, unchecked };
}

export async function readDockerProxies(opts: { netns?: string } = {}): Promise<SourceResult> {
  const out = emptyResult();
  const t0 = performance.now();
  try {
    const { processes, unchecked } = await findDockerProxies(opts.netns);
    out.files['docker-proxy.txt'] = processes.map((p) => `${formatProxyLine(p)}\n`).join('');
    if (unchecked > 0) {
      out.notes.push(
        opts.netns === undefined
          ? `${unchecked} docker-proxy process(es) kept without checking their network namespace (not root)`
          : `${unchecked} docker-proxy process(es) left out: their network namespace could not be read (not root)`,
      );
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    out.unavailable['docker-proxy.txt'] =
      code === 'ENOENT' && opts.netns !== undefined
        ? `network namespace "${opts.netns}" does not exist`
        : `docker-proxy processes could not be listed: ${reasonOf(e)}`;
  }
  out.timings['/proc docker-proxy scan'] = Math.round((performance.now() - t0) * 10) / 10;
  return out;
}
