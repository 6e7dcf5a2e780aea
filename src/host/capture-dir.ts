// A capture is a directory (architecture.md): one file per raw source, named
// exactly as CAPTURE_FILES, plus meta.json. Every file is optional.
// writeCaptureDir then readCaptureDir gives back an equal RawCapture whenever
// each absent file has a reason in meta.unavailable (readLive guarantees it).

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CAPTURE_FILES, type CaptureFile, type CaptureMeta, type RawCapture } from '../core/types.js';

export const META_FILE = 'meta.json';
export const NOT_IN_CAPTURE = 'not in capture';

const CAPTURE_FILE_SET: ReadonlySet<string> = new Set(CAPTURE_FILES);

const metaSchema = z.object({
  time: z.number().finite().optional(),
  hostname: z.string().nullable().optional(),
  netns: z.string().nullable().optional(),
  dockerVersion: z.string().nullable().optional(),
  unavailable: z.record(z.string(), z.string()).optional(),
  notes: z.array(z.string()).optional(),
});

function isCaptureFile(name: string): name is CaptureFile {
  return CAPTURE_FILE_SET.has(name);
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Read a capture directory. Missing source files are listed in
 * meta.unavailable ("not in capture" unless meta.json gave a reason); a
 * missing meta.json gives defaults (time: newest file date); an invalid one
 * gives defaults and a note. Throws when the directory itself is unusable.
 */
export async function readCaptureDir(dir: string): Promise<RawCapture> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new Error(`capture directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory (a capture is a directory of files)`);

  const files: RawCapture['files'] = {};
  let newest = 0;
  for (const name of CAPTURE_FILES) {
    const p = path.join(dir, name);
    const text = await readOptional(p);
    if (text === null) continue;
    files[name] = text;
    newest = Math.max(newest, (await stat(p)).mtimeMs);
  }

  const notes: string[] = [];
  let parsed: z.infer<typeof metaSchema> = {};
  const metaText = await readOptional(path.join(dir, META_FILE));
  if (metaText === null) {
    notes.push(`no ${META_FILE} in capture: time taken from the file dates`);
  } else {
    let json: unknown;
    try {
      json = JSON.parse(metaText);
    } catch {
      json = undefined;
      notes.push(`${META_FILE} is not valid JSON: ignored`);
    }
    if (json !== undefined) {
      const r = metaSchema.safeParse(json);
      if (r.success) parsed = r.data;
      else {
        const first = r.error.issues[0];
        notes.push(`${META_FILE} is invalid (${first ? `${first.path.join('.') || 'root'}: ${first.message}` : 'bad shape'}): ignored`);
      }
    }
  }

  const unavailable: CaptureMeta['unavailable'] = {};
  for (const [k, v] of Object.entries(parsed.unavailable ?? {})) {
    if (isCaptureFile(k)) unavailable[k] = v;
  }
  for (const name of CAPTURE_FILES) {
    if (files[name] === undefined && unavailable[name] === undefined) unavailable[name] = NOT_IN_CAPTURE;
  }
  // Canonical key order.
  const ordered: CaptureMeta['unavailable'] = {};
  for (const name of CAPTURE_FILES) if (unavailable[name] !== undefined) ordered[name] = unavailable[name];

  const meta: CaptureMeta = {
    time: parsed.time ?? (newest > 0 ? Math.round(newest) : Date.now()),
    hostname: parsed.hostname ?? null,
    netns: parsed.netns ?? null,
    dockerVersion: parsed.dockerVersion ?? null,
    unavailable: ordered,
    notes: [...(parsed.notes ?? []), ...notes],
  };
  return { files, meta };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { encoding: 'utf8', mode: 0o600 });
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Write a capture directory (created if needed): each present file, then
 * meta.json, each atomically (temp file + rename). Capture files from an
 * earlier capture that `raw` does not have are removed, so the directory
 * says exactly what `raw` says. Other files are left alone.
 */
export async function writeCaptureDir(dir: string, raw: RawCapture): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of CAPTURE_FILES) {
    const text = raw.files[name];
    const p = path.join(dir, name);
    if (text !== undefined) await writeAtomic(p, text);
    else await unlink(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  const meta: CaptureMeta = {
    time: raw.meta.time,
    hostname: raw.meta.hostname,
    netns: raw.meta.netns,
    dockerVersion: raw.meta.dockerVersion,
    unavailable: raw.meta.unavailable,
    notes: raw.meta.notes,
  };
  await writeAtomic(path.join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}
