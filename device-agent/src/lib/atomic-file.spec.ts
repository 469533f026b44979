import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';

// This file runs in a process of its own (node --test), so this is the process's first atomic write: its temp file
// is `<path>.<pid>.1.tmp` — the name a crashed earlier process with the same pid (pid 1 in a container) left behind.
test('a stale temp file of a crashed process with the same pid is not reused: the new file has its own mode and content', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-atomic-'));
  try {
    const path = join(dir, 'credential.json');
    writeFileSync(`${path}.${process.pid}.1.tmp`, 'left over by a crash, readable by others', { mode: 0o644 });
    await writeFileAtomic(path, 'secret', 0o600);
    assert.equal(readFileSync(path, 'utf8'), 'secret');
    assert.equal(statSync(path).mode & 0o777, 0o600, 'a secret is never readable by others');
    assert.deepEqual(readdirSync(dir), ['credential.json'], 'no temp file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
