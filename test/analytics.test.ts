import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  bearer,
  createDoctor,
  freshToken,
  signUp,
  startTestApp,
  type TestApp,
} from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// Issue 10, item 2, through HTTP: a doctor's day of bookings (paid, cancelled after payment, an
// unpaid hold that lapsed) as the overview, the doctor table and the CSV show it once the rollups
// caught up; paging; bad input; who may read. The property test (analytics-property.test.ts)
// proves the figures equal the raw recomputation in general.

async function scenario(t: TestApp) {
  const admin = await signUp(t, 'admin');
  const kit = bookingKit(t, admin);
  const { doctor, slots } = await kit.doctorWithSlots(3, { feeMinor: 50_000, hoursAhead: 72 });
  const patients = [await signUp(t), await signUp(t), await signUp(t)];
  const paid = async (patient: Account, slotId: string) => {
    const res = await kit.book(patient, slotId);
    expect(res.statusCode, res.body).toBe(201);
    const appointment = res.json();
    await kit.checkout(patient, appointment.payment.id);
    expect((await kit.pay(patient, appointment.payment.id, 'succeed')).statusCode).toBe(200);
    return appointment.id as string;
  };
  await paid(patients[0]!, slots[0]!.id);
  const cancelled = await paid(patients[1]!, slots[1]!.id);
  const cancel = await kit.call(patients[1]!.accessToken, 'POST', `/appointments/${cancelled}/cancel`, {
    reason: 'Travelling',
  });
  expect(cancel.statusCode, cancel.body).toBe(200);
  expect((await kit.book(patients[2]!, slots[2]!.id)).statusCode).toBe(201);
  t.clock.advance(11 * 60_000);
  await t.services.appointments.expireHolds();
  admin.accessToken = await freshToken(t, admin);
  return { admin, doctor };
}

const get = (t: TestApp, token: string | null, url: string) =>
  t.inject({ method: 'GET', url: `/api/v1${url}`, headers: token ? bearer(token) : {} });

const DAY = 'from=2026-03-04&to=2026-03-04&tz=Asia/Kolkata';
const expectedDay = {
  appointments: {
    pending_payment: 0,
    confirmed: 1,
    in_progress: 0,
    completed: 0,
    cancelled: 1,
    expired: 1,
    no_show: 0,
  },
  booked: 2,
  cancellationRate: 0.5,
  noShowRate: null,
  revenue: [{ currency: 'INR', capturedMinor: 100_000, refundedMinor: 50_000, netMinor: 50_000 }],
};

describe('analytics on PostgreSQL', () => {
  let t: TestApp;
  let admin: Account;
  let doctor: Account;
  beforeAll(async () => {
    t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
    ({ admin, doctor } = await scenario(t));
  });
  afterAll(() => t.close());

  it('says what is not in yet, then shows the day once the rollups caught up (two refreshers at once)', async () => {
    const before = (await get(t, admin.accessToken, `/admin/analytics/overview?${DAY}`)).json();
    expect(before.pendingChanges).toBeGreaterThan(0);
    await Promise.all([t.services.analytics.refresh(), t.services.analytics.refresh()]);
    const res = await get(t, admin.accessToken, `/admin/analytics/overview?${DAY}`);
    expect(res.statusCode, res.body).toBe(200);
    const overview = res.json();
    expect(overview).toMatchObject({
      ...expectedDay,
      from: '2026-03-04',
      to: '2026-03-04',
      pendingChanges: 0,
    });
    expect(overview.averageLeadHours).toBe(72.5); // booked at once for 72 h and 73 h ahead
    expect(overview.days).toEqual([
      {
        date: '2026-03-04',
        appointments: expectedDay.appointments,
        booked: 2,
        newPatients: 0,
        revenue: expectedDay.revenue,
      },
    ]);
    // The patients signed up on 1 March (UTC midnight is 05:30 in Kolkata).
    const week = (
      await get(t, admin.accessToken, '/admin/analytics/overview?from=2026-02-28&to=2026-03-06')
    ).json();
    expect(week.days).toHaveLength(7);
    expect(week.newPatients).toBe(3);
    expect(week.days.find((d: { date: string }) => d.date === '2026-03-01').newPatients).toBe(3);
    // In Los Angeles the consultations are on the 3rd.
    const la = (
      await get(
        t,
        admin.accessToken,
        '/admin/analytics/overview?from=2026-03-03&to=2026-03-03&tz=America/Los_Angeles',
      )
    ).json();
    expect(la.booked).toBe(2);
  });

  it('the doctor table: slots, utilization, outcomes, revenue; top specializations', async () => {
    await t.services.analytics.refresh();
    const res = await get(t, admin.accessToken, `/admin/analytics/doctors?${DAY}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.items[0]).toMatchObject({
      doctorId: doctor.id,
      slotsOffered: 3,
      slotsBooked: 1,
      utilization: 0.3333,
      booked: 2,
      completed: 0,
      noShows: 0,
      cancelled: 1,
      revenueMinor: 50_000,
      rating: { average: 0, count: 0 },
    });
    expect(body.topSpecializations[0]).toEqual({
      specialization: 'kayachikitsa',
      doctors: 1,
      booked: 2,
      completed: 0,
      revenueMinor: 50_000,
    });
  });

  it('pages through every verified doctor by any sort, each once; the CSV has them all in that order', async () => {
    for (const name of ['=HYPERLINK("http://x")', 'Asha, "Vaidya"', 'Zoya']) {
      const d = await createDoctor(t, admin);
      const patch = await t.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: bearer(d.accessToken),
        payload: { name },
      });
      expect(patch.statusCode, patch.body).toBe(200);
    }
    admin.accessToken = await freshToken(t, admin);
    for (const sort of ['name', 'revenue', 'utilization']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await get(
          t,
          admin.accessToken,
          `/admin/analytics/doctors?${DAY}&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.statusCode, page.body).toBe(200);
        seen.push(...page.json().items.map((i: { doctorId: string }) => i.doctorId));
        cursor = page.json().nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(4);
      expect(new Set(seen).size).toBe(4);
      if (sort === 'revenue') expect(seen[0]).toBe(doctor.id);
      const csv = await get(t, admin.accessToken, `/admin/analytics/export.csv?${DAY}&sort=${sort}`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe(
        'attachment; filename="amrutam-doctors-2026-03-04-to-2026-03-04.csv"',
      );
      const lines = csv.body.trimEnd().split('\r\n');
      expect(lines[0]).toMatch(/^doctor_id,name,specializations,slots_offered,/);
      expect(lines.slice(1).map((l) => l.slice(0, 36))).toEqual(seen);
    }
    const csv = (await get(t, admin.accessToken, `/admin/analytics/export.csv?${DAY}&sort=name`)).body;
    expect(csv).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(csv).toContain(`,"Asha, ""Vaidya""",`);
    expect(csv).toContain(`${doctor.id},Test doctor,kayachikitsa,3,1,0.3333,2,0,0,1,50000,INR,0,0\r\n`);
  });

  it('refuses bad input with 400 problem+json naming the parameter', async () => {
    const cases: Array<[string, string, string]> = [
      ['from=2026-03-05&to=2026-03-04', 'INVALID_RANGE', 'querystring.to'],
      ['from=2025-03-01&to=2026-03-02', 'RANGE_TOO_LARGE', 'querystring.to'],
      ['tz=Mars/Olympus_Mons', 'VALIDATION_FAILED', 'querystring.tz'],
      ['tz=Asia/Kolkata%27--', 'VALIDATION_FAILED', 'querystring.tz'],
      ['from=2026-02-30', 'VALIDATION_FAILED', 'querystring.from'],
      ['from=1850-01-01', 'VALIDATION_FAILED', 'querystring.from'],
      ['days=3', 'VALIDATION_FAILED', 'querystring.days'],
    ];
    for (const [query, code, path] of cases) {
      for (const route of ['overview', 'doctors', 'export.csv']) {
        const res = await get(t, admin.accessToken, `/admin/analytics/${route}?${query}`);
        expect(res.statusCode, `${route}?${query}: ${res.body}`).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code });
        expect(res.json().errors?.[0]?.path ?? path).toBe(path);
      }
    }
    const sort = await get(t, admin.accessToken, '/admin/analytics/doctors?sort=fees');
    expect(sort.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'querystring.sort' }] });
    const byName = (
      await get(t, admin.accessToken, `/admin/analytics/doctors?${DAY}&sort=name&limit=1`)
    ).json();
    for (const cursor of ['bm90LWpzb24', byName.nextCursor]) {
      const res = await get(
        t,
        admin.accessToken,
        `/admin/analytics/doctors?${DAY}&sort=revenue&cursor=${cursor}`,
      );
      expect(res.json()).toMatchObject({ code: 'INVALID_CURSOR' });
    }
  });

  it('is for admins only', async () => {
    const patient = await signUp(t);
    for (const route of ['overview', 'doctors', 'export.csv']) {
      expect((await get(t, null, `/admin/analytics/${route}`)).statusCode).toBe(401);
      expect((await get(t, patient.accessToken, `/admin/analytics/${route}`)).json()).toMatchObject({
        code: 'FORBIDDEN',
      });
      expect((await get(t, doctor.accessToken, `/admin/analytics/${route}`)).statusCode).toBe(403);
    }
  });
});

describe('analytics in embedded mode', () => {
  let t: TestApp;
  afterAll(() => t.close());
  it('keeps the same figures on PGlite, refreshed by the job as in the server', async () => {
    t = await startTestApp({ mode: 'embedded', clockStart: '2026-03-01T00:00:00Z' });
    const { admin } = await scenario(t);
    await t.services.analytics.refresh();
    const overview = (await get(t, admin.accessToken, `/admin/analytics/overview?${DAY}`)).json();
    expect(overview).toMatchObject({ ...expectedDay, pendingChanges: 0 });
    const doctors = (await get(t, admin.accessToken, `/admin/analytics/doctors?${DAY}`)).json();
    expect(doctors.items[0]).toMatchObject({
      slotsOffered: 3,
      slotsBooked: 1,
      booked: 2,
      revenueMinor: 50_000,
    });
  });
});
