// `portcullis explain --src ADDR [--iface NAME] --dst [HOST:]PORT[/proto]|CONTAINER:PORT [--json]`:
// one read of the host, then the rule-by-rule walk of a new connection
// (src/core/explain). Text for people, --json for scripts.
import { Option, type Command } from 'commander';
import { buildSnapshot } from '../core/snapshot.js';
import { buildModel } from '../core/model/build.js';
import { explain, explainText, resolveExplain } from '../core/explain/index.js';
import { readSource, type SourceFlags } from './source.js';
import { UsageError } from './errors.js';

export interface ExplainFlags extends SourceFlags {
  src: string;
  dst: string;
  iface?: string;
  sport?: string;
  mark?: string;
  json?: boolean;
  brief?: boolean;
}

function intArg(name: string, v: string | undefined, max: number): number | null {
  if (v === undefined) return null;
  const n = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`${name}: "${v}" is not a number from 0 to ${max}`);
  return n;
}

export async function runExplain(opts: ExplainFlags): Promise<void> {
  if (opts.iface !== undefined && !/^[A-Za-z0-9_.:@+-]{1,15}$/.test(opts.iface)) throw new UsageError(`--iface: "${opts.iface}" is not an interface name`);
  const sport = intArg('--sport', opts.sport, 65535);
  const mark = intArg('--mark', opts.mark, 0xffffffff);
  const raw = await readSource(opts);
  const snap = buildSnapshot(raw);
  const model = buildModel(snap);
  const resolved = resolveExplain(model, snap.addresses, { src: opts.src, dst: opts.dst, iface: opts.iface ?? null, sport, mark });
  if ('error' in resolved) throw new UsageError(resolved.error);
  const host = { addresses: snap.addresses, rulesets: snap.rulesets };
  const results = resolved.map((r) => {
    try {
      return { label: r.label, result: explain(model, host, r.query) };
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  });
  if (opts.json) {
    process.stdout.write(JSON.stringify(results.map((r) => ({ label: r.label, ...r.result })), null, 2) + '\n');
    return;
  }
  process.stdout.write(results.map((r) => explainText(r.result, r.label, { brief: opts.brief === true })).join('\n'));
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('follow a new connection through the firewall, rule by rule: the route it takes, each rule and why it matches or not, and the verdict')
    .requiredOption('--src <addr>', 'client address (IPv4 or IPv6); a host address or 127.0.0.1 means a connection from the host itself')
    .requiredOption('--dst <spec>', 'PORT[/proto], HOSTIP:PORT[/proto], [IPv6]:PORT[/proto], or CONTAINER:PORT[/proto] (proto: tcp, udp; default tcp)')
    .option('--iface <name>', 'interface the packet comes in on (default: the one whose subnet holds --src, else "some external interface")')
    .option('--sport <port>', "client's source port (rules on --sport are undecidable without it)")
    .option('--mark <n>', 'packet mark on arrival, e.g. 0 (rules on marks are undecidable without it)')
    .option('--brief', 'leave out the rules that do not match')
    .option('--json', 'machine-readable output: an array, one entry per destination --dst stands for')
    .addOption(new Option('--netns <name>', 'read the host inside this network namespace (ip netns exec NAME)'))
    .addOption(new Option('--docker-host <url>', 'Docker Engine API socket (unix:///path or a path)').env('DOCKER_HOST'))
    .addOption(new Option('--from <dir>', 'read a capture directory instead of the live host'))
    .action(async (opts: ExplainFlags) => {
      await runExplain(opts);
    });
}
