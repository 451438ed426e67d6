import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
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

// Slots under concurrency and at the edges: schedules racing bookings, huge schedules, the
// in-process read model (what it serves, how fast a change reaches it), ids in any letter case.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' }); // a Sunday
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const mondays = (slotMinutes: number) => ({
  timezone: 'Asia/Kolkata',
  rules: [{ weekday: 1, start: '09:00', end: '11:00', slotMinutes, mode: 'video' }],
  horizonDays: 14,
});
const putSchedule = (who: Account, body: object) =>
  t.inject({
    method: 'PUT',
    url: '/api/v1/doctors/me/schedule',
    headers: bearer(who.accessToken),
    payload: body,
  });
const listed = async (
  app: TestApp,
  doctorId: string,
  query = 'from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z',
) => {
  const res = await app.inject({ method: 'GET', url: `/api/v1/doctors/${doctorId}/slots?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as Array<{ id: string; startsAt: string }>).map((s) => s.id);
};
const doctorSlots = (doctorId: string) =>
  t.platform.db
    .selectFrom('slots')
    .select(['id', 'starts_at', 'ends_at', 'status'])
    .where('doctor_id', '=', doctorId)
    .orderBy('starts_at')
    .execute();

/** A pg session of its own, to hold locks while the app works. */
async function session() {
  const client = new pg.Client({ connectionString: t.platform.config.databaseUrl });
  await client.connect();
  return client;
}

describe('schedules and bookings at the same moment', () => {
  it('a booking that claims a slot the new schedule drops keeps it, and nothing overlaps it (no 500)', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin);
    expect((await putSchedule(doctor, mondays(30))).statusCode).toBe(200);
    const [first] = await doctorSlots(doctor.id);
    const booker = await session();
    let regenerate: ReturnType<typeof putSchedule> | undefined;
    try {
      // A booking holds the 09:00 slot, not yet committed, while the doctor switches to 60-minute slots.
      await booker.query('BEGIN');
      await booker.query(`UPDATE slots SET status = 'held', held_until = now() WHERE id = $1`, [first!.id]);
      regenerate = putSchedule(doctor, mondays(60));
      await kit.waitUntilBlocked();
      await booker.query('COMMIT');
    } finally {
      await booker.end();
    }
    const res = await regenerate!;
    expect(res.statusCode, res.body).toBe(200);
    const after = await doctorSlots(doctor.id);
    expect(after.find((s) => s.id === first!.id)?.status).toBe('held');
    for (const [i, s] of after.entries()) {
      const next = after[i + 1];
      if (next) expect(s.ends_at <= next.starts_at, `${s.id} overlaps ${next.id}`).toBe(true);
    }
    await sql`UPDATE slots SET status = 'open', held_until = NULL WHERE id = ${first!.id}`.execute(
      t.platform.db,
    );
  });

  it('deleting a slot that a booking claims at that moment → 409 SLOT_NOT_OPEN, the slot stays', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(1);
    const booker = await session();
    let deletion: ReturnType<TestApp['inject']> | undefined;
    try {
      await booker.query('BEGIN');
      await booker.query(`UPDATE slots SET status = 'held', held_until = now() WHERE id = $1`, [
        slots[0]!.id,
      ]);
      deletion = t.inject({
        method: 'DELETE',
        url: `/api/v1/doctors/me/slots/${slots[0]!.id}`,
        headers: bearer(doctor.accessToken),
      });
      await kit.waitUntilBlocked();
      await booker.query('COMMIT');
    } finally {
      await booker.end();
    }
    const res = await deletion!;
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SLOT_NOT_OPEN');
    expect(await kit.slotStatus(slots[0]!.id)).toBe('held');
    await sql`UPDATE slots SET status = 'open', held_until = NULL WHERE id = ${slots[0]!.id}`.execute(
      t.platform.db,
    );
  });
});

describe('large schedules', () => {
  it('more slots than allowed → 400 SCHEDULE_TOO_LARGE; just under it → all inserted (in chunks)', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const doctor = await createDoctor(t, admin, { timezone: 'UTC' });
    const everyFiveMinutes = (horizonDays: number) => ({
      timezone: 'UTC',
      rules: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
        weekday,
        start: '00:00',
        end: '24:00',
        slotMinutes: 5,
        mode: 'chat',
      })),
      horizonDays,
    });
    const tooMany = await putSchedule(doctor, everyFiveMinutes(90));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().code).toBe('SCHEDULE_TOO_LARGE');
    // 34 days of 5-minute slots: 9,791 rows, beyond one INSERT's 65,535 bind parameters.
    const big = await putSchedule(doctor, everyFiveMinutes(34));
    expect(big.statusCode, big.body).toBe(200);
    expect(big.json().added).toBeGreaterThan(9_500);
    expect((await doctorSlots(doctor.id)).length).toBe(big.json().added);
  });

  it('schedule changes are rate limited per doctor', async () => {
    const limited = await startTestApp({ env: { SCHEDULE_CHANGES_PER_MINUTE: '2' } });
    try {
      const doctor = await createDoctor(limited, await signUp(limited, 'admin'));
      const put = () =>
        limited.inject({
          method: 'PUT',
          url: '/api/v1/doctors/me/schedule',
          headers: bearer(doctor.accessToken),
          payload: mondays(30),
        });
      expect((await put()).statusCode).toBe(200);
      expect((await put()).statusCode).toBe(200);
      const third = await put();
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('the public read model', () => {
  it('lists a slot whose hold lapsed, exactly when a booking may claim it and search finds it', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(1, { hoursAhead: 48 });
    const day = slots[0]!.startsAt.slice(0, 10);
    const range = `from=${day}T00:00:00Z&to=${day}T23:59:59Z`;
    const patient = await signUp(t);
    expect((await kit.book(patient, slots[0]!.id)).statusCode).toBe(201);
    const inSearch = async () =>
      (await t.inject({ method: 'GET', url: `/api/v1/doctors?availableOn=${day}&limit=100` }))
        .json()
        .items.some((d: { id: string }) => d.id === doctor.id);
    expect(await listed(t, doctor.id, range)).toEqual([]);
    expect(await inSearch()).toBe(false);
    t.clock.advance(600_000); // the hold lapses at this very instant; no job has run
    expect(await listed(t, doctor.id, range)).toEqual([slots[0]!.id]);
    expect(await inSearch()).toBe(true);
    expect((await kit.book(await signUp(t), slots[0]!.id)).statusCode).toBe(201);
    expect(await listed(t, doctor.id, range)).toEqual([]);
  });

  it('an id in capitals reads the same cache entry that changes invalidate', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(2);
    const upper = doctor.id.toUpperCase();
    expect(await listed(t, upper)).toEqual(slots.map((s) => s.id));
    expect((await kit.book(await signUp(t), slots[0]!.id.toUpperCase())).statusCode).toBe(201);
    expect(await listed(t, upper)).toEqual([slots[1]!.id]);
  });

  it('a cached read touches neither PostgreSQL nor Redis', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(3);
    expect(await listed(t, doctor.id)).toHaveLength(3);
    const dbName = new URL(t.platform.config.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({
      connectionString: t.platform.config.databaseUrl!.replace(`/${dbName}`, '/postgres'),
    });
    await admin.connect();
    try {
      // Both stores out of reach: every new database connection refused, Redis disconnected.
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [
        dbName,
      ]);
      t.platform.kv.redis!.disconnect();
      expect(await listed(t, doctor.id)).toEqual(slots.map((s) => s.id));
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
      await t.platform.kv.redis!.connect().catch(() => {});
    }
  });
});

describe('two instances', () => {
  let b: TestApp;
  beforeAll(async () => {
    b = await startTestApp({ shareWith: t });
  });
  afterAll(() => b.close());

  it('a change whose message is lost still reaches the other instance’s cache within 1 s', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(2);
    expect(await listed(b, doctor.id)).toHaveLength(2);
    // The change as a write makes it, minus the message: the slot taken, the version bumped.
    await sql`UPDATE slots SET status = 'blocked' WHERE id = ${slots[0]!.id}`.execute(t.platform.db);
    await t.platform.kv.redis!.incr(`${t.platform.config.redisKeyPrefix}ver:doctor:${doctor.id}`);
    const started = Date.now();
    while ((await listed(b, doctor.id)).length !== 1) {
      expect(Date.now() - started).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('request limits are shared between instances within the documented bound', async () => {
    const env = { RATE_LIMIT_PER_MINUTE: '20', RATE_LIMIT_SYNC_MS: '20' };
    const x = await startTestApp({ env });
    const other = await startTestApp({ shareWith: x, env });
    try {
      const user = await signUp(x);
      const get = (app: TestApp) =>
        app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) });
      let allowed = 0;
      for (let i = 0; i < 40; i++) {
        if ((await get(i % 2 ? x : other)).statusCode === 200) allowed += 1;
        await new Promise((r) => setTimeout(r, 25)); // each instance has shared its counts meanwhile
      }
      // The limit (20), over by at most (instances − 1) × requests per instance per sync interval.
      expect(allowed).toBeGreaterThanOrEqual(20);
      expect(allowed).toBeLessThanOrEqual(21);
    } finally {
      await other.close();
      await x.close();
    }
  });
});

describe('ids', () => {
  it('are accepted in any letter case and answered in lower case', async () => {
    const { slots } = await kit.doctorWithSlots(1);
    const patient = await signUp(t);
    const res = await kit.call(
      patient.accessToken,
      'POST',
      '/appointments',
      { slotId: slots[0]!.id.toUpperCase() },
      randomUUID(),
    );
    expect(res.json().slotId).toBe(slots[0]!.id);
    const got = await kit.call(
      await freshToken(t, patient),
      'GET',
      `/appointments/${res.json().id.toUpperCase()}`,
      undefined,
      null,
    );
    expect(got.json().id).toBe(res.json().id);
  });
});
