import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
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
import { connectWs } from './helpers/ws.ts';

// Time zones here come from each schedule, never from the process: `npm test` runs this file with
// TZ=UTC, Asia/Kolkata and America/New_York and the answers must not change.
let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' }); // a Sunday
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const kolkataMondays = {
  timezone: 'Asia/Kolkata',
  rules: [{ weekday: 1, start: '09:00', end: '11:00', slotMinutes: 30, mode: 'video' }],
  horizonDays: 14,
};
const putSchedule = (who: Account, body: object) =>
  t.inject({
    method: 'PUT',
    url: '/api/v1/doctors/me/schedule',
    headers: bearer(who.accessToken),
    payload: body,
  });
const openSlots = async (
  doctorId: string,
  query = 'from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z',
  headers = {},
) => {
  const res = await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctorId}/slots?${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Array<{
    id: string;
    startsAt: string;
    endsAt: string;
    mode: string;
    status: string;
  }>;
};
const addSlots = (who: Account, slots: object[]) =>
  t.inject({
    method: 'POST',
    url: '/api/v1/doctors/me/slots',
    headers: bearer(who.accessToken),
    payload: { slots },
  });
const setStatus = (id: string, status: string) =>
  sql`UPDATE slots SET status = ${status}, held_until = CASE WHEN ${status} = 'held' THEN now() + interval '10 minutes' END WHERE id = ${id}`.execute(
    t.platform.db,
  );

describe('weekly schedule → slots', () => {
  it('materialises slots in the doctor’s zone and regenerates idempotently', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    const first = await putSchedule(doctor, kolkataMondays);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      added: 8,
      removed: 0,
      schedule: { bufferMinutes: 0, minNoticeMinutes: 0, horizonDays: 14 },
    });
    const slots = await openSlots(doctor.id);
    expect(slots.map((s) => s.startsAt)).toEqual([
      '2026-03-02T03:30:00.000Z',
      '2026-03-02T04:00:00.000Z',
      '2026-03-02T04:30:00.000Z',
      '2026-03-02T05:00:00.000Z',
      '2026-03-09T03:30:00.000Z',
      '2026-03-09T04:00:00.000Z',
      '2026-03-09T04:30:00.000Z',
      '2026-03-09T05:00:00.000Z',
    ]);
    expect(slots[0]).toMatchObject({ endsAt: '2026-03-02T04:00:00.000Z', mode: 'video', status: 'open' });
    expect((await putSchedule(doctor, kolkataMondays)).json()).toMatchObject({ added: 0, removed: 0 });
    const got = await t.inject({
      method: 'GET',
      url: '/api/v1/doctors/me/schedule',
      headers: bearer(doctor.accessToken),
    });
    expect(got.json()).toMatchObject(kolkataMondays);
  });

  it('a changed schedule keeps held and booked slots and changes only open ones', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    await putSchedule(doctor, kolkataMondays);
    const [a, b] = await openSlots(doctor.id);
    await setStatus(a!.id, 'booked'); // 09:00 IST
    await setStatus(b!.id, 'held'); // 09:30 IST
    await t.services.feed.changed(doctor.id);
    const moved = await putSchedule(doctor, {
      ...kolkataMondays,
      rules: [{ weekday: 1, start: '09:30', end: '12:30', slotMinutes: 60, mode: 'audio' }],
    });
    expect(moved.statusCode).toBe(200);
    const rows = await t.platform.db
      .selectFrom('slots')
      .selectAll()
      .where('doctor_id', '=', doctor.id)
      .orderBy('starts_at')
      .execute();
    const summary = rows.map((r) => `${r.starts_at.toISOString().slice(5, 16)} ${r.status} ${r.mode}`);
    expect(summary).toEqual([
      '03-02T03:30 booked video', // kept
      '03-02T04:00 held video', // kept; the new 09:30 slot would overlap it
      '03-02T05:00 open audio', // 10:30 IST
      '03-02T06:00 open audio', // 11:30 IST
      '03-09T04:00 open audio',
      '03-09T05:00 open audio',
      '03-09T06:00 open audio',
    ]);
    expect(moved.json()).toMatchObject({ removed: 6, added: 5 });
  });

  it('Europe/London across the spring DST change yields exactly the expected instants', async () => {
    t.clock.set('2026-03-27T12:00:00Z');
    const doctor = await createDoctor(t, admin, { timezone: 'Europe/London' });
    const res = await putSchedule(doctor, {
      timezone: 'Europe/London',
      rules: [
        { weekday: 7, start: '00:30', end: '03:30', slotMinutes: 30, mode: 'video' },
        { weekday: 1, start: '09:00', end: '10:00', slotMinutes: 60, mode: 'video' },
      ],
      horizonDays: 4,
    });
    expect(res.statusCode).toBe(200);
    const slots = await openSlots(doctor.id, 'from=2026-03-27T00:00:00Z&to=2026-04-05T00:00:00Z');
    expect(slots.map((s) => s.startsAt)).toEqual([
      '2026-03-29T00:30:00.000Z', // 00:30 GMT
      '2026-03-29T01:00:00.000Z', // 02:00 BST: 01:00–02:00 never happened
      '2026-03-29T01:30:00.000Z',
      '2026-03-29T02:00:00.000Z',
      '2026-03-30T08:00:00.000Z', // Monday 09:00 BST
    ]);
  });

  it('changing the schedule while a slot is in progress neither fails nor overlaps it', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    await putSchedule(doctor, kolkataMondays);
    t.clock.set('2026-03-02T04:05:00Z'); // 09:35 IST: the 09:30 slot is running
    const res = await putSchedule(
      { ...doctor, accessToken: await freshToken(t, doctor) },
      {
        ...kolkataMondays,
        rules: [{ ...kolkataMondays.rules[0], slotMinutes: 20 }],
      },
    );
    expect(res.statusCode, res.body).toBe(200);
    const rows = await t.platform.db
      .selectFrom('slots')
      .select(['starts_at', 'ends_at'])
      .where('doctor_id', '=', doctor.id)
      .orderBy('starts_at')
      .execute();
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.starts_at >= rows[i - 1]!.ends_at).toBe(true);
  });

  it('respects minNoticeMinutes and never lists past slots', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    await putSchedule(doctor, { ...kolkataMondays, minNoticeMinutes: 120 });
    t.clock.set('2026-03-02T02:00:00Z'); // 07:30 IST
    const slots = await openSlots(doctor.id);
    // 09:00 IST is 90 minutes away (inside the notice); 09:30 IST is 2 h 0 min away; 10:00 on.
    expect(slots.map((s) => s.startsAt).slice(0, 2)).toEqual([
      '2026-03-02T04:30:00.000Z',
      '2026-03-02T05:00:00.000Z',
    ]);
    t.clock.set('2026-03-02T05:10:00Z');
    expect((await openSlots(doctor.id)).every((s) => s.startsAt > '2026-03-02T07:10:00.000Z')).toBe(true);
  });

  it('booking a slot inside the notice is 409 SLOT_TOO_SOON, one that started 409 SLOT_IN_PAST, each saying why', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    await putSchedule(doctor, { ...kolkataMondays, minNoticeMinutes: 120 });
    t.clock.set('2026-03-02T02:00:00Z'); // 07:30 IST; the 09:00 IST slot starts in 90 minutes
    const slotAt = async (iso: string) =>
      (
        await t.platform.db
          .selectFrom('slots')
          .select('id')
          .where('doctor_id', '=', doctor.id)
          .where('starts_at', '=', new Date(iso))
          .executeTakeFirstOrThrow()
      ).id;
    const book = async (slotId: string) =>
      t.inject({
        method: 'POST',
        url: '/api/v1/appointments',
        headers: { ...bearer((await signUp(t)).accessToken), 'idempotency-key': randomUUID() },
        payload: { slotId },
      });
    const soon = await book(await slotAt('2026-03-02T03:30:00Z'));
    expect(soon.statusCode).toBe(409);
    expect(soon.json()).toMatchObject({
      code: 'SLOT_TOO_SOON',
      detail: expect.stringContaining('until 120 minutes before the start'),
    });
    t.clock.set('2026-03-02T03:45:00Z');
    const started = await book(await slotAt('2026-03-02T03:30:00Z'));
    expect(started.json()).toMatchObject({
      code: 'SLOT_IN_PAST',
      detail: expect.stringContaining('started at'),
    });
  });

  it('the daily job extends the horizon and leaves the past alone', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    const daily = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
      weekday,
      start: '09:00',
      end: '10:00',
      slotMinutes: 60,
      mode: 'video',
    }));
    await putSchedule(doctor, { timezone: 'Asia/Kolkata', rules: daily, horizonDays: 7 });
    const count = async () =>
      Number(
        (
          await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM slots WHERE doctor_id = ${doctor.id}`.execute(t.platform.db)
        ).rows[0]!.n,
      );
    expect(await count()).toBe(7);
    t.clock.set('2026-03-04T00:00:00Z');
    const result = await t.services.availability.extendHorizons();
    expect(result.added).toBeGreaterThanOrEqual(3);
    expect(await count()).toBe(10); // 3 past days kept + 7 ahead
    expect((await t.services.availability.extendHorizons()).added).toBe(0);
  });

  it('validates schedules: overlapping windows, end before start, unknown zone, mode not offered, no profile', async () => {
    const doctor = await createDoctor(t, admin, { modes: ['video'] });
    const bad = [
      {
        ...kolkataMondays,
        rules: [
          ...kolkataMondays.rules,
          { weekday: 1, start: '10:30', end: '12:00', slotMinutes: 30, mode: 'video' },
        ],
      },
      {
        ...kolkataMondays,
        rules: [{ weekday: 1, start: '11:00', end: '09:00', slotMinutes: 30, mode: 'video' }],
      },
      {
        ...kolkataMondays,
        rules: [{ weekday: 8, start: '09:00', end: '10:00', slotMinutes: 30, mode: 'video' }],
      },
      {
        ...kolkataMondays,
        rules: [{ weekday: 1, start: '9am', end: '10:00', slotMinutes: 30, mode: 'video' }],
      },
      { ...kolkataMondays, timezone: 'India/Delhi' },
      { ...kolkataMondays, horizonDays: 365 },
      {
        ...kolkataMondays,
        overrides: [
          { date: '2026-03-02', unavailable: true },
          { date: '2026-03-02', start: '09:00', end: '10:00', slotMinutes: 30, mode: 'video' },
        ],
      },
    ];
    for (const body of bad)
      expect((await putSchedule(doctor, body)).statusCode, JSON.stringify(body)).toBe(400);
    const mode = await putSchedule(doctor, {
      ...kolkataMondays,
      rules: [{ ...kolkataMondays.rules[0], mode: 'chat' }],
    });
    expect(mode.json().code).toBe('MODE_NOT_OFFERED');
    const fresh = await signUp(t, 'doctor');
    const noProfile = await putSchedule(fresh, kolkataMondays);
    expect(noProfile.statusCode).toBe(409);
    expect(noProfile.json().code).toBe('PROFILE_REQUIRED');
  });
});

describe('one time zone per doctor: the profile’s', () => {
  const patch = (who: Account, body: object) =>
    t.inject({ method: 'PATCH', url: '/api/v1/doctors/me', headers: bearer(who.accessToken), payload: body });

  it('a schedule without a zone is in the profile’s; another zone is 409 TIMEZONE_MISMATCH and changes nothing', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin, { timezone: 'Asia/Kolkata' });
    const { timezone: _, ...zoneless } = kolkataMondays;
    const res = await putSchedule(doctor, zoneless);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().schedule.timezone).toBe('Asia/Kolkata');
    expect((await openSlots(doctor.id))[0]!.startsAt).toBe('2026-03-02T03:30:00.000Z'); // 09:00 IST

    const other = await putSchedule(doctor, { ...zoneless, timezone: 'Europe/London', horizonDays: 7 });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'TIMEZONE_MISMATCH' });
    expect(other.json().detail).toContain('Asia/Kolkata');
    const stored = await t.inject({
      method: 'GET',
      url: '/api/v1/doctors/me/schedule',
      headers: bearer(doctor.accessToken),
    });
    expect(stored.json()).toMatchObject({ timezone: 'Asia/Kolkata', horizonDays: 14 });
  });

  it('a new zone on the profile moves the schedule’s open slots to it; booked ones stay; lists say the new zone', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin, { timezone: 'Asia/Kolkata' });
    expect((await putSchedule(doctor, kolkataMondays)).statusCode).toBe(200);
    const before = await openSlots(doctor.id);
    await setStatus(before[0]!.id, 'booked');

    const moved = await patch(doctor, { timezone: 'Europe/London' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().timezone).toBe('Europe/London');
    const res = await t.inject({
      method: 'GET',
      url: `/api/v1/doctors/${doctor.id}/slots?from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z`,
    });
    expect(res.json().timezone).toBe('Europe/London');
    // Mondays 09:00–11:00 London time (GMT until 29 March, then BST).
    expect(res.json().items.map((s: { startsAt: string }) => s.startsAt)).toEqual([
      '2026-03-02T09:00:00.000Z',
      '2026-03-02T09:30:00.000Z',
      '2026-03-02T10:00:00.000Z',
      '2026-03-02T10:30:00.000Z',
      '2026-03-09T09:00:00.000Z',
      '2026-03-09T09:30:00.000Z',
      '2026-03-09T10:00:00.000Z',
      '2026-03-09T10:30:00.000Z',
    ]);
    const kept = await sql<{ status: string }>`SELECT status FROM slots WHERE id = ${before[0]!.id}`.execute(
      t.platform.db,
    );
    expect(kept.rows[0]?.status).toBe('booked');
    const schedule = await t.inject({
      method: 'GET',
      url: '/api/v1/doctors/me/schedule',
      headers: bearer(doctor.accessToken),
    });
    expect(schedule.json().timezone).toBe('Europe/London');
  });
});

describe('single slots', () => {
  it('follow the schedule’s rules: not inside its booking notice, not beyond its horizon (30 days without one)', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const loose = await createDoctor(t, admin);
    const far = await addSlots(loose, [
      { startsAt: '3000-01-01T10:00:00Z', endsAt: '3000-01-01T10:30:00Z', mode: 'video' },
    ]);
    expect(far.statusCode).toBe(400);
    expect(far.json()).toMatchObject({
      code: 'SLOT_BEYOND_HORIZON',
      errors: [{ path: 'body.slots.0.startsAt' }],
    });
    const doctor = await createDoctor(t, admin);
    await putSchedule(doctor, { ...kolkataMondays, minNoticeMinutes: 120 });
    const soon = await addSlots(doctor, [
      { startsAt: '2026-03-01T00:01:10Z', endsAt: '2026-03-01T00:31:10Z', mode: 'video' },
    ]);
    expect(soon.statusCode).toBe(400);
    expect(soon.json()).toMatchObject({
      code: 'SLOT_TOO_SOON',
      detail: expect.stringContaining('120 minutes'),
    });
    const fine = await addSlots(doctor, [
      { startsAt: '2026-03-01T03:00:00Z', endsAt: '2026-03-01T03:30:00Z', mode: 'video' },
    ]);
    expect(fine.statusCode).toBe(201);
  });

  it('adds slots all-or-nothing; overlaps → 409 SLOT_OVERLAP; past → 400; lengths 5–240 min', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    const ok = await addSlots(doctor, [
      { startsAt: '2026-03-05T10:00:00+05:30', endsAt: '2026-03-05T10:30:00+05:30', mode: 'chat' },
      { startsAt: '2026-03-05T10:30:00+05:30', endsAt: '2026-03-05T11:00:00+05:30', mode: 'audio' },
    ]);
    expect(ok.statusCode).toBe(201);
    expect(ok.json().items.map((s: { startsAt: string }) => s.startsAt)).toEqual([
      '2026-03-05T04:30:00.000Z',
      '2026-03-05T05:00:00.000Z',
    ]);
    const overlap = await addSlots(doctor, [
      { startsAt: '2026-03-06T10:00:00+05:30', endsAt: '2026-03-06T10:30:00+05:30', mode: 'chat' },
      { startsAt: '2026-03-05T10:15:00+05:30', endsAt: '2026-03-05T10:45:00+05:30', mode: 'chat' },
    ]);
    expect(overlap.statusCode).toBe(409);
    expect(overlap.json().code).toBe('SLOT_OVERLAP');
    expect((await openSlots(doctor.id)).map((s) => s.startsAt)).toEqual([
      '2026-03-05T04:30:00.000Z',
      '2026-03-05T05:00:00.000Z',
    ]);
    const within = await addSlots(doctor, [
      { startsAt: '2026-03-07T10:00:00Z', endsAt: '2026-03-07T11:00:00Z', mode: 'chat' },
      { startsAt: '2026-03-07T10:30:00Z', endsAt: '2026-03-07T11:30:00Z', mode: 'chat' },
    ]);
    expect(within.json().code).toBe('SLOT_OVERLAP');
    const past = await addSlots(doctor, [
      { startsAt: '2026-02-28T10:00:00Z', endsAt: '2026-02-28T10:30:00Z', mode: 'chat' },
    ]);
    expect(past.json().code).toBe('SLOT_IN_PAST');
    for (const [start, end] of [
      ['2026-03-08T10:00:00Z', '2026-03-08T10:04:00Z'],
      ['2026-03-08T10:00:00Z', '2026-03-08T14:01:00Z'],
      ['2026-03-08T10:00:00Z', '2026-03-08T09:00:00Z'],
    ]) {
      expect((await addSlots(doctor, [{ startsAt: start, endsAt: end, mode: 'chat' }])).statusCode).toBe(400);
    }
  });

  it('100 concurrent overlapping inserts for one doctor: exactly one wins, the rest 409', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    const base = Date.parse('2026-03-10T06:00:00Z');
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        addSlots(doctor, [
          {
            startsAt: new Date(base + i * 1000).toISOString(),
            endsAt: new Date(base + i * 1000 + 30 * 60_000).toISOString(),
            mode: 'video',
          },
        ]),
      ),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(99);
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'SLOT_OVERLAP')).toBe(
      true,
    );
  });

  it('the database itself refuses overlapping slots for one doctor', async () => {
    const doctor = await createDoctor(t, admin);
    const insert = (start: string, end: string) =>
      sql`INSERT INTO slots (doctor_id, starts_at, ends_at, mode, source) VALUES (${doctor.id}, ${start}, ${end}, 'video', 'manual')`.execute(
        t.platform.db,
      );
    await insert('2026-04-01T10:00:00Z', '2026-04-01T10:30:00Z');
    await expect(insert('2026-04-01T10:29:00Z', '2026-04-01T11:00:00Z')).rejects.toMatchObject({
      code: '23P01',
    });
    await expect(insert('2026-04-01T12:00:00Z', '2026-04-01T11:00:00Z')).rejects.toMatchObject({
      code: '23514',
    });
    await expect(insert('2026-04-01T12:00:00Z', '2026-04-01T16:01:00Z')).rejects.toMatchObject({
      code: '23514',
    });
    await expect(
      sql`UPDATE slots SET status = 'cancelled' WHERE doctor_id = ${doctor.id}`.execute(t.platform.db),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('deletes only own open slots: booked → 409, another doctor’s → 404, a patient → 403', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    const other = await createDoctor(t, admin);
    const patient = await signUp(t);
    const [open, booked] = (
      await addSlots(doctor, [
        { startsAt: '2026-03-11T10:00:00Z', endsAt: '2026-03-11T10:30:00Z', mode: 'video' },
        { startsAt: '2026-03-11T11:00:00Z', endsAt: '2026-03-11T11:30:00Z', mode: 'video' },
      ])
    ).json().items;
    await setStatus(booked.id, 'booked');
    const del = (who: Account, id: string) =>
      t.inject({ method: 'DELETE', url: `/api/v1/doctors/me/slots/${id}`, headers: bearer(who.accessToken) });
    expect((await del(other, open.id)).statusCode).toBe(404);
    expect((await del(patient, open.id)).statusCode).toBe(403);
    const conflict = await del(doctor, booked.id);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('SLOT_NOT_OPEN');
    expect((await del(doctor, open.id)).statusCode).toBe(204);
    expect((await openSlots(doctor.id)).find((s) => s.id === open.id)).toBeUndefined();
    expect((await del(doctor, open.id)).statusCode).toBe(404);
  });
});

describe('reading slots', () => {
  it('an unverified doctor is 404 to the public; its schedule makes slots once it is verified', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin, {}, false);
    expect((await putSchedule(doctor, kolkataMondays)).json()).toMatchObject({ added: 0 });
    const res = await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots` });
    expect(res.statusCode).toBe(404);
    expect(await openSlots(doctor.id, undefined, bearer(doctor.accessToken))).toEqual([]);
    const verified = await t.inject({
      method: 'POST',
      url: `/api/v1/admin/doctors/${doctor.id}/verify`,
      headers: bearer(await freshToken(t, admin)),
      payload: { status: 'verified' },
    });
    expect(verified.statusCode).toBe(200);
    expect(await openSlots(doctor.id)).toHaveLength(8);
  });

  it('ranges: at most 31 days, `to` after `from`, ISO instants', async () => {
    const doctor = await createDoctor(t, admin);
    const get = (q: string) => t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots?${q}` });
    expect((await get('from=2026-03-01T00:00:00Z&to=2026-04-02T00:00:00Z')).json().code).toBe(
      'RANGE_TOO_LARGE',
    );
    expect((await get('from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z')).json().code).toBe(
      'INVALID_RANGE',
    );
    expect((await get('from=yesterday')).statusCode).toBe(400);
    expect((await get('from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z')).statusCode).toBe(200);
  });

  it('serves reads from the cache and drops the cache on every slot change', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    await putSchedule(doctor, kolkataMondays);
    const before = await openSlots(doctor.id);
    // A change that bypasses the service is not seen: the read came from the cache...
    await setStatus(before[0]!.id, 'booked');
    expect((await openSlots(doctor.id)).map((s) => s.id)).toContain(before[0]!.id);
    // ...and the change notification (what every write path sends after commit) invalidates it.
    await t.services.feed.changed(doctor.id);
    expect((await openSlots(doctor.id)).map((s) => s.id)).not.toContain(before[0]!.id);
  });
});

describe('two API instances on one PostgreSQL and Redis', () => {
  let b: TestApp;
  let port: number;
  beforeAll(async () => {
    b = await startTestApp({ shareWith: t });
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    port = (b.app.server.address() as { port: number }).port;
  });
  afterAll(() => b.close());

  it('a slot change on A reaches a WebSocket client of B within 1 s, and B’s cached list is invalidated', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    await putSchedule(doctor, kolkataMondays);
    // The id in capitals subscribes to the same doctor (ids are normalised before they become keys).
    const ws = connectWs(`ws://127.0.0.1:${port}/api/v1/ws/availability?doctorId=${doctor.id.toUpperCase()}`);
    expect(await ws.next((m) => m.type === 'ready')).toMatchObject({ doctorId: doctor.id });
    const cachedOnB = await b.inject({
      method: 'GET',
      url: `/api/v1/doctors/${doctor.id}/slots?from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z`,
    });
    const victim = cachedOnB.json().items[0];

    const started = Date.now();
    const del = await t.inject({
      method: 'DELETE',
      url: `/api/v1/doctors/me/slots/${victim.id}`,
      headers: bearer(doctor.accessToken),
    });
    expect(del.statusCode).toBe(204);
    const event = await ws.next((m) => m.type === 'slot.removed', 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(event).toMatchObject({ slot: { id: victim.id, status: 'open' } });

    const afterOnB = await b.inject({
      method: 'GET',
      url: `/api/v1/doctors/${doctor.id}/slots?from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z`,
    });
    expect(afterOnB.json().items.map((s: { id: string }) => s.id)).not.toContain(victim.id);

    const added = await addSlots(doctor, [
      { startsAt: '2026-03-12T10:00:00Z', endsAt: '2026-03-12T10:30:00Z', mode: 'chat' },
    ]);
    const created = await ws.next((m) => m.type === 'slot.updated', 1000);
    expect(created).toMatchObject({ slot: { id: added.json().items[0].id, status: 'open', mode: 'chat' } });
    ws.close();
  });

  it('an unknown or unverified doctor closes the socket with 4404', async () => {
    const unverified = await createDoctor(t, admin, {}, false);
    for (const id of [unverified.id, '00000000-0000-4000-8000-000000000000']) {
      const ws = connectWs(`ws://127.0.0.1:${port}/api/v1/ws/availability?doctorId=${id}`);
      expect((await ws.closed).code).toBe(4404);
    }
  });

  it('closes live sockets with 1001 when the instance shuts down', async () => {
    const c = await startTestApp({ shareWith: t });
    await c.app.listen({ port: 0, host: '127.0.0.1' });
    const cPort = (c.app.server.address() as { port: number }).port;
    const doctor = await createDoctor(t, admin);
    const ws = connectWs(`ws://127.0.0.1:${cPort}/api/v1/ws/availability?doctorId=${doctor.id}`);
    await ws.next((m) => m.type === 'ready');
    await c.close();
    expect((await ws.closed).code).toBe(1001);
  });
});
