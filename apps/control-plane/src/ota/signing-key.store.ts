import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKeyPair } from '@edgefleet/contracts';

export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  privateKeyPath: string;
  /** Give this file to agents (`--trust-key`) so they accept only desired state signed by this control plane. */
  publicKeyPath: string;
}

export class SigningKeyError extends Error {
  override name = 'SigningKeyError';
}

export const PRIVATE_KEY_FILE = 'desired-state.ed25519.key.pem';
export const PUBLIC_KEY_FILE = 'desired-state.ed25519.pub.pem';

/**
 * Loads the control plane's Ed25519 key pair from `<dataDir>/keys/`, creating it on first start. The private
 * key is written with mode 0600 and `wx` (never overwrite), so two control planes starting on the same data
 * dir end up with one key: the loser of the race reads the winner's file.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const dir = join(dataDir, 'keys');
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let privatePem = await readIfExists(privateKeyPath);
  if (privatePem === undefined) {
    const generated = generateSigningKeyPair();
    try {
      await writeFile(privateKeyPath, generated.privateKeyPem, { mode: 0o600, flag: 'wx' });
      privatePem = generated.privateKeyPem;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      privatePem = await readFile(privateKeyPath, 'utf8');
    }
  }
  // An operator may have copied the key in with a looser mode; the key signs what every device runs.
  await chmod(privateKeyPath, 0o600);

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privatePem);
  } catch (err) {
    throw new SigningKeyError(`${privateKeyPath} is not a readable private key: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`${privateKeyPath} holds a ${privateKey.asymmetricKeyType} key, expected ed25519`);
  }
  // The public key is always derived from the private one, so the two files cannot disagree.
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  if ((await readIfExists(publicKeyPath)) !== publicKeyPem) await writeFile(publicKeyPath, publicKeyPem, { mode: 0o644 });
  return { privateKey, publicKeyPem, privateKeyPath, publicKeyPath };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
