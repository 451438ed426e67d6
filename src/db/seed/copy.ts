/**
 * The PostgreSQL path: every table through `COPY … FROM STDIN` (pg-copy-streams) on one dedicated
 * connection, all in one transaction, so a failed run leaves nothing. A transaction-scoped advisory
 * lock makes two seed-loads at once take turns: the second finds the first one's rows and refuses.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ProgressBar } from '../../cli/progress.ts';
import { SEED_EMAIL_DOMAIN, SeedRefused } from './accounts.ts';
import { ANALYZE_SEEDED_TABLES, type Sink, type Value } from './rows.ts';

/** COPY text format: backslash, tab, newline and carriage return escaped; NULL as \N. */
const copyText = (v: Value) =>
  v === null
    ? '\\N'
    : v.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      );

function copySink(client: pg.Client, progress: ProgressBar): Sink {
  return {
    async query<R>(statement: string) {
      return (await client.query(statement)).rows as R[];
    },
    async write(table, rows) {
      let count = 0;
      async function* chunks() {
        let buffer: string[] = [];
        for (const row of rows) {
          buffer.push(`${row.map(copyText).join('\t')}\n`);
          count++;
          if (buffer.length === 2_000) {
            progress.add(buffer.length);
            yield buffer.join('');
            buffer = [];
          }
        }
        if (buffer.length > 0) {
          progress.add(buffer.length);
          yield buffer.join('');
        }
      }
      const columns = table.columns.map(([c]) => c).join(', ');
      await pipeline(
        Readable.from(chunks()),
        client.query(copyFrom(`COPY ${table.name} (${columns}) FROM STDIN`)),
      );
      return count;
    },
  };
}

/** Runs `fill` with a COPY sink inside one transaction on `databaseUrl`, then ANALYZEs. */
export async function fillWithCopy<T>(
  databaseUrl: string,
  progress: ProgressBar,
  fill: (sink: Sink) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fillInOneTransaction(client, progress, fill);
  } finally {
    await client.end();
  }
}

async function fillInOneTransaction<T>(
  client: pg.Client,
  progress: ProgressBar,
  fill: (sink: Sink) => Promise<T>,
): Promise<T> {
  let filled: T;
  try {
    await client.query('BEGIN');
    // Two seed-loads at once: the second waits here, then finds the first one's rows and refuses.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['seed-load']);
    const again = await client.query('SELECT 1 FROM users WHERE email LIKE $1 LIMIT 1', [
      `%@${SEED_EMAIL_DOMAIN}`,
    ]);
    if (again.rowCount) throw new SeedRefused('Another seed-load filled this database meanwhile');
    filled = await fill(copySink(client, progress));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    progress.finish();
  }
  await client.query(ANALYZE_SEEDED_TABLES);
  return filled;
}
