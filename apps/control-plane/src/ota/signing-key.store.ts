import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKeyPair, keyIdOf, signTrustedKeySet, type TrustedKey, type TrustedKeySet } from '@edgefleet/contracts';
import { ConflictError } from '@edgefleet/platform';

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

export class SigningKeyError extends Error {
  override name = 'SigningKeyError';
}

/** The key desired states are signed with now; its public half is written beside it for agents' `--trust-key`. */
export const PRIVATE_KEY_FILE = 'desired-state.ed25519.key.pem';
export const PUBLIC_KEY_FILE = 'desired-state.ed25519.pub.pem';
/** Staged by `rotate stage`: already in the trusted set, signs nothing but key sets until `activate`. */
export const NEXT_KEY_FILE = 'next.ed25519.key.pem';
/** The key `activate` replaced: still trusted and still signing key sets until `retire`. */
export const PREVIOUS_KEY_FILE = 'previous.ed25519.key.pem';

export type RotationStep = 'stage' | 'activate' | 'retire';
export const ROTATION_STEPS: readonly RotationStep[] = ['stage', 'activate', 'retire'];

interface Ring {
  current: SigningKey;
  next?: SigningKey;
  previous?: SigningKey;
}

/**
 * The control plane's Ed25519 keys in `dir` (SIGNING_KEY_DIR, default `<dataDir>/keys/`): the current one (created on first start with mode 0600 and
 * `wx`, so two control planes starting on one data dir end up with one key), and during a rotation a staged next or
 * a retiring previous key. Rotation (docs/security.md): stage → agents fetch the set with both keys → activate (the
 * new key signs, the old one stays trusted) → retire (the old key is deleted and leaves the set). Every step is a
 * file create/rename/unlink, and another control plane on the same data dir follows it: the ring is re-read when
 * the folder changed.
 */
export class SigningKeyStore {
  private ring?: Ring;
  private loadedStamp = -1;
  private checkedAt = 0;

  constructor(readonly dir: string) {}

  /** File holding the current public key, for agents' `--trust-key`. */
  get publicKeyPath(): string {
    return join(this.dir, PUBLIC_KEY_FILE);
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, PRIVATE_KEY_FILE);
    if ((await readIfExists(path)) === undefined) {
      try {
        await writeFile(path, generateSigningKeyPair().privateKeyPem, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another control plane won the race
      }
    }
    await this.reload();
  }

  /** The key that signs desired states now (re-read at most once a second when another process rotated). */
  async current(): Promise<SigningKey> {
    return (await this.fresh()).current;
  }

  /** The keys devices should trust now: current, plus next or previous during a rotation. */
  async trustedKeys(): Promise<TrustedKey[]> {
    const r = await this.fresh();
    return [r.current, r.next, r.previous].filter((k): k is SigningKey => k !== undefined)
      .map((k) => ({ keyId: k.keyId, algorithm: 'ed25519' as const, publicKeyPem: k.publicKeyPem }));
  }

  /** The trusted set, signed by every key in it, so a device that trusts any one of them takes the set. */
  async trustedKeySet(now = new Date()): Promise<TrustedKeySet> {
    const r = await this.fresh();
    const signers = [r.current, r.next, r.previous].filter((k): k is SigningKey => k !== undefined);
    return signTrustedKeySet({ keys: await this.trustedKeys(), issuedAt: now.toISOString() }, signers);
  }

  /**
   * One rotation step; a step out of order is a ConflictError naming the step to take. Steps run one at a time in
   * this process; a step that loses a race with another process (the file it expects is gone or already there) is
   * a ConflictError too, never a 500.
   */
  rotate(step: RotationStep): Promise<TrustedKey[]> {
    const run = this.rotation.then(() => this.rotateNow(step));
    this.rotation = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOENT') throw new ConflictError(`another rotation step changed the keys meanwhile: read the trusted keys and retry ${step}`);
      throw err;
    });
  }

  private rotation: Promise<unknown> = Promise.resolve();

  private async rotateNow(step: RotationStep): Promise<TrustedKey[]> {
    const r = await this.reload();
    const file = (name: string) => join(this.dir, name);
    switch (step) {
      case 'stage':
        if (r.next) throw new ConflictError(`key ${r.next.keyId} is already staged: activate it`);
        if (r.previous) throw new ConflictError(`key ${r.previous.keyId} is still retiring: retire it first`);
        await writeFile(file(NEXT_KEY_FILE), generateSigningKeyPair().privateKeyPem, { mode: 0o600, flag: 'wx' });
        break;
      case 'activate':
        if (!r.next) throw new ConflictError('no key is staged: stage one first');
        await rename(file(PRIVATE_KEY_FILE), file(PREVIOUS_KEY_FILE));
        await rename(file(NEXT_KEY_FILE), file(PRIVATE_KEY_FILE));
        break;
      case 'retire':
        if (!r.previous) throw new ConflictError('no key is retiring');
        await unlink(file(PREVIOUS_KEY_FILE));
        break;
      default: {
        const never: never = step;
        throw new Error(`unknown rotation step ${String(never)}`);
      }
    }
    await this.reload();
    return this.trustedKeys();
  }

  private async fresh(): Promise<Ring> {
    if (!this.ring) throw new Error('SigningKeyStore used before init()');
    if (Date.now() - this.checkedAt < 1000) return this.ring;
    this.checkedAt = Date.now();
    const stamp = (await stat(this.dir)).mtimeMs;
    return stamp === this.loadedStamp ? this.ring : this.reload();
  }

  private async reload(): Promise<Ring> {
    const stamp = (await stat(this.dir)).mtimeMs;
    const current = await loadKey(join(this.dir, PRIVATE_KEY_FILE));
    if (!current) throw new SigningKeyError(`${join(this.dir, PRIVATE_KEY_FILE)} is missing`);
    const next = await loadKey(join(this.dir, NEXT_KEY_FILE));
    const previous = await loadKey(join(this.dir, PREVIOUS_KEY_FILE));
    // The public key is always derived from the private one, so the two files cannot disagree.
    if ((await readIfExists(this.publicKeyPath)) !== current.publicKeyPem) await writeFile(this.publicKeyPath, current.publicKeyPem, { mode: 0o644 });
    this.ring = { current, ...(next && { next }), ...(previous && { previous }) };
    this.loadedStamp = stamp;
    this.checkedAt = Date.now();
    return this.ring;
  }
}

async function loadKey(path: string): Promise<SigningKey | undefined> {
  const pem = await readIfExists(path);
  if (pem === undefined) return undefined;
  // An operator may have copied the key in with a looser mode; the key signs what every device runs.
  await chmod(path, 0o600);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new SigningKeyError(`${path} is not a readable private key: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`${path} holds a ${privateKey.asymmetricKeyType} key, expected ed25519`);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { keyId: keyIdOf(publicKeyPem), privateKey, publicKeyPem };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
