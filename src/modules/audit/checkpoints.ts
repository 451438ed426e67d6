import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { CompactSign, compactVerify } from 'jose';
import type { SigningKey } from '../../platform/keys.ts';

export interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
}

/** Where the latest signed checkpoint lives: outside the audited table, so truncation shows. */
export interface CheckpointStore {
  read(): Promise<string | null>;
  write(jws: string): Promise<void>;
}

export function fileCheckpointStore(dataDir: string): CheckpointStore {
  const file = path.join(dataDir, 'audit-checkpoint.jws');
  return {
    async read() {
      try {
        return (await readFile(file, 'utf8')).trim();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(jws) {
      await mkdir(dataDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, jws, { mode: 0o600 });
      await rename(tmp, file);
    },
  };
}

export function redisCheckpointStore(redis: Redis, prefix: string): CheckpointStore {
  const key = `${prefix}audit:checkpoint`;
  return {
    read: () => redis.get(key),
    async write(jws) {
      await redis.set(key, jws);
    },
  };
}

export async function signCheckpoint(key: SigningKey, checkpoint: Checkpoint): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(checkpoint)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'audit-checkpoint' })
    .sign(key.privateKey);
}

/** The checkpoint if its signature is ours, else null. */
export async function openCheckpoint(key: SigningKey, jws: string): Promise<Checkpoint | null> {
  try {
    const { payload } = await compactVerify(jws, key.publicKey, { algorithms: [key.alg] });
    const value = JSON.parse(new TextDecoder().decode(payload)) as Checkpoint;
    return Number.isSafeInteger(value.seq) && typeof value.hash === 'string' ? value : null;
  } catch {
    return null;
  }
}
