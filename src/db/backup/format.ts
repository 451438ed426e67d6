import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';

/**
 * A backup file: one line of JSON (the header: what the payload is, how it is encrypted, and the
 * manifest of the database it came from), then the payload (a `pg_dump -Fc` archive, or a PGlite
 * data-directory tarball), as it is or encrypted.
 *
 * Invariants:
 * - `head -1 FILE` tells an operator what a file is without any key; the header holds no secret.
 * - Encryption is AES-256-GCM over the stream in chunks: a key derived for this file (HKDF of the
 *   configured key and a random salt in the header), a nonce per chunk from its counter, the
 *   header's hash and a last-chunk flag authenticated with each. A chunk is released only once its
 *   tag verified, so nothing altered reaches pg_restore; a reordered, altered, truncated or extended
 *   file, or a changed header, fails to decrypt.
 */

export const CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 1 << 20;
const KDF_INFO = 'amrutam backup v1';

export type PayloadFormat = 'pg_dump-custom' | 'pglite-datadir';

const manifestSchema = z.object({
  installId: z.string().nullable(),
  migrations: z.array(z.string()),
  tables: z.record(z.string(), z.number().int().min(0)),
  audit: z.object({
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    unsealed: z.number().int().min(0),
  }),
});
/** What the source held at the backup's instant: the drill compares a restored copy with it. */
export type Manifest = z.infer<typeof manifestSchema>;

const headerSchema = z.object({
  amrutamBackup: z.literal(1),
  format: z.enum(['pg_dump-custom', 'pglite-datadir']),
  createdAt: z.string(),
  database: z.string(),
  encryption: z
    .object({
      alg: z.literal('AES-256-GCM'),
      keyId: z.string(),
      salt: z.string(),
      chunkBytes: z
        .number()
        .int()
        .min(1024)
        .max(16 * 1024 * 1024),
    })
    .nullable(),
  manifest: manifestSchema,
});
export type BackupHeader = z.infer<typeof headerSchema>;

export interface BackupKey {
  kid: string;
  key: Buffer;
}

/** A new header; encrypted with `key` when given (a fresh salt). */
export function newHeader(
  h: { format: PayloadFormat; createdAt: Date; database: string; manifest: Manifest },
  key: BackupKey | undefined,
): BackupHeader {
  return {
    amrutamBackup: 1,
    format: h.format,
    createdAt: h.createdAt.toISOString(),
    database: h.database,
    encryption: key
      ? {
          alg: 'AES-256-GCM',
          keyId: key.kid,
          salt: randomBytes(32).toString('base64'),
          chunkBytes: CHUNK_BYTES,
        }
      : null,
    manifest: h.manifest,
  };
}

export const headerLine = (header: BackupHeader) => Buffer.from(`${JSON.stringify(header)}\n`);

export class BackupFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFileError';
  }
}

/** The header of a backup file and where its payload begins. */
export async function readHeader(file: string): Promise<{ header: BackupHeader; payloadOffset: number }> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new BackupFileError(`${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  try {
    const buffer = Buffer.alloc(MAX_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_HEADER_BYTES, 0);
    const end = buffer.subarray(0, bytesRead).indexOf(0x0a);
    const parsed =
      end > 0 ? headerSchema.safeParse(safeJson(buffer.subarray(0, end).toString('utf8'))) : undefined;
    if (!parsed?.success) throw new BackupFileError(`${file}: not an Amrutam backup (no valid header line)`);
    return { header: parsed.data, payloadOffset: end + 1 };
  } finally {
    await handle.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The configured key for this header's encryption, or a one-line reason why there is none. */
export function keyFor(header: BackupHeader, keys: readonly BackupKey[]): BackupKey {
  const wanted = header.encryption!.keyId;
  const key = keys.find((k) => k.kid === wanted);
  if (key) return key;
  throw new BackupFileError(
    keys.length === 0
      ? `the backup is encrypted with key "${wanted}": set BACKUP_ENCRYPTION_KEY to it`
      : `the backup is encrypted with key "${wanted}", which BACKUP_ENCRYPTION_KEY does not hold`,
  );
}

function fileKey(header: BackupHeader, key: BackupKey): Buffer {
  const salt = Buffer.from(header.encryption!.salt, 'base64');
  return Buffer.from(hkdfSync('sha256', key.key, salt, KDF_INFO, 32));
}

function nonce(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(counter), 4);
  return iv;
}

/** What each chunk authenticates besides itself: the header, and whether it is the last. */
function aad(headerHash: Buffer, last: boolean): Buffer {
  return Buffer.concat([headerHash, Buffer.from([last ? 1 : 0])]);
}

/** Plaintext in, the encrypted payload out (chunks of ciphertext + tag). */
export function encrypting(header: BackupHeader, key: BackupKey): Transform {
  const k = fileKey(header, key);
  const headerHash = createHash('sha256').update(headerLine(header)).digest();
  const size = header.encryption!.chunkBytes;
  let pending = Buffer.alloc(0);
  let counter = 0;
  const seal = (plain: Buffer, last: boolean) => {
    const cipher = createCipheriv('aes-256-gcm', k, nonce(counter++));
    cipher.setAAD(aad(headerHash, last));
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = Buffer.concat([pending, chunk]);
      // Strictly more than a chunk: the last chunk is sealed as last, even when it is a full one.
      while (pending.length > size) {
        this.push(seal(pending.subarray(0, size), false));
        pending = pending.subarray(size);
      }
      done();
    },
    flush(done: TransformCallback) {
      this.push(seal(pending, true));
      done();
    },
  });
}

/** The encrypted payload in, plaintext out; each chunk released only once its tag verified. */
export function decrypting(header: BackupHeader, key: BackupKey): Transform {
  const k = fileKey(header, key);
  const headerHash = createHash('sha256').update(headerLine(header)).digest();
  const record = header.encryption!.chunkBytes + TAG_BYTES;
  let pending = Buffer.alloc(0);
  let counter = 0;
  const open = (sealed: Buffer, last: boolean) => {
    const index = counter++;
    try {
      const decipher = createDecipheriv('aes-256-gcm', k, nonce(index));
      decipher.setAAD(aad(headerHash, last));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new BackupFileError(
        `the backup does not decrypt at chunk ${index}: wrong key, or the file was altered or cut short`,
      );
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = Buffer.concat([pending, chunk]);
      try {
        while (pending.length > record) {
          this.push(open(pending.subarray(0, record), false));
          pending = pending.subarray(record);
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      if (pending.length < TAG_BYTES) {
        done(new BackupFileError('the backup is cut short: its last chunk is missing'));
        return;
      }
      try {
        this.push(open(pending, true));
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}
