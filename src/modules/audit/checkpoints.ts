import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { CompactSign, compactVerify } from 'jose';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import { Mutex } from '../../platform/db/mutex.ts';
import type { SigningKey } from '../../platform/keys.ts';

export interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
}

/**
 * Where the latest signed checkpoint lives: outside the audited table, so truncation shows.
 * Writes only ever move it forward (two sealers finishing out of order can't pull it back). Kept
 * per database (`installId`, migration 0005): a database made again has a chain of its own.
 */
export interface CheckpointStore {
  read(): Promise<string | null>;
  write(seq: number, jws: string): Promise<void>;
}

const fileLocks = new Map<string, Mutex>();

/** This database's install id (read once). */
export function installIdOf(db: Db): () => Promise<string> {
  let id: Promise<string> | undefined;
  return () => {
    id ??= sql<{ id: string }>`SELECT id FROM install_identity`.execute(db).then((r) => r.rows[0]!.id);
    id.catch(() => (id = undefined)); // e.g. not migrated yet: ask again next time
    return id;
  };
}

export function fileCheckpointStore(dataDir: string, installId: () => Promise<string>): CheckpointStore {
  const fileOf = async () => path.join(dataDir, `audit-checkpoint.${await installId()}.jws`);
  return {
    async read() {
      const file = await fileOf();
      try {
        return (await readFile(file, 'utf8')).trim();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(seq, jws) {
      const file = await fileOf();
      const seqFile = `${file}.seq`;
      const lock = fileLocks.get(file) ?? new Mutex();
      fileLocks.set(file, lock);
      // One writer per file in this process; a DATA_DIR belongs to one process (else use Redis).
      const release = await lock.lock();
      try {
        const current = Number(await readFile(seqFile, 'utf8').catch(() => '-1'));
        if (seq <= current) return;
        await mkdir(dataDir, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, jws, { mode: 0o600 });
        await rename(tmp, file);
        await writeFile(seqFile, String(seq));
      } finally {
        release();
      }
    },
  };
}

const CAS_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'jws', ARGV[2])
  return 1
end
return 0`;

export function redisCheckpointStore(
  redis: Redis,
  prefix: string,
  installId: () => Promise<string>,
): CheckpointStore {
  const keyOf = async () => `${prefix}audit:checkpoint:${await installId()}`;
  return {
    read: async () => redis.hget(await keyOf(), 'jws'),
    async write(seq, jws) {
      await redis.eval(CAS_SCRIPT, 1, await keyOf(), seq, jws);
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
