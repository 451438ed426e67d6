import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { readOrCreateSecretFile } from './secret-files.ts';

export type SigningAlg = 'EdDSA' | 'RS256';

/** The server's asymmetric key: signs access tokens and audit checkpoints, published as JWKS. */
export interface SigningKey {
  alg: SigningAlg;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

export async function loadSigningKey(
  pems: { privateKeyPem: string | undefined; publicKeyPem: string | undefined },
  dataDir: string,
): Promise<SigningKey> {
  let privatePem = pems.privateKeyPem;
  let publicPem = pems.publicKeyPem;
  if (!privatePem || !publicPem) {
    const stored = JSON.parse(
      await readOrCreateSecretFile(path.join(dataDir, 'jwt-signing-key.json'), () => {
        const pair = generateKeyPairSync('ed25519');
        return JSON.stringify({
          privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }),
          publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }),
        });
      }),
    ) as { privatePem: string; publicPem: string };
    privatePem = stored.privatePem;
    publicPem = stored.publicPem;
  }
  // Environments often flatten PEMs onto one line with literal "\n".
  const privateKey = createPrivateKey(privatePem.replace(/\\n/g, '\n'));
  const publicKey = createPublicKey(publicPem.replace(/\\n/g, '\n'));
  const type = privateKey.asymmetricKeyType;
  if (type !== 'ed25519' && type !== 'rsa') throw new Error('JWT_PRIVATE_KEY: must be an Ed25519 or RSA key');
  if (publicKey.asymmetricKeyType !== type) throw new Error('JWT_PUBLIC_KEY: does not match JWT_PRIVATE_KEY');
  const alg: SigningAlg = type === 'ed25519' ? 'EdDSA' : 'RS256';
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { alg, kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}
