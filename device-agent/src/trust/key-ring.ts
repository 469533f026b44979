import { TrustedKeySet, asKeyRef, parseMessage, verifyTrustedKeySet, type PublicKeyRef, type TrustedKey } from '@edgefleet/contracts';
import { describeError } from '../lib/errors';
import { httpFetch } from '../lib/http-client';
import type { Logger } from '../lib/logger';

export const TRUSTED_KEYS_PATH = '/api/v1/trusted-keys';
/** A key set larger than this is not a key set. */
const MAX_KEY_SET_BYTES = 64 * 1024;

/**
 * The keys desired states may be signed with: pinned ones (`--trust-key`, never dropped) and the control plane's set
 * (from enrollment, refreshed from `GET /api/v1/trusted-keys`). A fetched set replaces the current one only when a
 * key trusted now signed it, so a rotation is followed and a retired key dropped, but nobody on the path can plant
 * a key. The very first set of a device that has none is taken on first use (logged).
 */
export class KeyRing {
  private readonly pinned: PublicKeyRef[];
  private lastRefreshAt = 0;

  constructor(
    pinned: ReadonlyArray<string | PublicKeyRef>,
    private fetched: TrustedKey[],
    private readonly opts: { apiUrl?: string; ca?: string; logger: Logger; persist: (keys: TrustedKey[]) => Promise<void> },
  ) {
    this.pinned = pinned.map(asKeyRef).filter((k): k is PublicKeyRef => k !== undefined);
  }

  /** Pinned and fetched keys, each known by the id derived from it (a key id is never taken on trust). */
  get keys(): PublicKeyRef[] {
    return [...this.pinned, ...this.fetched.map((k) => asKeyRef(k.publicKeyPem)).filter((k): k is PublicKeyRef => k !== undefined)];
  }

  get canRefresh(): boolean {
    return this.opts.apiUrl !== undefined;
  }

  /** Refreshes unless it did less than `minIntervalMs` ago; true when the set changed. Never throws. */
  async refresh(minIntervalMs = 0): Promise<boolean> {
    if (!this.opts.apiUrl || Date.now() - this.lastRefreshAt < minIntervalMs) return false;
    this.lastRefreshAt = Date.now();
    const { logger } = this.opts;
    try {
      const res = await httpFetch(new URL(TRUSTED_KEYS_PATH, this.opts.apiUrl), { ca: this.opts.ca, timeoutMs: 10_000, maxBytes: MAX_KEY_SET_BYTES + 1 });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const { body } = res;
      if (body.length > MAX_KEY_SET_BYTES) throw new Error(`key set of ${body.length} B refused`);
      const parsed = parseMessage(TrustedKeySet, body);
      if (!parsed.ok) throw new Error(`malformed key set: ${parsed.errors.slice(0, 3).join('; ')}`);
      const set = parsed.value;
      if (this.keys.length > 0 && !verifyTrustedKeySet(set, this.keys)) {
        logger.error('trusted key set refused: not signed by a key this device trusts', { keys: set.keys.map((k) => k.keyId) });
        return false;
      }
      if (this.keys.length === 0) logger.warn('no trusted key yet: taking the control plane\'s key set on first use', { keys: set.keys.map((k) => k.keyId) });
      // A key is known by the id derived from it; an entry whose id does not match its key is not taken.
      const next = set.keys.filter((k) => asKeyRef(k.publicKeyPem)?.keyId === k.keyId).map((k) => ({ keyId: k.keyId, algorithm: k.algorithm, publicKeyPem: k.publicKeyPem }));
      if (next.length === 0) throw new Error('key set holds no usable key');
      const same = JSON.stringify(next.map((k) => k.keyId).sort()) === JSON.stringify(this.fetched.map((k) => k.keyId).sort());
      if (same) return false;
      await this.opts.persist(next);
      logger.info('trusted keys updated', { before: this.fetched.map((k) => k.keyId), after: next.map((k) => k.keyId) });
      this.fetched = next;
      return true;
    } catch (err) {
      logger.warn('trusted keys not refreshed', { error: describeError(err) });
      return false;
    }
  }
}
