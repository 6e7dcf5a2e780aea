// Docker adapter: containers.json and networks.json from the Engine API
// (src/host/docker-api.ts), with a plain reason when Docker cannot be read.

import { readDocker, DockerError } from '../docker-api.js';
import { emptyResult, reasonOf, type SourceResult } from './common.js';

export interface DockerSourceOptions {
  /** `--docker-host` value: unix:///path or a path. */
  dockerHost?: string;
  /** When set and no dockerHost/DOCKER_HOST is given, the default socket is not used. */
  netns?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface DockerSourceResult extends SourceResult {
  dockerVersion: string | null;
}

export async function readDockerSource(opts: DockerSourceOptions = {}): Promise<DockerSourceResult> {
  const out: DockerSourceResult = { ...emptyResult(), dockerVersion: null };
  const fail = (reason: string) => {
    out.unavailable['containers.json'] = reason;
    out.unavailable['networks.json'] = reason;
  };
  // The default socket belongs to the Docker of the namespace we run in, not
  // to a daemon living in another network namespace: never mix the two.
  if (opts.netns !== undefined && !opts.dockerHost && !process.env.DOCKER_HOST) {
    fail(`no Docker socket given for network namespace ${opts.netns} (use --docker-host): showing rules only`);
    return out;
  }
  try {
    const d = await readDocker({ dockerHost: opts.dockerHost, timeoutMs: opts.timeoutMs, signal: opts.signal });
    out.files['containers.json'] = d.containersJson;
    out.files['networks.json'] = d.networksJson;
    out.dockerVersion = d.version;
    Object.assign(out.timings, d.timings);
  } catch (e) {
    if (e instanceof DockerError && e.kind === 'permission') out.permissionDenied = true;
    fail(reasonOf(e));
  }
  return out;
}
