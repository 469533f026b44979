// PGlite is PostgreSQL in a single process: two processes opening the same data directory would corrupt it,
// and PGlite itself does not notice. A lock file holding the owner's pid makes the second one fail clearly.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { DatabaseLockedError } from './errors';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Takes `lockPath` for this process, or throws DatabaseLockedError naming the live owner. */
export function lockDataDir(lockPath: string, what: string): DataDirLock {
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  if (!tryCreate(lockPath, me)) {
    const owner = readOwner(lockPath);
    if (owner !== undefined && isAlive(owner)) throw lockedError(lockPath, what, owner);
    // The owner died without cleaning up (crash, kill -9): take over. If another process takes over at the
    // same instant, exactly one exclusive create below succeeds.
    removeIfPresent(lockPath);
    if (!tryCreate(lockPath, me)) throw lockedError(lockPath, what, readOwner(lockPath));
  }
  return {
    path: lockPath,
    release() {
      // Only remove our own lock: never one a later owner took over.
      if (readOwner(lockPath)?.pid === me.pid) removeIfPresent(lockPath);
    },
  };
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    return typeof v.pid === 'number' ? { pid: v.pid, host: String(v.host ?? ''), since: String(v.since ?? '') } : undefined;
  } catch {
    return undefined; // torn or foreign content: treated as a stale lock
  }
}

function isAlive(owner: LockOwner): boolean {
  // A pid on another machine (shared network directory) cannot be checked: assume it is alive.
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return true; // opened twice in this very process
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, belongs to another user
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function lockedError(lockPath: string, what: string, owner: LockOwner | undefined): DatabaseLockedError {
  const who =
    owner === undefined
      ? 'another process'
      : owner.pid === process.pid && owner.host === hostname()
        ? `this process (pid ${owner.pid}; close the other Database first)`
        : `process ${owner.pid} on ${owner.host} since ${owner.since}`;
  return new DatabaseLockedError(
    `${what} is in use by ${who}. PGlite allows one process per data directory: stop that process, ` +
      `use another DATA_DIR, or set DATABASE_URL to a PostgreSQL server to run several processes. ` +
      `If no such process exists, delete ${lockPath}.`,
    lockPath,
    owner?.pid,
  );
}
