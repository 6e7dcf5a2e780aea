// Parser for docker-proxy command lines (the userland proxy dockerd starts
// for each published port):
//
//   /usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 \
//       -container-ip 172.17.0.2 -container-port 80 [-use-listen-fd]
//
// docker-proxy parses its flags with Go's `flag` package, so the same rules
// apply here: `-flag value`, `-flag=value`, `--flag value` and
// `--flag=value` are all the same; boolean flags (`-use-listen-fd`, `-v`,
// `-version`) take no separate value; parsing stops at `--` or the first
// argument that is not a flag. Defaults are Go's: proto "tcp", host-ip
// 0.0.0.0. host-port, container-ip and container-port are required.
//
// `docker-proxy.txt` (capture format): one command line a line, arguments
// separated by single spaces (docker-proxy never has empty or spaced
// arguments). A line may start with `pid=<N> ` to record the process id.
// Blank lines and lines starting with `#` are ignored.
//
// Pure: text in, objects out.

import ipaddr from 'ipaddr.js';
import type { DockerProxy, ParseIssue } from '../types.js';
import { cutText } from './json-util.js';

const STRING_FLAGS = new Set(['proto', 'host-ip', 'container-ip', 'host-port', 'container-port']);
const BOOL_FLAGS = new Set(['use-listen-fd', 'v', 'version']);

function isDockerProxyProgram(arg0: string): boolean {
  const base = arg0.slice(arg0.lastIndexOf('/') + 1);
  return base === 'docker-proxy' || base.startsWith('docker-proxy');
}

function parsePort(v: string): number | null {
  if (!/^[0-9]{1,5}$/.test(v)) return null;
  const n = Number(v);
  return n <= 65535 ? n : null;
}

function isIp(v: string): boolean {
  return v.includes(':') ? ipaddr.IPv6.isValid(v) : ipaddr.IPv4.isValidFourPartDecimal(v);
}

/** Parse an argv; returns the proxy or a message saying what is wrong. */
function parseArgv(argv: string[], pid: number | null): DockerProxy | string {
  if (argv.length === 0) return 'empty command line';
  const arg0 = argv[0]!;
  let i = 0;
  if (!arg0.startsWith('-')) {
    if (!isDockerProxyProgram(arg0)) return `not a docker-proxy command (${JSON.stringify(arg0)})`;
    i = 1;
  }
  const values = new Map<string, string>();
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--' || a === '-' || !a.startsWith('-')) break;
    const body = a.startsWith('--') ? a.slice(2) : a.slice(1);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (name === '' || name.startsWith('-')) return `bad flag syntax ${JSON.stringify(a)}`;
    if (BOOL_FLAGS.has(name)) continue;
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (STRING_FLAGS.has(name)) {
        if (next === undefined) return `flag -${name} needs a value`;
      } else if (next === undefined || next.startsWith('-')) continue; // unknown boolean-like flag
      value = next!;
      i++;
    }
    if (STRING_FLAGS.has(name)) values.set(name, value);
  }

  const proto = (values.get('proto') ?? 'tcp').toLowerCase();
  if (!/^[a-z0-9]{1,16}$/.test(proto)) return `bad -proto ${JSON.stringify(proto)}`;
  const hostIp = values.get('host-ip') ?? '0.0.0.0';
  if (!isIp(hostIp)) return `bad -host-ip ${JSON.stringify(hostIp)}`;
  const hp = values.get('host-port');
  if (hp === undefined) return 'no -host-port';
  const hostPort = parsePort(hp);
  if (hostPort === null) return `bad -host-port ${JSON.stringify(hp)}`;
  const containerIp = values.get('container-ip');
  if (containerIp === undefined) return 'no -container-ip';
  if (!isIp(containerIp)) return `bad -container-ip ${JSON.stringify(containerIp)}`;
  const cp = values.get('container-port');
  if (cp === undefined) return 'no -container-port';
  const containerPort = parsePort(cp);
  if (containerPort === null) return `bad -container-port ${JSON.stringify(cp)}`;

  return { pid, proto, hostIp, hostPort, containerIp, containerPort, argv: [...argv] };
}

/**
 * Parse one docker-proxy argv (argv[0] the program, or the flags alone).
 * Returns null when it is not a usable docker-proxy command line.
 */
export function parseDockerProxyArgv(argv: string[], pid: number | null): DockerProxy | null {
  const r = parseArgv(argv, pid);
  return typeof r === 'string' ? null : r;
}

/**
 * Parse `docker-proxy.txt`: one command line a line, optional `pid=N `
 * prefix. A line that is not a docker-proxy command gives a ParseIssue.
 */
export function parseDockerProxyLines(
  text: string,
  source = 'docker-proxy.txt',
): { proxies: DockerProxy[]; issues: ParseIssue[] } {
  const proxies: DockerProxy[] = [];
  const issues: ParseIssue[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const args = trimmed.split(' ').filter((a) => a !== '');
    let pid: number | null = null;
    const first = args[0]!;
    if (first.startsWith('pid=')) {
      const v = first.slice(4);
      if (!/^[0-9]{1,10}$/.test(v)) {
        issues.push({ source, line: idx + 1, text: cutText(trimmed), message: `bad pid prefix ${JSON.stringify(first)}` });
        return;
      }
      pid = Number(v);
      args.shift();
    }
    const r = parseArgv(args, pid);
    if (typeof r === 'string') issues.push({ source, line: idx + 1, text: cutText(trimmed), message: r });
    else proxies.push(r);
  });
  return { proxies, issues };
}
