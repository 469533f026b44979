/** The test vector of docs/security.md ("Signed updates") must be what the code produces, byte for byte. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, keyIdOf, signDesiredState, signingPayload, verifyDesiredState, type DesiredStateMessage } from './index';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'security.md'), 'utf8');
const block = (name: string): string => {
  const m = new RegExp(`<!-- vector:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  assert.ok(m, `docs/security.md has no vector:${name} block`);
  return m[1]!;
};
// RFC 8032 test 1 seed in a PKCS#8 envelope.
const seed = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const privateKey = createPrivateKey({ key: Buffer.from(`302e020100300506032b657004220420${seed}`, 'hex'), format: 'der', type: 'pkcs8' });

test('docs/security.md test vector: key, canonical text and signature', () => {
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString().trim();
  assert.equal(publicKeyPem, block('public-key'));
  const message = JSON.parse(block('message')) as DesiredStateMessage;
  assert.equal(message.keyId, keyIdOf(publicKeyPem));
  assert.equal(signingPayload(message).toString('utf8'), block('canonical'));
  const { signature, ...unsigned } = message;
  assert.equal(signDesiredState(unsigned, privateKey), signature);
  assert.equal(verifyDesiredState(message, [publicKeyPem]), true);
});

test('JCS details: UTF-16 key order, escapes, number forms', () => {
  assert.equal(canonicalJson({ b: 1, a: [3, 1], A: null, é: true, '€': false }), '{"A":null,"a":[3,1],"b":1,"é":true,"€":false}');
  assert.equal(canonicalJson({ s: 'q"\\/\n\u0001é' }), '{"s":"q\\"\\\\/\\n\\u0001é"}');
  assert.equal(canonicalJson([1e21, 1e-7, 0.1, -0, 42, 4.5e-6]), '[1e+21,1e-7,0.1,0,42,0.0000045]');
  assert.throws(() => canonicalJson({ x: Number.NaN }));
});
