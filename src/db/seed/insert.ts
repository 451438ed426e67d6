/**
 * The embedded (PGlite) path, which has no COPY: multi-row INSERTs of 1,000 rows in one transaction
 * on the product's own Kysely handle, so a failed run leaves nothing. Every value travels as text
 * and is cast in SQL, from the same text COPY would read, so both paths store the same values.
 */
import { sql } from 'kysely';
import type { ProgressBar } from '../../cli/progress.ts';
import type { Db } from '../../platform/db/index.ts';
import { ANALYZE_SEEDED_TABLES, type Sink, type Value } from './rows.ts';

function insertSink(tx: Db, progress: ProgressBar, chunkRows = 1_000): Sink {
  return {
    async query<R>(statement: string) {
      return (await sql.raw<R>(statement).execute(tx)).rows;
    },
    async write(table, rows) {
      let count = 0;
      const columns = sql.join(table.columns.map(([c]) => sql.ref(c)));
      const casts = table.columns.map(([, type]) => sql.raw(`::text::${type}`));
      const flush = async (batch: Value[][]) => {
        const values = batch.map((row) => sql`(${sql.join(row.map((v, i) => sql`${v}${casts[i]!}`))})`);
        await sql`INSERT INTO ${sql.table(table.name)} (${columns}) VALUES ${sql.join(values)}`.execute(tx);
        progress.add(batch.length);
      };
      let batch: Value[][] = [];
      for (const row of rows) {
        batch.push(row);
        count++;
        if (batch.length === chunkRows) {
          await flush(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await flush(batch);
      return count;
    },
  };
}

/** Runs `fill` with an INSERT sink inside one transaction on `db`, then ANALYZEs. */
export async function fillWithInserts<T>(
  db: Db,
  progress: ProgressBar,
  fill: (sink: Sink) => Promise<T>,
): Promise<T> {
  let filled: T;
  try {
    filled = await db.transaction().execute((tx) => fill(insertSink(tx, progress)));
  } finally {
    progress.finish();
  }
  await sql.raw(ANALYZE_SEEDED_TABLES).execute(db);
  return filled;
}
