import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { readOrCreateSecretFile } from './secret-files.ts';

const VERSION = 'v1';

/**
 * AES-256-GCM envelopes for PHI and other secrets at rest. The key id travels with each value so
 * keys can rotate: the first key encrypts, every listed key decrypts.
 * Format: `v1:<kid>:<iv>:<tag>:<ciphertext>` (base64url parts).
 */
export class Cipher {
  readonly #keys: Map<string, Buffer>;
  readonly #activeKid: string;
  readonly #subkeys = new Map<string, Buffer[]>();

  constructor(keys: Array<{ kid: string; key: Buffer }>) {
    if (keys.length === 0) throw new Error('Cipher needs at least one key');
    for (const { kid, key } of keys) {
      if (key.length !== 32)
        throw new Error(`encryption key "${kid}" must be 32 bytes (base64 of 32 random bytes)`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid))
        throw new Error(`encryption key id "${kid}" must be [A-Za-z0-9_-]{1,32}`);
    }
    this.#keys = new Map(keys.map(({ kid, key }) => [kid, key]));
    this.#activeKid = keys[0]!.kid;
  }

  /** The key new envelopes are sealed with; an envelope that doesn't start `v1:<it>:` awaits re-sealing. */
  get activeKeyId(): string {
    return this.#activeKid;
  }

  /**
   * Keyed digests of `value` (HMAC-SHA256 under a subkey of each key, the active key's first): a
   * digest of PHI that can be compared without being guessable from the database alone. Every key
   * gives one, so a digest made before a rotation still matches.
   */
  digests(value: string, purpose: string): string[] {
    let subkeys = this.#subkeys.get(purpose);
    if (!subkeys) {
      subkeys = [...this.#keys.values()].map((key) =>
        Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `amrutam ${purpose}`, 32)),
      );
      this.#subkeys.set(purpose, subkeys);
    }
    return subkeys.map((key) => createHmac('sha256', key).update(value).digest('hex'));
  }

  /** `context` (e.g. the owning row's id) is authenticated, so a value can't be moved to another row. */
  encrypt(plaintext: string, context = ''): string {
    const key = this.#keys.get(this.#activeKid)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.#activeKid, iv, cipher.getAuthTag(), ciphertext]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join(':');
  }

  decrypt(envelope: string, context = ''): string {
    const [version, kid, iv, tag, ciphertext] = envelope.split(':');
    if (version !== VERSION || !kid || !iv || !tag || ciphertext === undefined)
      throw new Error('malformed envelope');
    const key = this.#keys.get(kid);
    if (!key) throw new Error(`unknown encryption key id "${kid}"`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

/** `kid:base64key,kid2:base64key` — the first one encrypts. */
export function parseKeyList(value: string): Array<{ kid: string; key: Buffer }> {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      if (at <= 0) throw new Error('PHI_ENCRYPTION_KEYS: each entry must be <kid>:<base64 key>');
      return { kid: entry.slice(0, at), key: Buffer.from(entry.slice(at + 1), 'base64') };
    });
}

export async function loadCipher(configured: string | undefined, dataDir: string): Promise<Cipher> {
  const value =
    configured ??
    (await readOrCreateSecretFile(
      path.join(dataDir, 'phi-keys'),
      () => `dev1:${randomBytes(32).toString('base64')}`,
    ));
  return new Cipher(parseKeyList(value.trim()));
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
