import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION, signDesiredState, verifyDesiredState, verifyTrustedKeySet, type DesiredStateMessage } from '@edgefleet/contracts';
import { ConflictError } from '@edgefleet/platform';
import { NEXT_KEY_FILE, PRIVATE_KEY_FILE, SigningKeyStore } from './signing-key.store';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-keys-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const message = (keyId: string): Omit<DesiredStateMessage, 'signature'> => ({
  v: PROTOCOL_VERSION, deviceId: 'pi-1', seq: 1, deploymentId: 'd', issuedAt: new Date(0).toISOString(), expiresAt: new Date(1000).toISOString(), keyId,
  artifact: { id: 'a', name: 'm', version: '1', precision: 'fp32', sha256: 'c'.repeat(64), size: 1, blockSize: 1024 },
  gates: {},
});

describe('SigningKeyStore', () => {
  it('creates a 0600 Ed25519 key once and loads the same key afterwards', () => withDir(async (dir) => {
    const first = new SigningKeyStore(dir);
    await first.init();
    assert.equal((await stat(join(dir, 'keys', PRIVATE_KEY_FILE))).mode & 0o777, 0o600);
    const k1 = await first.current();
    assert.equal(await readFile(first.publicKeyPath, 'utf8'), k1.publicKeyPem);
    const again = new SigningKeyStore(dir);
    await again.init();
    const k2 = await again.current();
    assert.equal(k2.keyId, k1.keyId);
    const msg = message(k2.keyId);
    assert.equal(verifyDesiredState({ ...msg, signature: signDesiredState(msg, k2.privateKey) }, [k1.publicKeyPem]), true);
  }));

  it('rotates stage → activate → retire, with both keys trusted during the switch and steps out of order refused', () => withDir(async (dir) => {
    const store = new SigningKeyStore(dir);
    await store.init();
    const old = await store.current();
    await assert.rejects(store.rotate('activate'), ConflictError);
    await assert.rejects(store.rotate('retire'), ConflictError);

    const staged = await store.rotate('stage');
    assert.equal(staged.length, 2);
    assert.equal((await stat(join(dir, 'keys', NEXT_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await store.current()).keyId, old.keyId, 'a staged key signs nothing yet');
    const next = staged.find((k) => k.keyId !== old.keyId)!;
    // The set carries a signature by every key, so a device trusting only the old key takes the new set.
    assert.ok(verifyTrustedKeySet(await store.trustedKeySet(), [old.publicKeyPem]));
    assert.ok(verifyTrustedKeySet(await store.trustedKeySet(), [next.publicKeyPem]));
    await assert.rejects(store.rotate('stage'), ConflictError);

    const active = await store.rotate('activate');
    assert.deepEqual(active.map((k) => k.keyId).sort(), [old.keyId, next.keyId].sort());
    assert.equal((await store.current()).keyId, next.keyId);
    assert.equal(await readFile(store.publicKeyPath, 'utf8'), next.publicKeyPem, '--trust-key file follows the current key');

    // Another control plane on the same data dir follows the rotation.
    const other = new SigningKeyStore(dir);
    await other.init();
    assert.equal((await other.current()).keyId, next.keyId);

    const retired = await store.rotate('retire');
    assert.deepEqual(retired.map((k) => k.keyId), [next.keyId]);
    assert.equal(verifyTrustedKeySet(await store.trustedKeySet(), [old.publicKeyPem]), false, 'the retired key signs nothing any more');
  }));
});
