import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES, SPECIALIZATION_SLUGS } from '../src/modules/doctors/reference.ts';
import { searchQuery, withSearchSettings } from '../src/modules/doctors/repo.ts';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';

let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp();
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const put = (token: string, payload: object) =>
  t.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: bearer(token), payload });
const verify = (id: string, payload: object, token = admin.accessToken) =>
  t.inject({ method: 'POST', url: `/api/v1/admin/doctors/${id}/verify`, headers: bearer(token), payload });
const profile = {
  specializations: ['panchakarma'],
  languages: ['en'],
  feeMinor: 30000,
  modes: ['video'],
  timezone: 'Asia/Kolkata',
};

describe('doctor profiles', () => {
  it('a doctor creates and updates their profile; the id is the user id; currency defaults to INR', async () => {
    const d = await signUp(t, 'doctor');
    const res = await put(d.accessToken, { ...profile, bio: 'Panchakarma specialist', experienceYears: 7 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: d.id,
      currency: 'INR',
      verificationStatus: 'pending',
      rating: { average: 0, count: 0 },
      registrationNumber: null,
    });
    const again = await put(d.accessToken, { ...profile, feeMinor: 0, registrationNumber: 'KA-998' });
    expect(again.json()).toMatchObject({ feeMinor: 0, registrationNumber: 'KA-998' });
    const me = await t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(d.accessToken) });
    expect(me.json()).toMatchObject({
      id: d.id,
      role: 'doctor',
      doctorProfile: { feeMinor: 0, verificationStatus: 'pending' },
    });
  });

  it('rejects bad input with 400: zone, fee, specialization, language, mode, unknown fields', async () => {
    const d = await signUp(t, 'doctor');
    for (const bad of [
      { ...profile, timezone: 'Mars/Olympus' },
      { ...profile, timezone: 'asia/kolkata' },
      { ...profile, timezone: '+05:30' },
      { ...profile, feeMinor: -1 },
      { ...profile, feeMinor: 10.5 },
      { ...profile, specializations: ['astrology'] },
      { ...profile, languages: ['xx'] },
      { ...profile, modes: ['telepathy'] },
      { ...profile, modes: [] },
      { ...profile, verificationStatus: 'verified' },
    ]) {
      const res = await put(d.accessToken, bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('only doctors may have a profile', async () => {
    const p = await signUp(t, 'patient');
    expect((await put(p.accessToken, profile)).statusCode).toBe(403);
  });
});

describe('verification', () => {
  it('an unverified doctor is 404 to the public, visible to itself and admins', async () => {
    const d = await createDoctor(t, admin, {}, false);
    const patient = await signUp(t);
    expect((await t.inject({ method: 'GET', url: `/api/v1/doctors/${d.id}` })).statusCode).toBe(404);
    expect(
      (
        await t.inject({
          method: 'GET',
          url: `/api/v1/doctors/${d.id}`,
          headers: bearer(patient.accessToken),
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await t.inject({ method: 'GET', url: `/api/v1/doctors/${d.id}`, headers: bearer(d.accessToken) }))
        .statusCode,
    ).toBe(200);
    expect(
      (await t.inject({ method: 'GET', url: `/api/v1/doctors/${d.id}`, headers: bearer(admin.accessToken) }))
        .statusCode,
    ).toBe(200);
  });

  it('needs a registration number; verified doctors become public; the decision is audited', async () => {
    const d = await signUp(t, 'doctor');
    await put(d.accessToken, profile);
    const refused = await verify(d.id, { status: 'verified' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('REGISTRATION_NUMBER_REQUIRED');
    await put(d.accessToken, { ...profile, registrationNumber: 'NCISM-1', council: 'NCISM' });
    const ok = await verify(d.id, { status: 'verified' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().verificationStatus).toBe('verified');
    expect((await t.inject({ method: 'GET', url: `/api/v1/doctors/${d.id}` })).statusCode).toBe(200);
    const audit = await t.platform.db
      .selectFrom('audit_logs')
      .select(['action', 'actor_id'])
      .where('entity_id', '=', d.id)
      .execute();
    expect(audit).toContainEqual({ action: 'doctor.verified', actor_id: admin.id });
  });

  it('rejecting needs a reason; only admins decide; unknown doctor 404', async () => {
    const d = await createDoctor(t, admin, {}, false);
    expect((await verify(d.id, { status: 'rejected' })).statusCode).toBe(400);
    expect(
      (await verify(d.id, { status: 'rejected', reason: 'Registration not found in NCISM register' })).json()
        .verificationStatus,
    ).toBe('rejected');
    expect((await verify(d.id, { status: 'verified' }, d.accessToken)).statusCode).toBe(403);
    expect((await verify('00000000-0000-4000-8000-000000000000', { status: 'verified' })).statusCode).toBe(
      404,
    );
  });

  it('a rejected doctor reads the reason in GET /doctors/me and GET /me; the public profile never shows it', async () => {
    const d = await createDoctor(t, admin, {}, false);
    const get = (url: string, token: string) =>
      t.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(token) });
    expect((await get('/doctors/me', d.accessToken)).json()).toMatchObject({
      verificationStatus: 'pending',
      verificationReason: null,
    });
    await verify(d.id, { status: 'rejected', reason: 'Registration not found in NCISM register' });
    expect((await get('/doctors/me', d.accessToken)).json()).toMatchObject({
      verificationStatus: 'rejected',
      verificationReason: 'Registration not found in NCISM register',
    });
    expect((await get('/me', d.accessToken)).json().doctorProfile).toMatchObject({
      verificationReason: 'Registration not found in NCISM register',
    });
    const patient = await signUp(t);
    expect((await get('/doctors/me', patient.accessToken)).statusCode).toBe(403);
    const newcomer = await signUp(t, 'doctor');
    expect((await get('/doctors/me', newcomer.accessToken)).statusCode).toBe(404);
    const verified = await createDoctor(t, admin);
    expect(
      (await t.inject({ method: 'GET', url: `/api/v1/doctors/${verified.id}` })).json(),
    ).not.toHaveProperty('verificationReason');
  });

  it('admins find doctors to review: by status, by name/e-mail/registration prefix, oldest first, page by page', async () => {
    const list = async (query: string, token = admin.accessToken) =>
      t.inject({ method: 'GET', url: `/api/v1/admin/doctors?${query}`, headers: bearer(token) });
    const pending = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      pending.push(await createDoctor(t, admin, { registrationNumber: `QUEUE-${i}` }, false));
    }
    const ids = new Set(pending.map((d) => d.id));
    // Walk every pending doctor, two at a time: ours come in the order they signed up, each once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`status=pending&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        items: Array<{ id: string; verificationStatus: string }>;
        nextCursor: string | null;
      };
      expect(body.items.every((d) => d.verificationStatus === 'pending')).toBe(true);
      seen.push(...body.items.map((d) => d.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => ids.has(id))).toEqual(pending.map((d) => d.id));
    expect(new Set(seen).size).toBe(seen.length);
    const byRegistration = (await list('q=queue-1')).json();
    expect(byRegistration.items.map((d: { id: string }) => d.id)).toEqual([pending[1]!.id]);
    const byEmail = (
      await list(`q=${encodeURIComponent(pending[2]!.email.slice(0, 12).toUpperCase())}`)
    ).json();
    expect(byEmail.items.map((d: { id: string }) => d.id)).toContain(pending[2]!.id);
    expect((await list('q=%25')).json().items).toEqual([]); // a wildcard is a character, not "everything"
    expect((await list('status=maybe')).statusCode).toBe(400);
    expect((await list('status=pending', pending[0]!.accessToken)).statusCode).toBe(403);
  });

  it('PATCH /doctors/me changes only the fields sent; only a new registration sends a verified doctor back to review', async () => {
    const d = await createDoctor(t, admin, {
      bio: 'Panchakarma for 12 years',
      specializations: ['panchakarma'],
    });
    const patch = (payload: object) =>
      t.inject({ method: 'PATCH', url: '/api/v1/doctors/me', headers: bearer(d.accessToken), payload });
    const res = await patch({ feeMinor: 60000, languages: ['en'], experienceYears: 12 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      feeMinor: 60000,
      languages: ['en'],
      experienceYears: 12,
      bio: 'Panchakarma for 12 years',
      specializations: ['panchakarma'],
      verificationStatus: 'verified',
    });
    // Two PATCHes at once: each keeps the other's field (merged under the doctor's lock).
    await Promise.all([patch({ bio: 'New bio' }), patch({ feeMinor: 70000 })]);
    expect((await t.inject({ method: 'GET', url: `/api/v1/doctors/${d.id}` })).json()).toMatchObject({
      bio: 'New bio',
      feeMinor: 70000,
    });
    expect((await patch({ feeMinor: -1 })).statusCode).toBe(400);
    expect((await patch({ unknown: true })).statusCode).toBe(400);
    expect((await patch({ registrationNumber: 'NCISM-99999' })).json().verificationStatus).toBe('pending');
    const newcomer = await signUp(t, 'doctor');
    const none = await t.inject({
      method: 'PATCH',
      url: '/api/v1/doctors/me',
      headers: bearer(newcomer.accessToken),
      payload: { bio: 'x' },
    });
    expect(none.json().code).toBe('PROFILE_REQUIRED');
  });

  it('changing the registration of a verified doctor sends them back to review', async () => {
    const d = await createDoctor(t, admin);
    const res = await put(d.accessToken, { ...profile, registrationNumber: 'NEW-2', council: 'STATE' });
    expect(res.json().verificationStatus).toBe('pending');
    expect((await t.inject({ method: 'GET', url: `/api/v1/doctors/${d.id}` })).statusCode).toBe(404);
  });
});

describe('search', () => {
  interface Seed {
    id: string;
    specializations: string[];
    languages: string[];
    modes: string[];
    fee: number;
    rating: string;
    verified: boolean;
  }
  let seeds: Seed[];

  beforeAll(async () => {
    // A separate world: wipe earlier doctors so the in-memory model is the whole truth.
    await t.platform.db.deleteFrom('doctors').execute();
    const specs = SPECIALIZATION_SLUGS.slice(0, 4);
    const langs = LANGUAGES.slice(0, 4);
    seeds = fc
      .sample(
        fc.record({
          specializations: fc.uniqueArray(fc.constantFrom(...specs), { minLength: 1, maxLength: 2 }),
          languages: fc.uniqueArray(fc.constantFrom(...langs), { minLength: 1, maxLength: 2 }),
          modes: fc.uniqueArray(fc.constantFrom('video', 'audio', 'chat'), { minLength: 1, maxLength: 3 }),
          fee: fc.constantFrom(0, 30000, 50000, 80000, 120000),
          rating: fc.constantFrom('0.00', '3.50', '4.20', '4.80', '5.00'),
          verified: fc.boolean(),
        }),
        { numRuns: 45, seed: 42 },
      )
      .map((s) => ({ ...s, id: '' }));
    for (const seed of seeds) {
      const u = await signUp(t, 'doctor');
      seed.id = u.id;
      await t.platform.db
        .insertInto('doctors')
        .values({
          user_id: u.id,
          registration_number: `R-${u.id}`, // one per verified doctor (migration 0017)
          council: 'NCISM',
          specializations: seed.specializations,
          languages: seed.languages,
          fee_minor: seed.fee,
          currency: 'INR',
          modes: seed.modes as Array<'video' | 'audio' | 'chat'>,
          bio: '',
          timezone: 'Asia/Kolkata',
          experience_years: 1,
          search_text: 'Test doctor',
          updated_at: new Date(),
        })
        .execute();
      await sql`UPDATE doctors SET rating_avg = ${seed.rating}::numeric, verification_status = ${seed.verified ? 'verified' : 'pending'} WHERE user_id = ${u.id}`.execute(
        t.platform.db,
      );
    }
  });

  async function walk(query: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res = await t.inject({
        method: 'GET',
        url: `/api/v1/doctors?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.items.length).toBeLessThanOrEqual(limit);
      ids.push(...body.items.map((d: { id: string }) => d.id));
      cursor = body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('too many pages');
  }

  it('property: filters, sorts and cursors return exactly the matching verified doctors, in order, once each', async () => {
    const filterArb = fc.record(
      {
        specialization: fc.constantFrom(...SPECIALIZATION_SLUGS.slice(0, 4)),
        language: fc.constantFrom(...LANGUAGES.slice(0, 4)),
        mode: fc.constantFrom('video', 'audio', 'chat'),
        minFee: fc.constantFrom(0, 30000, 50000),
        maxFee: fc.constantFrom(50000, 80000, 120000),
        sort: fc.constantFrom('rating', 'fee'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(filterArb, fc.integer({ min: 1, max: 7 }), async (f, limit) => {
        const expected = seeds
          .filter(
            (s) =>
              s.verified &&
              (!f.specialization || s.specializations.includes(f.specialization)) &&
              (!f.language || s.languages.includes(f.language)) &&
              (!f.mode || s.modes.includes(f.mode)) &&
              (f.minFee === undefined || s.fee >= f.minFee) &&
              (f.maxFee === undefined || s.fee <= f.maxFee),
          )
          .sort((a, b) =>
            f.sort === 'fee'
              ? a.fee - b.fee || (a.id < b.id ? -1 : 1)
              : Number(b.rating) - Number(a.rating) || (a.id < b.id ? 1 : -1),
          )
          .map((s) => s.id);
        if (f.minFee !== undefined && f.maxFee !== undefined && f.minFee > f.maxFee) return;
        const query = new URLSearchParams(
          Object.entries(f).map(([k, v]): [string, string] => [k, String(v)]),
        ).toString();
        expect(await walk(query, limit)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('unverified doctors never appear', async () => {
    const all = await walk('sort=fee', 100);
    expect(new Set(all)).toEqual(new Set(seeds.filter((s) => s.verified).map((s) => s.id)));
  });

  it('odd input is a 400, never a 500: crafted cursors, huge fees, NUL bytes, years out of range', async () => {
    const crafted = (k: unknown[], s = 'fee') => Buffer.from(JSON.stringify({ s, k })).toString('base64url');
    const id = '00000000-0000-4000-8000-000000000000';
    for (const url of [
      `/api/v1/doctors?sort=fee&cursor=${crafted(['abc', id])}`,
      `/api/v1/doctors?sort=rating&cursor=${crafted(['x; drop', id], 'rating')}`,
      `/api/v1/doctors?q=a&cursor=${crafted([{}, id], 'relevance')}`,
      '/api/v1/doctors?minFee=3000000000',
      '/api/v1/doctors?q=%00abc',
      '/api/v1/doctors?availableOn=0000-01-01',
      `/api/v1/doctors/${id}/slots?from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z`,
    ]) {
      const res = await t.inject({ method: 'GET', url });
      expect(res.statusCode, `${url}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
    }
  });

  it('bad filters → 400; a cursor from another sort → 400 INVALID_CURSOR', async () => {
    expect((await t.inject({ method: 'GET', url: '/api/v1/doctors?minFee=5&maxFee=1' })).statusCode).toBe(
      400,
    );
    expect(
      (await t.inject({ method: 'GET', url: '/api/v1/doctors?specialization=astrology' })).statusCode,
    ).toBe(400);
    expect((await t.inject({ method: 'GET', url: '/api/v1/doctors?availableOn=tomorrow' })).statusCode).toBe(
      400,
    );
    const first = (await t.inject({ method: 'GET', url: '/api/v1/doctors?sort=fee&limit=1' })).json();
    const res = await t.inject({
      method: 'GET',
      url: `/api/v1/doctors?sort=rating&limit=1&cursor=${first.nextCursor}`,
    });
    expect(res.json().code).toBe('INVALID_CURSOR');
  });
});

describe('free-text search and availableOn', () => {
  it('finds by name, bio and specialization, tolerating typos, most relevant first', async () => {
    const u = await signUp(t, 'doctor');
    await t.platform.db
      .updateTable('users')
      .set({ name: 'Dr. Priya Sharma' })
      .where('id', '=', u.id)
      .execute();
    await put(u.accessToken, {
      ...profile,
      specializations: ['panchakarma', 'twak-roga'],
      bio: 'Detoxification and skin care',
      registrationNumber: 'NCISM-77',
    });
    await verify(u.id, { status: 'verified' });
    for (const q of ['Sharma', 'Shrma', 'Panchkarma', 'Twak Roga', 'detoxification', 'priya sharma']) {
      const res = await t.inject({ method: 'GET', url: `/api/v1/doctors?q=${encodeURIComponent(q)}` });
      expect(res.statusCode).toBe(200);
      expect(res.json().items[0]?.id, q).toBe(u.id);
    }
    expect((await t.inject({ method: 'GET', url: '/api/v1/doctors?q=zzzzqqq' })).json().items).toEqual([]);
  });

  it('availableOn keeps only doctors with an open, bookable slot that day in their zone', async () => {
    const withSlot = await createDoctor(t, admin, { timezone: 'Asia/Kolkata' });
    const without = await createDoctor(t, admin, { timezone: 'Asia/Kolkata' });
    const day = new Date(t.clock.now().getTime() + 3 * 86_400_000).toISOString().slice(0, 10);
    // 23:30 IST on `day` is 18:00Z the same day; 00:30 IST the next day would not count.
    const res = await t.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots',
      headers: bearer(withSlot.accessToken),
      payload: {
        slots: [{ startsAt: `${day}T23:30:00+05:30`, endsAt: `${day}T23:59:00+05:30`, mode: 'video' }],
      },
    });
    expect(res.statusCode).toBe(201);
    const found = (
      await t.inject({ method: 'GET', url: `/api/v1/doctors?availableOn=${day}&limit=100` })
    ).json();
    const ids = found.items.map((d: { id: string }) => d.id);
    expect(ids).toContain(withSlot.id);
    expect(ids).not.toContain(without.id);
    const nextDay = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const next = (
      await t.inject({ method: 'GET', url: `/api/v1/doctors?availableOn=${nextDay}&limit=100` })
    ).json();
    expect(next.items.map((d: { id: string }) => d.id)).not.toContain(withSlot.id);
  });
});

describe('search plans at 10,000 doctors', () => {
  it('every filter is an index scan', async () => {
    const db = t.platform.db;
    await sql`
      INSERT INTO users (email, password_hash, role, name)
      SELECT 'bulk' || i || '@example.test', 'x', 'doctor', 'Dr ' || substr(md5(i::text), 1, 10) FROM generate_series(1, 10000) i;
      INSERT INTO doctors (user_id, registration_number, council, specializations, languages, fee_minor, modes, timezone,
                           search_text, verification_status)
      SELECT u.id, 'R' || u.i, 'NCISM',
             ARRAY[(ARRAY['kayachikitsa','panchakarma','dravyaguna','rasayana','twak-roga','manas-roga','swasthavritta','shalya-tantra'])[1 + i % 8]],
             ARRAY[(ARRAY['hi','en','bn','te','mr','ta','gu','kn','ml','or'])[1 + i % 10]],
             (i % 200) * 1000,
             ARRAY[(ARRAY['video','audio','chat'])[1 + i % 3]],
             'Asia/Kolkata',
             u.name || ' ayurveda specialist',
             CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'verified' END
      FROM (SELECT id, name, row_number() OVER () AS i FROM users WHERE email LIKE 'bulk%') u;
    `.execute(db);
    // As autovacuum would: flush the GIN pending lists and collect statistics.
    for (const table of ['users', 'doctors', 'slots'])
      await sql`VACUUM ANALYZE ${sql.table(table)}`.execute(db);
    const now = t.clock.now();
    const name = createHash('md5').update('4242').digest('hex').slice(0, 10);
    const plans: Record<string, string> = {};
    const cases = {
      specialization: { specialization: 'rasayana' },
      language: { language: 'ml' },
      feeRange: { minFee: 10_000, maxFee: 12_000, sort: 'fee' as const },
      text: { q: name },
      typo: { q: `${name.slice(0, 4)}${name.slice(5)}` },
      availableOn: { availableOn: '2030-01-01', specialization: 'rasayana' },
      ratingOrder: {},
    };
    for (const [name, filter] of Object.entries(cases)) {
      const sort = 'sort' in filter ? filter.sort : 'q' in filter ? 'relevance' : 'rating';
      const result = await withSearchSettings(db, (tx) => {
        const compiled = searchQuery(tx, { ...filter, sort, now, limit: 21 }).compile();
        return tx.executeQuery<{ 'QUERY PLAN': string }>({ ...compiled, sql: `EXPLAIN ${compiled.sql}` });
      });
      plans[name] = result.rows.map((r) => r['QUERY PLAN']).join('\n');
    }
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan, `${name}:\n${plan}`).toMatch(/Index Scan|Bitmap Index Scan|Index Only Scan/);
      expect(plan, `${name}:\n${plan}`).not.toMatch(/Seq Scan on doctors/);
    }
    // Specialization and language are 1 in 8 and 1 in 10 here: walking the rating index and
    // stopping after one page is the cheaper index plan; the GIN indexes serve rarer values.
    expect(plans.feeRange).toContain('doctors_fee_idx');
    expect(plans.text).toMatch(/doctors_tsv_idx/);
    expect(plans.typo).toMatch(/doctors_trgm_idx/);
    expect(plans.ratingOrder).toContain('doctors_rating_idx');
  });
});
