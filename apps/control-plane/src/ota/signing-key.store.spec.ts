import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION, signDesiredState, verifyDesiredState, type DesiredStateMessage } from '@edgefleet/contracts';
import { loadOrCreateSigningKey, PRIVATE_KEY_FILE } from './signing-key.store';

describe('loadOrCreateSigningKey', () => {
  it('creates a 0600 Ed25519 key once and loads the same key afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefleet-keys-'));
    try {
      const first = await loadOrCreateSigningKey(dir);
      assert.equal((await stat(join(dir, 'keys', PRIVATE_KEY_FILE))).mode & 0o777, 0o600);
      assert.equal(await readFile(first.publicKeyPath, 'utf8'), first.publicKeyPem);
      const again = await loadOrCreateSigningKey(dir);
      assert.equal(again.publicKeyPem, first.publicKeyPem);

      const msg: Omit<DesiredStateMessage, 'signature'> = {
        v: PROTOCOL_VERSION,
        deploymentId: 'd',
        issuedAt: new Date(0).toISOString(),
        artifact: { id: 'a', name: 'm', version: '1', precision: 'fp32', sha256: 'c'.repeat(64), size: 1, blockSize: 1024 },
        gates: {},
      };
      const signed = { ...msg, signature: signDesiredState(msg, again.privateKey) };
      assert.equal(verifyDesiredState(signed, [first.publicKeyPem]), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
