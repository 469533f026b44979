import type { DeviceCredential, HardwareProfile, PublicKeyRef, TrustedKey } from '@edgefleet/contracts';
import { AgentConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { KeyRing } from '../trust/key-ring';
import { CredentialStore } from './credential-store';
import { enroll } from './enroll';

export interface IdentityOptions {
  deviceId: string;
  stateDir: string;
  apiUrl?: string;
  /** PEM CA of an https:// --api-url signed by a private CA (--ca-file). */
  ca?: string;
  enrollToken?: string;
  /** Password of a device created over REST (username = deviceId unless given). */
  password?: string;
  username?: string;
  trustedKeys?: ReadonlyArray<string | PublicKeyRef>;
  name?: string;
  tags?: string[];
  agentVersion: string;
  profile: HardwareProfile;
  enrollRetryBaseMs?: number;
}

export interface AgentIdentity {
  /** MQTT login; undefined = anonymous (only a broker left open accepts it). */
  username?: string;
  password?: string;
  keyRing: KeyRing;
  how: 'stored credential' | 'enrolled now' | 'password' | 'anonymous';
}

/**
 * Who the agent is on the broker and whom it trusts. In order: a credential stored by an earlier run (a password
 * given now replaces its password — the operator rotated it), enrollment with a token (once; the answer is stored
 * with mode 0600), a password for a device created over REST, or nothing (anonymous, for an open development broker).
 */
export async function resolveIdentity(o: IdentityOptions, logger: Logger): Promise<AgentIdentity> {
  const store = new CredentialStore(o.stateDir);
  let stored = await store.load();
  if (stored && stored.deviceId !== o.deviceId) {
    throw new AgentConfigError([`${store.path} belongs to device ${stored.deviceId}, not ${o.deviceId}: use another --state-dir`]);
  }
  let how: AgentIdentity['how'] = 'stored credential';
  if (!stored && o.enrollToken) {
    if (!o.apiUrl) throw new AgentConfigError(['--enroll-token needs --api-url']);
    const r = await enroll({
      apiUrl: o.apiUrl, ca: o.ca, token: o.enrollToken, deviceId: o.deviceId, agentVersion: o.agentVersion, profile: o.profile,
      ...(o.name && { name: o.name }), ...(o.tags?.length && { tags: o.tags }),
    }, logger, o.enrollRetryBaseMs);
    stored = { deviceId: o.deviceId, username: r.mqtt.username, password: r.mqtt.password, trustedKeys: r.trustedKeys, apiUrl: o.apiUrl };
    await store.save(stored);
    logger.info('enrolled', { credential: store.path, trustedKeys: r.trustedKeys.map((k) => k.keyId) });
    how = 'enrolled now';
  } else if (o.password !== undefined) {
    const given = { deviceId: o.deviceId, username: o.username ?? o.deviceId, password: o.password };
    if (!stored || stored.password !== given.password || stored.username !== given.username) {
      stored = { ...given, trustedKeys: stored?.trustedKeys ?? [], ...((o.apiUrl ?? stored?.apiUrl) && { apiUrl: o.apiUrl ?? stored?.apiUrl }) };
      await store.save(stored);
    }
    how = 'password';
  } else if (!stored) {
    how = 'anonymous';
  }
  const apiUrl = o.apiUrl ?? stored?.apiUrl;
  const persist = async (keys: TrustedKey[]) => {
    if (!stored) return; // anonymous: nowhere to keep them but memory
    stored = { ...stored, trustedKeys: keys, ...(apiUrl && { apiUrl }) } satisfies DeviceCredential;
    await store.save(stored);
  };
  const keyRing = new KeyRing(o.trustedKeys ?? [], stored?.trustedKeys ?? [], { apiUrl, ca: o.ca, logger, persist });
  return { username: stored?.username, password: stored?.password, keyRing, how };
}
