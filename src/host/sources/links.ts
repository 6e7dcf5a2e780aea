// links adapter: `ip -j -s -d link` (ip-link.json: interfaces, counters,
// bridge/veth details) and `ip -j addr` (ip-addr.json), as raw JSON text.
// Netlink sees the namespace we run in, unlike /sys inside an nsenter'd
// process (docs/lab.md).

import type { CaptureFile } from '../../core/types.js';
import { run } from '../runner.js';
import { emptyResult, isPermissionError, reasonOf, type SourceOptions, type SourceResult } from './common.js';

const COMMANDS: Array<{ file: CaptureFile; argv: string[] }> = [
  { file: 'ip-link.json', argv: ['ip', '-j', '-s', '-d', 'link'] },
  { file: 'ip-addr.json', argv: ['ip', '-j', 'addr'] },
];

/** Both files, or only `files` (the refresh engine reads addresses less often than counters). */
export async function readLinks(opts: SourceOptions & { files?: readonly CaptureFile[] } = {}): Promise<SourceResult> {
  const out = emptyResult();
  await Promise.all(
    COMMANDS.filter((c) => opts.files === undefined || opts.files.includes(c.file)).map(async ({ file, argv }) => {
      try {
        const r = await run(argv, opts);
        out.timings[argv.join(' ')] = r.durationMs;
        out.files[file] = r.stdout;
      } catch (e) {
        if (isPermissionError(e)) out.permissionDenied = true;
        out.unavailable[file] = reasonOf(e);
      }
    }),
  );
  return out;
}
