import { sql } from 'kysely';
import type { Cipher } from './crypto.ts';
import type { Db } from './db/index.ts';

/**
 * Columns of sealed values (AES-256-GCM envelopes, crypto.ts) and their re-sealing under the active
 * key, for key rotation (`npm run cli -- phi-rotate`). Each module declares its own columns: the
 * table, the row's key, and the context each envelope is bound to; this file does the work.
 *
 * Invariants:
 * - A value is re-sealed with its own plaintext and context: only the key (and the IV) change.
 * - A value already sealed with the active key is never touched, so an interrupted run is resumed
 *   by running it again, and a finished one is a no-op.
 * - Each batch is one transaction holding its rows locked: a writer of one of them waits for it,
 *   and its change is not lost.
 */
export interface SealedColumn {
  table: string;
  column: string;
  /** The row's primary key, in its index's order (rows are walked by it). */
  key: readonly string[];
  /** The context the envelope of this row's value is bound to. */
  context(row: Record<string, unknown>): string;
  /** Plain text stored before encryption began carries this prefix; it is sealed on rotation. */
  legacyPlainPrefix?: string;
}

export type RowKey = unknown[];

export function createResealer(db: Db, cipher: Cipher) {
  const stale = (c: SealedColumn) =>
    sql`${sql.ref(c.column)} IS NOT NULL AND ${sql.ref(c.column)} NOT LIKE ${`v1:${cipher.activeKeyId}:%`}`;
  const keyOf = (c: SealedColumn) => sql.join(c.key.map((k) => sql.ref(k)));

  function reseal(c: SealedColumn, row: Record<string, unknown>): string {
    const value = row.value as string;
    const context = c.context(row);
    if (c.legacyPlainPrefix && value.startsWith(c.legacyPlainPrefix)) {
      return cipher.encrypt(value.slice(c.legacyPlainPrefix.length), context);
    }
    try {
      return cipher.encrypt(cipher.decrypt(value, context), context);
    } catch (error) {
      const where = c.key.map((k) => `${k}=${String(row[k])}`).join(', ');
      throw new Error(`${c.table}.${c.column} (${where}): ${(error as Error).message}`);
    }
  }

  return {
    /** How many values the column holds, and how many of them are not (yet) sealed with the active key. */
    async census(c: SealedColumn): Promise<{ values: number; stale: number }> {
      const { rows } = await sql<{ values: number; stale: number }>`
        SELECT count(${sql.ref(c.column)})::int AS values, (count(*) FILTER (WHERE ${stale(c)}))::int AS stale
        FROM ${sql.table(c.table)}`.execute(db);
      return rows[0]!;
    },

    /**
     * Re-seals the next `limit` stale values after the row keyed `after` (null: from the start), in
     * one transaction. Returns how many, and the key of the last row (null when none were left).
     */
    async batch(
      c: SealedColumn,
      after: RowKey | null,
      limit: number,
    ): Promise<{ resealed: number; last: RowKey | null }> {
      return db.transaction().execute(async (tx) => {
        const { rows } = await sql<Record<string, unknown>>`
          SELECT ${keyOf(c)}, ${sql.ref(c.column)} AS value FROM ${sql.table(c.table)}
          WHERE ${stale(c)} ${after ? sql`AND (${keyOf(c)}) > (${sql.join(after)})` : sql``}
          ORDER BY ${keyOf(c)} LIMIT ${limit} FOR UPDATE`.execute(tx);
        for (const row of rows) {
          await sql`
            UPDATE ${sql.table(c.table)} SET ${sql.ref(c.column)} = ${reseal(c, row)}
            WHERE (${keyOf(c)}) = (${sql.join(c.key.map((k) => row[k]))})`.execute(tx);
        }
        const last = rows.at(-1);
        return { resealed: rows.length, last: last ? c.key.map((k) => last[k]) : null };
      });
    },
  };
}

export type Resealer = ReturnType<typeof createResealer>;
