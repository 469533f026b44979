import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Whether atomic writes and checkpoints are flushed to the disk (fsync) before they count. On for every real agent;
 * the fleet simulator turns it off for its process (setDurableWrites): a thousand simulated devices share one host's
 * disk, and what they are there to exercise is the protocol and the control plane, not the host's power-loss
 * safety. A simulated crash stops an agent, not the host, so the page cache keeps everything it wrote: the
 * write-temp-then-rename order (never half a file) is kept either way.
 */
let durable = true;
let tmpSeq = 0;

export function setDurableWrites(on: boolean): void {
  durable = on;
}

export const durableWrites = (): boolean => durable;

/**
 * Writes a file so a reader (or the agent after a crash) sees either the old or the new content, never half:
 * write a temp file beside it, fsync, rename over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  // Unique among this process's writes (counter) and other processes' (pid); no random bytes needed.
  const tmp = `${path}.${process.pid}.${(tmpSeq = (tmpSeq + 1) % Number.MAX_SAFE_INTEGER)}.tmp`;
  // The mode is set at creation: a secret is never readable by others, not even between open and chmod. So the
  // temp file is created, never reused ('wx'): a stale one with this name (a crashed process with the same pid —
  // pid 1 in a container) keeps its own mode when opened with 'w'. The directory is made only when it is missing
  // (one failed open), not before every write.
  const fh = await open(tmp, 'wx', mode).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') await unlink(tmp);
    else if (err.code === 'ENOENT') await mkdir(dirname(path), { recursive: true });
    else throw err;
    return open(tmp, 'wx', mode);
  });
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined); // best effort: the rename error is the one that matters
    throw err;
  }
}

export async function writeJsonAtomic(path: string, value: unknown, mode?: number): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/** Parsed JSON, or undefined when the file does not exist. Other errors (bad JSON, EACCES) propagate. */
export async function readJsonIfExists(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as unknown;
}

export async function removeIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
