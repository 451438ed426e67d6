import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/http/index.ts';
import { type Account, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { run } from './helpers/process.ts';

// Retention (MEDICAL_RECORDS_RETENTION_YEARS, 7 by default) detaches months that ended longer ago
// into schema archive and never drops a row; the audit chain still verifies across them. The data
// is made in 2018 (the test clock), the CLI judges by the real date.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2018-05-10T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const db = () => t.platform.db;
const cli = async (args: string[], env: Record<string, string> = {}) => {
  const proc = run('src/cli.ts', ['partitions', ...args], {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: t.platform.config.databaseUrl!,
    DATA_DIR: t.platform.config.dataDir,
    ...env,
  });
  return { code: await proc.exit, output: proc.output() };
};
const count = async (table: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db())).rows[0]!.n;
const archived = async () =>
  (
    await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'archive' ORDER BY 1`.execute(db())
  ).rows.map((r) => r.name);

describe('retention', () => {
  it('detaches months past the retention into schema archive, keeps a month with a live appointment, drops nothing', {
    timeout: 60_000,
  }, async () => {
    // May 2018: a paid booking its doctor cancelled (refunded); June 2018: a confirmed one, still live.
    const may = await kit.booked(72);
    await kit.pay(may.patient, may.appointment.payment.id, 'succeed');
    const cancel = await kit.call(
      may.doctor.accessToken,
      'POST',
      `/appointments/${may.appointment.id}/cancel`,
      {
        reason: 'x',
      },
    );
    expect(cancel.statusCode, cancel.body).toBe(200);
    const doctor = await createDoctor(t, admin, { feeMinor: 0 });
    const [june] = await db()
      .insertInto('slots')
      .values({
        doctor_id: doctor.id,
        starts_at: new Date('2018-06-20T10:00:00Z'),
        ends_at: new Date('2018-06-20T10:30:00Z'),
        mode: 'video',
        source: 'manual',
        updated_at: t.clock.now(),
      })
      .returning('id')
      .execute();
    const live = (await kit.book(await signUp(t), june!.id)).json();
    expect(live.status).toBe('confirmed');
    await t.services.audit.seal();
    const sealedBefore = (await t.services.audit.verify()).checked;

    // The variable decides: with 20 years nothing is old enough.
    const longer = await cli([], { MEDICAL_RECORDS_RETENTION_YEARS: '20' });
    expect(longer.code, longer.output).toBe(0);
    expect(longer.output).toMatch(/^appointments: \d+ monthly partitions \(2018-05\.\..*detached none/m);
    expect(await archived()).toEqual([]);

    // 7 years: every 2018 month goes but June's appointments (one is live) and May's audit rows,
    // which hold the chain's newest seals (it goes on from audit_logs).
    const first = await cli([]);
    expect(first.code, first.output).toBe(0);
    const lines = first.output.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^appointments: .*detached 2018-05, 2018-07, 2018-08 \(schema archive\); kept 2018-06 \(active appointments\); 0 row\(s\) in appointments_default$/,
    );
    expect(lines[1]).toMatch(
      /^audit_logs: .*detached 2018-06, 2018-07, 2018-08 \(schema archive\); kept 2018-05 \(unsealed rows or the chain’s newest seals\)/,
    );
    // Once the chain has gone on in today's months, May's audit rows go too.
    t.clock.set(new Date().toISOString());
    await t.services.audit.record(db(), SYSTEM, { action: 'test.today', entity: 'test' });
    await t.services.audit.seal();
    const second = await cli([]);
    expect(second.output).toMatch(
      /^appointments: .*created none; detached none; kept 2018-06 \(active appointments\)/m,
    );
    expect(second.output).toMatch(/^audit_logs: .*detached 2018-05 \(schema archive\); 0 row/m);
    expect(await archived()).toEqual(
      expect.arrayContaining(['appointments_y2018m05', 'audit_logs_y2018m05', 'audit_logs_y2018m06']),
    );
    expect(await archived()).not.toContain('appointments_y2018m06');

    // Nothing was dropped: the cancelled appointment and its payment are in the archive; the live
    // one is where it was; every audit row is still in the chain, which still verifies.
    const kept = await sql<{ status: string }>`
      SELECT status FROM archive.appointments_y2018m05 WHERE id = ${may.appointment.id}`.execute(db());
    expect(kept.rows).toEqual([{ status: 'cancelled' }]);
    expect(await count('payments')).toBe(1);
    const ids = await sql`SELECT 1 FROM appointment_ids WHERE id = ${may.appointment.id}`.execute(db());
    expect(ids.rows).toHaveLength(1);
    const ops = await signUp(t, 'admin');
    expect((await kit.appointment(ops, live.id)).status).toBe('confirmed');
    // Archived is out of the live system: the API no longer finds it.
    expect(
      (await kit.call(ops.accessToken, 'GET', `/appointments/${may.appointment.id}`, undefined, null))
        .statusCode,
    ).toBe(404);
    expect(await count('archive.audit_logs_y2018m05')).toBeGreaterThan(0);
    await t.services.audit.seal();
    const report = await t.services.audit.verify();
    expect(report).toMatchObject({ ok: true, unsealed: 0 });
    expect(report.checked).toBeGreaterThanOrEqual(sealedBefore);

    // An archived audit month is still append-only.
    for (const statement of [
      sql`UPDATE archive.audit_logs_y2018m05 SET action = 'edited'`,
      sql`DELETE FROM archive.audit_logs_y2018m05`,
      sql`TRUNCATE archive.audit_logs_y2018m05`,
    ]) {
      await expect(statement.execute(db())).rejects.toThrow(/append-only/);
    }
  });

  it('--help says what it does', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/MEDICAL_RECORDS_RETENTION_YEARS/);
    expect((await cli(['--bogus'])).code).toBe(1);
  });
});
