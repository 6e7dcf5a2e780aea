// `portcullis snapshot DIR`: writes the capture layout (architecture.md) from
// the live host, so `status --from DIR` and every view can be replayed later.
import { writeCaptureDir } from '../host/capture-dir.js';
import { readSource, type SourceFlags } from './source.js';
import { UsageError } from './errors.js';

export async function runSnapshot(dir: string, opts: SourceFlags): Promise<void> {
  if (opts.from !== undefined) throw new UsageError('snapshot reads the live host; --from is not allowed here');
  const raw = await readSource(opts);
  await writeCaptureDir(dir, raw);
  const got = Object.keys(raw.files).length;
  const missing = Object.entries(raw.meta.unavailable);
  process.stderr.write(`wrote ${got} source file(s) to ${dir}\n`);
  for (const [file, why] of missing) process.stderr.write(`  not captured: ${file}: ${why}\n`);
}
