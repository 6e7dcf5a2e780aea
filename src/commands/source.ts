// Chooses where a command reads the host from: a capture directory (--from)
// or the live host (optionally inside --netns, Docker API at --docker-host).
import { readLive } from '../host/live-source.js';
import { readCaptureDir } from '../host/capture-dir.js';
import { isValidNetnsName } from '../host/runner.js';
import type { RawCapture } from '../core/types.js';
import { UsageError } from './errors.js';

export interface SourceFlags {
  netns?: string;
  dockerHost?: string;
  from?: string;
}

export function validateSourceFlags(f: SourceFlags): void {
  if (f.netns !== undefined && !isValidNetnsName(f.netns))
    throw new UsageError(`--netns: "${f.netns}" is not a valid namespace name (letters, digits, . _ - only)`);
  if (f.from !== undefined && (f.netns !== undefined))
    throw new UsageError('--from reads a capture directory; it cannot be combined with --netns');
  if (f.dockerHost !== undefined && /^(tcp|ssh|http|https):\/\//.test(f.dockerHost))
    throw new UsageError(`--docker-host: only unix sockets are supported (got ${f.dockerHost})`);
}

export async function readSource(f: SourceFlags): Promise<RawCapture> {
  validateSourceFlags(f);
  if (f.from !== undefined) return readCaptureDir(f.from);
  return readLive({ netns: f.netns, dockerHost: f.dockerHost });
}
