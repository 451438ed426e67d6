import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type RawBuilder, sql } from 'kysely';
import pg from 'pg';
import type { Tracing } from '../tracing.ts';
import { lockDataDir } from './dir-lock.ts';
import type { Database } from './schema.ts';
import { tracedDialect } from './traced.ts';

export type Db = Kysely<Database>;
export type DbMode = 'postgres' | 'embedded';

const INT8_OID = 20;
/** A date (no time, no zone) stays its `YYYY-MM-DD` text: as a Date it would become an instant in some zone. */
const DATE_OID = 1082;
const asText = (value: string) => value;

/**
 * PostgreSQL over a pg Pool. int8 is parsed to number: our bigints (sequences, counts) stay far below
 * 2^53. A date is read as text.
 */
export function createPostgresDb(
  connectionString: string,
  poolMax: number,
  tracing: Tracing | null = null,
): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString,
    max: poolMax,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? Number
          : oid === DATE_OID
            ? asText
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that errors (e.g. the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    // The pool listens for errors only on idle clients. A checked-out client whose connection
    // dies (the server restarted) emits 'error' too, which unheard would end the process; its
    // query is rejected anyway (→ 503) and the pool drops it on release.
    client.on('error', () => {});
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((text: unknown, values?: unknown) => {
      const name = typeof text === 'string' ? PREPARED.exec(text)?.[1] : undefined;
      return name ? query({ name, text, values }) : query(text, values);
    }) as typeof client.query;
  });
  const dialect = new PostgresDialect({ pool });
  return { db: new Kysely<Database>({ dialect: tracing ? tracedDialect(dialect, tracing) : dialect }), pool };
}

const PREPARED = /^\s*\/\*prepared:([a-z_]+)\*\//;

/**
 * Put first in a statement whose text never varies (only its parameters do): on PostgreSQL it
 * runs as a named prepared statement, parsed and planned once per connection instead of per call.
 * Only for hot statements: each name stays prepared on every pooled connection. (PGlite ignores it.)
 */
export const preparedAs = (name: string): RawBuilder<unknown> => sql.raw(`/*prepared:${name}*/`);

/**
 * Embedded PostgreSQL (PGlite), persisted in `dataDir`, or in memory when `dataDir` is undefined;
 * started from a data-directory tarball (`PGlite#dumpDataDir`, a backup) when `loadDataDir` is given.
 * Loaded only here: a PostgreSQL deployment never pays for the WebAssembly build (~40 MB).
 */
export async function createEmbeddedDb(
  dataDir: string | undefined,
  options: { loadDataDir?: Blob; tracing?: Tracing | null } = {},
): Promise<{ db: Db; pglite: PGlite; release: () => Promise<void> }> {
  if (dataDir) await mkdir(path.dirname(dataDir), { recursive: true });
  // Two processes on one PGlite directory corrupt it silently: one process at a time.
  const release = dataDir ? await lockDataDir(dataDir) : async () => {};
  const [{ PGlite }, { btree_gist }, { citext }, { pg_trgm }, { pgcrypto }, { PGliteDialect }] =
    await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/btree_gist'),
      import('@electric-sql/pglite/contrib/citext'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('@electric-sql/pglite/contrib/pgcrypto'),
      import('./pglite-dialect.ts'),
    ]);
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions: { citext, btree_gist, pgcrypto, pg_trgm },
    parsers: { [INT8_OID]: (value: string) => Number(value), [DATE_OID]: asText },
  }).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  const dialect = new PGliteDialect(pglite);
  const traced = options.tracing ? tracedDialect(dialect, options.tracing) : dialect;
  return { db: new Kysely<Database>({ dialect: traced }), pglite, release };
}

/** SQLSTATE of a database error, from pg or PGlite alike. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  exclusionViolation: '23P01',
  raiseException: 'P0001',
} as const;
