import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { connectWs } from './helpers/ws.ts';

// Issue 13, found by probing the running server: one registration number verified for two doctors,
// an admin's appointment list showing every patient's words, one process holding any number of sockets.

let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({
    clockStart: '2026-03-01T00:00:00Z',
    env: { API_DOCS: 'off', WS_MAX_CONNECTIONS: '1' },
  });
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const verify = (app: TestApp, who: Account, id: string) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/admin/doctors/${id}/verify`,
    headers: bearer(who.accessToken),
    payload: { status: 'verified' },
  });
const statusOf = async (app: TestApp, id: string) =>
  (
    await app.platform.db
      .selectFrom('doctors')
      .select('verification_status')
      .where('user_id', '=', id)
      .executeTakeFirstOrThrow()
  ).verification_status;

/** A verified holder of NCISM `number`, and a pending doctor who typed the same number differently. */
async function sameNumber(app: TestApp, by: Account, number: string) {
  const first = await createDoctor(app, by, { registrationNumber: number, council: 'NCISM' });
  const copy = await createDoctor(
    app,
    by,
    { registrationNumber: ` ${number.toLowerCase().replaceAll('/', '-')} `, council: 'NCISM' },
    false,
  );
  return { first, copy };
}

describe('a registration number belongs to one verified doctor (per council)', () => {
  it('verifying a second holder is 409 REGISTRATION_NUMBER_TAKEN, whatever the spacing, case or punctuation', async () => {
    const { copy } = await sameNumber(t, admin, 'NCISM/AY/5001');
    const refused = await verify(t, admin, copy.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('REGISTRATION_NUMBER_TAKEN');
    expect(await statusOf(t, copy.id)).toBe('pending');
    // Another council's register is another register.
    const other = await createDoctor(t, admin, { registrationNumber: 'NCISM/AY/5001', council: 'CCIM' });
    expect(await statusOf(t, other.id)).toBe('verified');
  });

  it('the database holds the rule whatever the code does', async () => {
    const { copy } = await sameNumber(t, admin, 'NCISM/AY/5002');
    await expect(
      sql`UPDATE doctors SET verification_status = 'verified' WHERE user_id = ${copy.id}`.execute(
        t.platform.db,
      ),
    ).rejects.toThrow(/doctors_registration_unique/);
  });

  it('0017 over doctors verified before it: the first verified keeps the number, a later one goes back to review, audited', async () => {
    const migrator = new Migrator({
      db: t.platform.db,
      provider: { getMigrations: async () => migrations },
    });
    expect((await migrator.migrateTo('0016_outbox_trace')).error).toBeUndefined();
    const { first, copy } = await sameNumber(t, admin, 'NCISM/AY/5003');
    t.clock.advance(60_000);
    expect((await verify(t, admin, copy.id)).statusCode).toBe(200); // no rule before 0017
    await migrateToLatest(t.platform.db);
    expect([await statusOf(t, first.id), await statusOf(t, copy.id)]).toEqual(['verified', 'pending']);
    const own = await t.inject({
      method: 'GET',
      url: '/api/v1/doctors/me',
      headers: bearer(copy.accessToken),
    });
    expect(own.json().verificationReason).toMatch(/registration number/);
    const audited = await t.platform.db
      .selectFrom('audit_logs')
      .select(['action', 'entity'])
      .where('entity_id', '=', copy.id)
      .where('action', '=', 'doctor.verification_reset')
      .execute();
    expect(audited).toEqual([{ action: 'doctor.verification_reset', entity: 'doctor' }]);
  });
});

describe('an admin’s appointment list carries no free text', () => {
  it('parties read their reason in the list; an admin reads it only on the appointment, and that read is audited', async () => {
    const kit = bookingKit(t, admin);
    const { doctor, slots } = await kit.doctorWithSlots(1);
    const patient = await signUp(t);
    const reason = 'Knee pain since Monday, worse at night';
    const booked = await kit.call(patient.accessToken, 'POST', '/appointments', {
      slotId: slots[0]!.id,
      reason,
    });
    expect(booked.statusCode, booked.body).toBe(201);
    const id = booked.json().id;
    const listed = async (who: Account) =>
      (await kit.call(who.accessToken, 'GET', '/appointments', undefined, null))
        .json()
        .items.find((a: { id: string }) => a.id === id);
    const reads = async () =>
      (
        await t.platform.db
          .selectFrom('audit_logs')
          .select(['actor_id', 'actor_role'])
          .where('entity_id', '=', id)
          .where('action', '=', 'appointment.read')
          .execute()
      ).map((r) => [r.actor_id, r.actor_role]);

    expect(await listed(patient)).toMatchObject({ reason });
    expect(await listed(doctor)).toMatchObject({ reason });
    expect((await kit.appointment(patient, id)).reason).toBe(reason);
    expect(await reads()).toEqual([]); // the parties' own

    const inAdminList = await listed(admin);
    expect(inAdminList).toMatchObject({ id, patientId: patient.id, status: 'pending_payment' });
    expect(inAdminList).not.toHaveProperty('reason');
    expect(inAdminList).not.toHaveProperty('cancelReason');
    expect(JSON.stringify(inAdminList)).not.toContain('Knee');

    expect((await kit.appointment(admin, id)).reason).toBe(reason);
    expect(await reads()).toEqual([[admin.id, 'admin']]);
  });
});

describe('a process’s own limits', () => {
  it('API_DOCS=off serves no documents (the API is unchanged)', async () => {
    for (const url of ['/api-docs', '/api-docs/', '/api-docs/openapi.json', '/api-docs/asyncapi.json']) {
      expect((await t.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('one process holds at most WS_MAX_CONNECTIONS sockets; one more closes with 1013', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const doctor = await createDoctor(t, admin);
    const port = (t.app.server.address() as { port: number }).port;
    const url = `ws://127.0.0.1:${port}/api/v1/ws/availability?doctorId=${doctor.id}`;
    const held = connectWs(url);
    await held.next((m) => m.type === 'ready');
    expect((await connectWs(url).closed).code).toBe(1013);
    const refused = await t.platform.metrics.registry
      .getSingleMetric('availability_sockets_refused_total')
      ?.get();
    expect(refused?.values).toEqual([{ labels: { reason: 'total' }, value: 1 }]);
    held.close();
  });
});
