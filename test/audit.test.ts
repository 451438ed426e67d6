import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/http/index.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { uniqueName } from './helpers/services.ts';

let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({ env: { AUDIT_CHECKPOINT_STORE: 'file' } });
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const get = (url: string) =>
  t.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(admin.accessToken) });

/** Admin-only maintenance: the way an attacker with database access would tamper. */
async function withTriggerDisabled(run: () => Promise<unknown>) {
  await sql`ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only`.execute(t.platform.db);
  try {
    await run();
  } finally {
    await sql`ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only`.execute(t.platform.db);
  }
}

describe('audit chain', () => {
  it('200 concurrent appends, some rolled back, sealed while being written: every committed row exactly once', async () => {
    const { audit } = t.services;
    const sealing = (async () => {
      for (let i = 0; i < 20; i++) await audit.seal();
    })();
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        t.platform.db.transaction().execute(async (tx) => {
          await audit.record(tx, SYSTEM, { action: 'test.append', entity: 'test', entityId: `row-${i}` });
          if (i % 4 === 3) throw new Error('rolled back');
        }),
      ),
    );
    await sealing;
    await audit.seal();
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(50);

    const rows = await t.platform.db
      .selectFrom('audit_logs')
      .select(['seq', 'entity_id'])
      .where('action', '=', 'test.append')
      .execute();
    const committed = Array.from({ length: 200 }, (_, i) => i)
      .filter((i) => i % 4 !== 3)
      .map((i) => `row-${i}`);
    expect(rows.map((r) => r.entity_id).sort()).toEqual(committed.sort());
    expect(rows.every((r) => r.seq !== null)).toBe(true);

    const all = await t.platform.db.selectFrom('audit_logs').select('seq').orderBy('seq').execute();
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));

    const report = (await get('/admin/audit-logs/verify')).json();
    expect(report).toMatchObject({ ok: true, unsealed: 0, firstBadSeq: null, checked: all.length });
    expect(report.checkpoint.seq).toBe(all.length);
  });

  it('the database rejects UPDATE, DELETE, TRUNCATE and pre-sealed INSERTs', async () => {
    await t.services.audit.seal();
    const db = t.platform.db;
    await expect(sql`UPDATE audit_logs SET action = 'edited' WHERE seq = 1`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`UPDATE audit_logs SET seq = 999999 WHERE seq = 1`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`DELETE FROM audit_logs WHERE seq = 1`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_logs`.execute(db)).rejects.toThrow(/append-only/);
    await expect(
      sql`INSERT INTO audit_logs (occurred_at, action, entity, seq, prev_hash, hash) VALUES (now(), 'x', 'y', 424242, 'a', 'b')`.execute(
        db,
      ),
    ).rejects.toThrow(/unsealed/);
    // Even the sealer's update must leave the content alone.
    await t.services.audit.record(db, SYSTEM, { action: 'test.pending', entity: 'test' });
    await expect(
      sql`UPDATE audit_logs SET seq = 999999, prev_hash = 'x', hash = 'y', action = 'changed' WHERE seq IS NULL`.execute(
        db,
      ),
    ).rejects.toThrow(/append-only/);
    await t.services.audit.seal();
  });

  it('an edited row (trigger disabled) is reported as the first bad seq', async () => {
    await t.services.audit.seal();
    const { rows } = await sql<{
      details: string;
    }>`SELECT details::text FROM audit_logs WHERE seq = 5`.execute(t.platform.db);
    await withTriggerDisabled(() =>
      sql`UPDATE audit_logs SET details = '{"forged":true}' WHERE seq = 5`.execute(t.platform.db),
    );
    const report = (await get('/admin/audit-logs/verify')).json();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 5 });
    // Put back exactly what was there (which row seq 5 is depends on how the first test raced).
    await withTriggerDisabled(() =>
      sql`UPDATE audit_logs SET details = ${rows[0]!.details}::jsonb WHERE seq = 5`.execute(t.platform.db),
    );
    expect((await get('/admin/audit-logs/verify')).json()).toMatchObject({ ok: true });
  });

  it('a deleted row in the middle is detected', async () => {
    const saved = await t.platform.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('seq', '=', 7)
      .executeTakeFirstOrThrow();
    await withTriggerDisabled(() => sql`DELETE FROM audit_logs WHERE seq = 7`.execute(t.platform.db));
    expect((await get('/admin/audit-logs/verify')).json()).toMatchObject({ ok: false, firstBadSeq: 7 });
    await withTriggerDisabled(() =>
      t.platform.db
        .insertInto('audit_logs')
        .values({ ...saved, details: JSON.stringify(saved.details) })
        .execute(),
    );
    expect((await get('/admin/audit-logs/verify')).json()).toMatchObject({ ok: true });
  });

  it('truncating the tail is caught by the signed checkpoint', async () => {
    await t.services.audit.record(t.platform.db, SYSTEM, { action: 'test.tail', entity: 'test' });
    await t.services.audit.seal();
    const head = await t.platform.db
      .selectFrom('audit_logs')
      .select(sql<number>`max(seq)`.as('max'))
      .executeTakeFirstOrThrow();
    const saved = await t.platform.db
      .selectFrom('audit_logs')
      .selectAll()
      .where('seq', '=', head.max)
      .executeTakeFirstOrThrow();
    await withTriggerDisabled(() =>
      sql`DELETE FROM audit_logs WHERE seq = ${head.max}`.execute(t.platform.db),
    );
    const report = (await get('/admin/audit-logs/verify')).json();
    expect(report).toMatchObject({ ok: false, firstBadSeq: head.max });
    expect(report.reason).toMatch(/removed/);
    // New rows must not bury the evidence: the sealer refuses to extend a chain that lost its tail.
    await t.services.audit.record(t.platform.db, SYSTEM, { action: 'test.after_cut', entity: 'test' });
    await expect(t.services.audit.seal()).rejects.toThrow(/does not match its signed checkpoint/);
    expect((await get('/admin/audit-logs/verify')).json()).toMatchObject({
      ok: false,
      firstBadSeq: head.max,
    });
    await withTriggerDisabled(() =>
      t.platform.db
        .insertInto('audit_logs')
        .values({ ...saved, details: JSON.stringify(saved.details) })
        .execute(),
    );
    expect((await t.services.audit.seal()).sealed).toBe(1);
    expect((await get('/admin/audit-logs/verify')).json()).toMatchObject({ ok: true });
  });

  it('a forged checkpoint (not signed by the server key) is reported', async () => {
    const dir = t.platform.config.dataDir;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/audit-checkpoint.${await installId(t)}.jws`, 'eyJhbGciOiJub25lIn0.eyJzZXEiOjF9.');
    const report = (await get('/admin/audit-logs/verify')).json();
    expect(report.ok).toBe(false);
    expect(report.reason).toMatch(/signature/);
  });
});

describe('audit endpoints', () => {
  it('lists newest first with filters and a cursor that walks every row once', async () => {
    const user = await signUp(t);
    t.clock.advance(1); // the test clock stands still; give the failed login its own instant
    await t.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: 'bad password!' },
    });
    const mine = (await get(`/admin/audit-logs?actorId=${user.id}&limit=100`)).json();
    expect(mine.items.map((i: { action: string }) => i.action)).toEqual([
      'auth.login_failed',
      'auth.login',
      'auth.register',
    ]);
    expect(mine.items[0]).toMatchObject({
      actorId: user.id,
      actorRole: 'patient',
      entity: 'user',
      ip: '127.0.0.1',
    });
    expect(mine.items[0].requestId).toEqual(expect.any(String));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const pageRes = await get(
        `/admin/audit-logs?action=test.append&limit=40${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const body = pageRes.json();
      seen.push(...body.items.map((i: { id: string }) => i.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(150);
    expect(new Set(seen).size).toBe(150);
  });

  it('rejects a bad cursor or filter with 400', async () => {
    expect((await get('/admin/audit-logs?cursor=garbage')).json().code).toBe('INVALID_CURSOR');
    expect((await get('/admin/audit-logs?limit=500')).statusCode).toBe(400);
    expect((await get('/admin/audit-logs?from=yesterday')).statusCode).toBe(400);
  });

  it('seals on demand', async () => {
    await t.services.audit.record(t.platform.db, SYSTEM, { action: 'test.ondemand', entity: 'test' });
    const res = await t.inject({
      method: 'POST',
      url: '/api/v1/admin/audit-logs/seal',
      headers: bearer(admin.accessToken),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().sealed).toBeGreaterThanOrEqual(1);
  });
});

/** The database's install id (migration 0005), under which its checkpoint is kept. */
const installId = async (app: TestApp) =>
  (await sql<{ id: string }>`SELECT id FROM install_identity`.execute(app.platform.db)).rows[0]!.id;

describe('checkpoints kept in Redis', () => {
  it('a database dropped and created again keeps sealing: its chain is its own, not the old checkpoint’s', async () => {
    const prefix = `${uniqueName('reset')}:`;
    const env = { AUDIT_CHECKPOINT_STORE: 'redis', REDIS_KEY_PREFIX: prefix };
    const first = await startTestApp({ env });
    try {
      for (let i = 0; i < 3; i++)
        await first.services.audit.record(first.platform.db, SYSTEM, {
          action: 'test.reset',
          entity: 'test',
        });
      expect(await first.services.audit.seal()).toMatchObject({ sealed: 3, headSeq: 3 });
    } finally {
      await first.close(); // drops its database; Redis keeps the checkpoint
    }
    const second = await startTestApp({ env }); // a new, empty database, the same Redis
    try {
      await second.services.audit.record(second.platform.db, SYSTEM, {
        action: 'test.reset',
        entity: 'test',
      });
      expect(await second.services.audit.seal()).toMatchObject({ sealed: 1, headSeq: 1 });
      expect(await second.services.audit.verify()).toMatchObject({ ok: true, checked: 1 });
    } finally {
      await second.close();
    }
  });

  it('detect a truncated tail just like the file store', async () => {
    const r = await startTestApp({ env: { AUDIT_CHECKPOINT_STORE: 'redis' } });
    try {
      const { audit } = r.services;
      for (let i = 0; i < 3; i++)
        await audit.record(r.platform.db, SYSTEM, { action: 'test.redis', entity: 'test' });
      expect(await audit.seal()).toMatchObject({ sealed: 3, headSeq: 3 });
      const key = `${r.platform.config.redisKeyPrefix}audit:checkpoint:${await installId(r)}`;
      const jws = await r.platform.kv.redis!.hget(key, 'jws');
      expect(jws).toMatch(/^ey/);
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 3, checkpoint: { seq: 3 } });
      await sql`ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only`.execute(r.platform.db);
      await sql`DELETE FROM audit_logs WHERE seq = 3`.execute(r.platform.db);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 3 });
      // Without any checkpoint a cut tail could not be seen: that is reported too.
      await r.platform.kv.redis!.del(key);
      expect(await audit.verify()).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/no signed checkpoint/),
      });
    } finally {
      await r.close();
    }
  });
});
