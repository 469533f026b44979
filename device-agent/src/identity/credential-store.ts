import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceCredential, validateAs } from '@edgefleet/contracts';
import { readJsonIfExists, writeJsonAtomic } from '../lib/atomic-file';
import { AgentConfigError } from '../lib/errors';

/** `<stateDir>/credential.json`, mode 0600: the device's MQTT password and the keys it trusts. */
export class CredentialStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'credential.json');
  }

  /** The stored credential, or undefined when there is none. A file that does not validate stops the agent. */
  async load(): Promise<DeviceCredential | undefined> {
    let raw: unknown;
    try {
      raw = await readJsonIfExists(this.path);
    } catch (err) {
      throw new AgentConfigError([`${this.path}: unreadable (${(err as Error).message}); remove it to enroll again`]);
    }
    if (raw === undefined) return undefined;
    const r = validateAs(DeviceCredential, raw);
    if (!r.ok) throw new AgentConfigError(r.errors.map((e) => `${this.path}: ${e}`));
    // Tightened on every start: someone may have copied the state dir with a looser mode.
    await chmod(this.path, 0o600);
    return r.value;
  }

  async save(c: DeviceCredential): Promise<void> {
    await writeJsonAtomic(this.path, c, 0o600);
  }
}
