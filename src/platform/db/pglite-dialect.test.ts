import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedDb, type Db } from './index.ts';

// PGlite is one PostgreSQL session: these prove the dialect serialises whole transactions.
describe('PGlite dialect (embedded mode)', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createEmbeddedDb(undefined)).db;
    await sql`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0);`.execute(
      db,
    );
    await sql`CREATE TABLE notes (body text NOT NULL)`.execute(db);
  });
  afterAll(() => db.destroy());

  it('50 concurrent transactions incrementing one row under FOR UPDATE end at 50', async () => {
    await Promise.all(
      Array.from({ length: 50 }, () =>
        db.transaction().execute(async (tx) => {
          const row = await sql<{ n: number }>`SELECT n FROM counter WHERE id = 1 FOR UPDATE`.execute(tx);
          // Yield between read and write: without the mutex another transaction would slip in here.
          await new Promise((resolve) => setImmediate(resolve));
          await sql`UPDATE counter SET n = ${row.rows[0]!.n + 1} WHERE id = 1`.execute(tx);
        }),
      ),
    );
    const result = await sql<{ n: number }>`SELECT n FROM counter WHERE id = 1`.execute(db);
    expect(result.rows[0]!.n).toBe(50);
  });

  it('a thrown transaction leaves no trace, even while others commit around it', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction().execute(async (tx) => {
          await sql`INSERT INTO notes VALUES (${`note-${i}`})`.execute(tx);
          await new Promise((resolve) => setImmediate(resolve));
          if (i % 2 === 1) throw new Error('boom');
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(10);
    const rows = await sql<{ body: string }>`SELECT body FROM notes ORDER BY body`.execute(db);
    expect(rows.rows.map((r) => r.body).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `note-${i * 2}`).sort(),
    );
  });

  it('a failed statement inside a transaction rolls back and the session stays usable', async () => {
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`INSERT INTO notes VALUES ('kept?')`.execute(tx);
        await sql`INSERT INTO notes VALUES (NULL)`.execute(tx);
      }),
    ).rejects.toMatchObject({ code: '23502' });
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM notes WHERE body = 'kept?'`.execute(
      db,
    );
    expect(rows.rows[0]!.n).toBe(0);
  });

  it('reads int8 as number, timestamptz as Date, and reports affected rows', async () => {
    const row = await sql<{
      big: number;
      at: Date;
    }>`SELECT 9007199254740991::int8 AS big, now() AS at`.execute(db);
    expect(row.rows[0]!.big).toBe(9_007_199_254_740_991);
    expect(row.rows[0]!.at).toBeInstanceOf(Date);
    const update = await sql`UPDATE counter SET n = n WHERE id = 1`.execute(db);
    expect(update.numAffectedRows).toBe(1n);
  });
});
