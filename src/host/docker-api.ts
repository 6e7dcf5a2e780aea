// Docker Engine API over its unix socket, with node:http and nothing else.
// Produces containers.json / networks.json with the same shape as
// `docker inspect` / `docker network inspect` (the CLI prints these API
// objects as they come), and streams /events for live refresh.

import http from 'node:http';
import { mapLimit } from './sources/common.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_BODY = 256 * 1024 * 1024;

export type DockerErrorKind =
  | 'unsupported' // tcp://, ssh://, npipe:// hosts
  | 'not-found' // no such socket
  | 'refused' // socket present, nobody listening
  | 'permission'
  | 'timeout'
  | 'aborted'
  | 'http' // the daemon answered with an error status
  | 'protocol'; // the answer was not what the API promises

export class DockerError extends Error {
  readonly kind: DockerErrorKind;
  readonly socketPath: string | null;
  readonly status: number | null;
  constructor(kind: DockerErrorKind, message: string, socketPath: string | null, status: number | null = null) {
    super(message);
    this.name = 'DockerError';
    this.kind = kind;
    this.socketPath = socketPath;
    this.status = status;
  }
}

/**
 * The socket path for a `--docker-host` value: `unix:///path` or a plain path.
 * Without a value: DOCKER_HOST from the environment, else /var/run/docker.sock.
 * Throws DockerError('unsupported') for tcp://, ssh:// and other schemes.
 */
export function resolveDockerHost(value?: string | null): string {
  const v = (value ?? process.env.DOCKER_HOST ?? '').trim() || DEFAULT_DOCKER_SOCKET;
  if (v.startsWith('unix://')) {
    const p = v.slice('unix://'.length);
    if (!p) throw new DockerError('unsupported', `invalid Docker host ${JSON.stringify(v)} (expected unix:///path/to/docker.sock)`, null);
    return p;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (scheme) {
    throw new DockerError(
      'unsupported',
      `Docker host ${v} is not supported: only unix sockets (unix:///path or a plain path) are; ${scheme[1]}:// is not`,
      null,
    );
  }
  return v;
}

export interface DockerRequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  agent?: http.Agent;
}

function connectError(err: NodeJS.ErrnoException, socketPath: string): DockerError {
  switch (err.code) {
    case 'ENOENT':
      return new DockerError('not-found', `Docker is not reachable at ${socketPath} (no such socket): showing rules only`, socketPath);
    case 'ECONNREFUSED':
      return new DockerError(
        'refused',
        `Docker is not reachable at ${socketPath} (connection refused: is dockerd running?): showing rules only`,
        socketPath,
      );
    case 'EACCES':
    case 'EPERM':
      return new DockerError(
        'permission',
        `permission denied on the Docker socket ${socketPath} (run as root or join the docker group)`,
        socketPath,
      );
    case 'ENOTSOCK':
      return new DockerError('not-found', `Docker is not reachable at ${socketPath} (not a socket): showing rules only`, socketPath);
    default:
      return new DockerError(
        'refused',
        `Docker is not reachable at ${socketPath} (${err.code ?? err.message}): showing rules only`,
        socketPath,
      );
  }
}

/** GET a path and return the status and body text. Rejects with DockerError. */
export function dockerGetRaw(
  socketPath: string,
  apiPath: string,
  opts: DockerRequestOptions = {},
): Promise<{ status: number; body: string }> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new DockerError('aborted', `Docker request GET ${apiPath} aborted`, socketPath));
      return;
    }
    let settled = false;
    const finish = (err: DockerError | null, value?: { status: number; body: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value!);
    };
    const req = http.request(
      { socketPath, path: apiPath, method: 'GET', headers: { Host: 'docker', Accept: 'application/json' }, agent: opts.agent },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            finish(new DockerError('protocol', `Docker answer to GET ${apiPath} is larger than ${MAX_BODY} bytes`, socketPath));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => finish(connectError(e as NodeJS.ErrnoException, socketPath)));
        res.on('aborted', () => finish(new DockerError('protocol', `Docker closed the connection during GET ${apiPath}`, socketPath)));
      },
    );
    const timer = setTimeout(
      () => finish(new DockerError('timeout', `Docker did not answer GET ${apiPath} within ${timeoutMs / 1000} s at ${socketPath}`, socketPath)),
      timeoutMs,
    );
    const onAbort = () => finish(new DockerError('aborted', `Docker request GET ${apiPath} aborted`, socketPath));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => finish(connectError(e as NodeJS.ErrnoException, socketPath)));
    req.end();
  });
}

function httpError(apiPath: string, status: number, body: string, socketPath: string): DockerError {
  let msg = body.trim();
  try {
    const j = JSON.parse(body) as { message?: unknown };
    if (typeof j.message === 'string') msg = j.message;
  } catch {
    /* not JSON */
  }
  return new DockerError('http', `Docker API GET ${apiPath}: HTTP ${status}${msg ? `: ${msg.slice(0, 300)}` : ''}`, socketPath, status);
}

/** GET a path, expect 2xx and JSON; returns the parsed value. */
export async function dockerGetJson<T = unknown>(socketPath: string, apiPath: string, opts: DockerRequestOptions = {}): Promise<T> {
  const { status, body } = await dockerGetRaw(socketPath, apiPath, opts);
  if (status < 200 || status >= 300) throw httpError(apiPath, status, body, socketPath);
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new DockerError('protocol', `Docker API GET ${apiPath}: the answer is not JSON`, socketPath, status);
  }
}

export interface DockerRead {
  socketPath: string;
  /** `Version` from GET /version, e.g. "20.10.24+dfsg1". */
  version: string | null;
  apiVersion: string | null;
  /** JSON array text, same shape as `docker inspect $(docker ps -aq)`. */
  containersJson: string;
  /** JSON array text, same shape as `docker network inspect $(docker network ls -q)`. */
  networksJson: string;
  containerCount: number;
  networkCount: number;
  /** label -> milliseconds. */
  timings: Record<string, number>;
}

export interface ReadDockerOptions {
  dockerHost?: string;
  /** Per-request time limit (ms). Default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Inspect requests in flight at once. Default 8. */
  concurrency?: number;
}

/**
 * Read version, every container (inspected) and every network (inspected).
 * A container or network that disappears between list and inspect (404) is
 * left out. Rejects with DockerError when Docker cannot be read at all.
 */
export async function readDocker(opts: ReadDockerOptions = {}): Promise<DockerRead> {
  const socketPath = resolveDockerHost(opts.dockerHost);
  const concurrency = opts.concurrency ?? 8;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const req: DockerRequestOptions = { timeoutMs: opts.timeoutMs, signal: opts.signal, agent };
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[label] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };
  const inspectAll = async (kind: 'containers' | 'networks', ids: string[]): Promise<unknown[]> => {
    const got = await mapLimit(ids, concurrency, async (id) => {
      const p = kind === 'containers' ? `/containers/${encodeURIComponent(id)}/json` : `/networks/${encodeURIComponent(id)}`;
      try {
        return await dockerGetJson(socketPath, p, req);
      } catch (e) {
        if (e instanceof DockerError && e.status === 404) return undefined; // removed meanwhile
        throw e;
      }
    });
    return got.filter((x) => x !== undefined);
  };
  try {
    const version = await timed('docker GET /version', () =>
      dockerGetJson<{ Version?: unknown; ApiVersion?: unknown }>(socketPath, '/version', req),
    );
    const [containers, networks] = await Promise.all([
      timed('docker containers (list + inspect)', async () => {
        const list = await dockerGetJson<Array<{ Id?: unknown }>>(socketPath, '/containers/json?all=1', req);
        if (!Array.isArray(list)) throw new DockerError('protocol', 'Docker API GET /containers/json: not a list', socketPath);
        return inspectAll('containers', list.map((c) => c.Id).filter((id): id is string => typeof id === 'string'));
      }),
      timed('docker networks (list + inspect)', async () => {
        const list = await dockerGetJson<Array<{ Id?: unknown }>>(socketPath, '/networks', req);
        if (!Array.isArray(list)) throw new DockerError('protocol', 'Docker API GET /networks: not a list', socketPath);
        return inspectAll('networks', list.map((n) => n.Id).filter((id): id is string => typeof id === 'string'));
      }),
    ]);
    return {
      socketPath,
      version: typeof version.Version === 'string' ? version.Version : null,
      apiVersion: typeof version.ApiVersion === 'string' ? version.ApiVersion : null,
      containersJson: `${JSON.stringify(containers, null, 4)}\n`,
      networksJson: `${JSON.stringify(networks, null, 4)}\n`,
      containerCount: containers.length,
      networkCount: networks.length,
      timings,
    };
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------- events

/** One Docker event as the API sends it (only the fields we rely on typed). */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
  [key: string]: unknown;
}

/**
 * Stream container and network events (GET /events, newline-delimited JSON)
 * into onEvent until the signal aborts (then resolves) or the daemon closes
 * the stream (resolves too). Rejects with DockerError when the stream cannot
 * be opened (no socket, permission, timeout waiting for the daemon, HTTP error).
 */
export function watchEvents(
  dockerHost: string | undefined,
  onEvent: (event: DockerEvent) => void,
  signal?: AbortSignal,
  opts: { connectTimeoutMs?: number } = {},
): Promise<void> {
  let socketPath: string;
  try {
    socketPath = resolveDockerHost(dockerHost);
  } catch (e) {
    return Promise.reject(e);
  }
  const filters = encodeURIComponent(JSON.stringify({ type: ['container', 'network'] }));
  const apiPath = `/events?filters=${filters}`;
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    let settled = false;
    const finish = (err: DockerError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      if (err) reject(err);
      else resolve();
    };
    const req = http.request({ socketPath, path: apiPath, method: 'GET', headers: { Host: 'docker' } }, (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => finish(httpError('/events', status, body, socketPath)));
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          let ev: DockerEvent;
          try {
            ev = JSON.parse(line) as DockerEvent;
          } catch {
            continue; // not an event; keep streaming
          }
          onEvent(ev);
        }
      });
      res.on('end', () => finish(null));
      res.on('error', () => finish(null));
      res.on('close', () => finish(null));
    });
    const timer = setTimeout(
      () => finish(new DockerError('timeout', `Docker did not open the event stream within ${connectTimeoutMs / 1000} s at ${socketPath}`, socketPath)),
      connectTimeoutMs,
    );
    const onAbort = () => finish(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => finish(settled ? null : connectError(e as NodeJS.ErrnoException, socketPath)));
    req.end();
  });
}
