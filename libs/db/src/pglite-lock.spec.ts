import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatabaseLockedError } from './errors';
import { lockDataDir } from './pglite-lock';
import { tempDir } from './test-support/migrations-dir';

test('a lock is exclusive until released, and release removes only its own file', () => {
  const dir = tempDir('lock');
  try {
    const path = join(dir, 'pglite.lock');
    const lock = lockDataDir(path, 'db');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    assert.throws(() => lockDataDir(path, 'db'), DatabaseLockedError);
    lock.release();
    assert.equal(existsSync(path), false);
    const again = lockDataDir(path, 'db');
    again.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a dead process is taken over', () => {
  const dir = tempDir('lock-stale');
  try {
    const path = join(dir, 'pglite.lock');
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // has exited by now
    writeFileSync(path, JSON.stringify({ pid: dead, host: hostname(), since: 'earlier' }));
    const lock = lockDataDir(path, 'db');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
    lock.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock held on another host is respected (its pid cannot be checked)', () => {
  const dir = tempDir('lock-remote');
  try {
    const path = join(dir, 'pglite.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: `not-${hostname()}`, since: 'earlier' }));
    assert.throws(() => lockDataDir(path, 'db'), /in use by process 1 on not-/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
