/**
 * The runner's own access to the product's database (seeded ids, invariants, the worker's backlog,
 * ceiling-db's pairs): pg in PostgreSQL mode; in embedded mode PGlite, which only one process may
 * open at a time, so the runner opens it only while the server is not running. And the Redis keys a
 * run leaves behind (all under the run's own prefix).
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REDIS_URL } from './config.ts';

export interface Query {
  rows<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function pgQuery(url: string): Promise<Query> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    rows: async <T>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as T[],
    close: () => client.end(),
  };
}

export async function embeddedQuery(dataDir: string): Promise<Query> {
  const { createEmbeddedDb } = await import('../src/platform/db/index.ts');
  const { db, pglite } = await createEmbeddedDb(path.join(dataDir, 'pgdata'));
  return {
    rows: async <T>(text: string, params?: unknown[]) => (await pglite.query<T>(text, params)).rows,
    close: () => db.destroy(),
  };
}

/** The statuses that hold a slot: a slot may have at most one appointment in them (the invariant). */
export const ACTIVE_APPOINTMENT = `status IN ('pending_payment', 'confirmed', 'in_progress')`;

export async function dropRedisKeys(prefix: string) {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
