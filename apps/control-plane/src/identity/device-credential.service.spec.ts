import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '@edgefleet/platform';
import { DeviceCredentialService } from './device-credential.service';
import type { DeviceCredentialRepository, NewCredential, StoredCredential } from './device-credential.repository';

/**
 * The credential cache in front of the stored hashes. The repository is an in-memory map (what is under test is which secret
 * the service accepts for which stored hash; the SQL of the repository is covered by the enrollment tests).
 */
function memoryRepo(): { repo: DeviceCredentialRepository; rows: Map<string, StoredCredential> } {
  const rows = new Map<string, StoredCredential>();
  const repo = {
    find: async (id: string) => rows.get(id),
    findMany: async (ids: readonly string[]) => new Map(ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id)!] as const] : []))),
    put: async (c: NewCredential) => { rows.set(c.deviceId, { ...c, enrollmentTokenId: c.enrollmentTokenId ?? null, createdAt: new Date() }); },
  } as unknown as DeviceCredentialRepository;
  return { repo, rows };
}

describe('DeviceCredentialService', () => {
  it('accepts the secret it just issued without a hash check, refuses any other, and stops accepting it when the stored hash is not the issued one', async () => {
    const { repo, rows } = memoryRepo();
    const svc = new DeviceCredentialService(repo);
    const first = await svc.prepare();
    await svc.issue('d1', first, {}, undefined as unknown as Db);
    assert.equal(await svc.verify('d1', first.password), true);
    assert.equal(await svc.verify('d1', `${first.password}x`), false);

    // An issue whose transaction rolled back: its secret was remembered, but the stored hash is still the first one.
    const stored = rows.get('d1')!;
    const lost = await svc.prepare();
    await svc.issue('d1', lost, {}, undefined as unknown as Db);
    rows.set('d1', stored);
    assert.equal(await svc.verify('d1', lost.password), false);
    assert.equal(await svc.verify('d1', first.password), true);
  });
});
