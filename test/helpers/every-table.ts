import { sql } from 'kysely';
import { registerJobHandlers } from '../../src/jobs.ts';
import { totpCodeAt } from '../../src/modules/auth/totp.ts';
import type { Db } from '../../src/platform/db/index.ts';
import { bearer, signUp, type TestApp } from './app.ts';
import { settler } from './notify.ts';
import { recordsKit } from './records.ts';

/**
 * A database with rows in every table, all written through the API and the jobs (as the worker
 * runs them): a consultation from booking to review with notes and a prescription PDF, one still
 * ahead, a schedule,
 * a refunded cancellation, notification choices, mails and reminders, MFA, a password reset, a
 * suspension, analytics rollups; the audit chain sealed. For the restore drill, which must see every table.
 */
export async function fillEveryTable(t: TestApp): Promise<void> {
  registerJobHandlers(t.services, t.platform.logger);
  const settle = settler(t);
  const admin = await signUp(t, 'admin');
  const r = recordsKit(t, admin);
  const ok = async (res: { statusCode: number; body: string }, status = 200) => {
    if (res.statusCode !== status) throw new Error(`${res.statusCode} ${res.body}`);
  };

  // A refunded cancellation (before the clock moves to the consultation), reminded of first.
  const cancelled = await r.paid({ reason: 'Joint pain' });
  await settle(); // the confirmation's mails and its reminders
  await ok(
    await r.kit.call(cancelled.patient.accessToken, 'POST', `/appointments/${cancelled.id}/cancel`, {
      reason: 'Travelling',
    }),
  );
  await ok(
    await r.api(cancelled.patient, 'PUT', '/me/notifications', {
      email: { confirmations: true, changes: true, payments: true, reminders: true, prescriptions: false },
      sms: { confirmations: false, changes: false, payments: false, reminders: false, prescriptions: false },
    }),
  );
  const rules = [1, 2, 3, 4, 5].map((weekday) => ({
    weekday,
    start: '09:00',
    end: '10:00',
    slotMinutes: 30,
    mode: 'video',
  }));
  await ok(await r.api(cancelled.doctor, 'PUT', '/doctors/me/schedule', { rules, horizonDays: 7 }));
  await settle(); // the cancellation's mails, the refund

  // A consultation: notes, a prescription and its PDF, completed, reviewed.
  const c = await r.inProgress({ reason: 'Burning in the chest after meals' });
  await ok(await r.api(c.doctor, 'PUT', `/appointments/${c.id}/notes`, { text: 'Pitta aggravation' }));
  await ok(await r.api(c.doctor, 'POST', `/appointments/${c.id}/prescription`, r.prescription), 201);
  await r.renderedPdf(c.patient, c.id);
  await r.complete(c.doctor, c.id);
  await ok(await r.api(c.patient, 'POST', `/appointments/${c.id}/review`, { rating: 5 }), 201);

  // An appointment still ahead, paid: an active commitment of its patient (patient_commitments).
  await r.paid();

  // Account security: MFA (recovery codes), a password reset (its token), a suspension.
  const { secret } = (await r.api(c.doctor, 'POST', '/auth/mfa/setup')).json();
  await ok(await r.api(c.doctor, 'POST', '/auth/mfa/enable', { code: totpCodeAt(secret, t.clock.now()) }));
  await ok(
    await t.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      payload: { email: c.patient.email },
    }),
    202,
  );
  const rogue = await signUp(t);
  await r.refreshed(admin);
  await ok(
    await t.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${rogue.id}/suspend`,
      headers: bearer(admin.accessToken),
      payload: { reason: 'Spam' },
    }),
  );
  await settle();
  // Analytics rollups, and a sign-up after them still waiting for the refresher (analytics_dirty).
  await t.services.analytics.refresh();
  await signUp(t);
  await t.services.audit.seal();
}

/** The tables of `db` that hold no row. */
export async function emptyTables(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`.execute(db);
  const empty: string[] = [];
  for (const { name } of rows) {
    const any = await sql`SELECT 1 FROM ${sql.table(name)} LIMIT 1`.execute(db);
    if (any.rows.length === 0) empty.push(name);
  }
  return empty.sort();
}
