// sysctl adapter: the kernel settings the model needs to judge the rules,
// read inside the namespace (/proc/sys/net is per network namespace):
// br_netfilter's bridge-nf-call-* (ICC off only works with them at 1; the
// keys are absent when br_netfilter is not loaded), forwarding, and the
// conntrack table's size. `sysctl -e` skips keys the kernel does not have.

import { CONNTRACK_COUNT } from '../../core/parse/sysctl.js';
import { run } from '../runner.js';
import { emptyResult, isPermissionError, reasonOf, type SourceOptions, type SourceResult } from './common.js';

export const SYSCTL_KEYS = [
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.ipv4.ip_forward',
  'net.ipv6.conf.all.forwarding',
  'net.netfilter.nf_conntrack_max',
  CONNTRACK_COUNT,
];

export async function readSysctl(opts: SourceOptions = {}): Promise<SourceResult> {
  const out = emptyResult();
  const argv = ['sysctl', '-e', ...SYSCTL_KEYS];
  try {
    const r = await run(argv, { ...opts, allowExitCodes: [255] });
    out.timings['sysctl'] = r.durationMs;
    out.files['sysctl.txt'] = r.stdout;
  } catch (e) {
    if (isPermissionError(e)) out.permissionDenied = true;
    out.unavailable['sysctl.txt'] = reasonOf(e);
  }
  return out;
}
