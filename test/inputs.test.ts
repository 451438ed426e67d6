import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';

// Input that is wrong gets a 400 whose errors[] names the field and says the rule, whatever kind of
// wrong it is, on every route.
let t: TestApp;
let admin: Account;
let doctor: Account;
let patient: Account;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
  doctor = await createDoctor(t, admin);
  patient = await signUp(t);
});
afterAll(() => t.close());

const get = (who: Account | null, url: string) =>
  t.inject({ method: 'GET', url: `/api/v1${url}`, headers: who ? bearer(who.accessToken) : {} });
const send = (who: Account | null, method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown) =>
  t.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(who ? bearer(who.accessToken) : {}), 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });

async function expectFieldErrors(
  res: Awaited<ReturnType<TestApp['inject']>>,
  expected: Array<{ path: string; message: string | RegExp }>,
) {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().errors).toEqual(
    expected.map((e) => ({
      path: e.path,
      message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message),
    })),
  );
}

describe('fields are named and rules said', () => {
  it('an instant without Z or an offset says how to write one, in queries and bodies', async () => {
    await expectFieldErrors(await get(null, `/doctors/${doctor.id}/slots?from=2026-03-02T09:00:00`), [
      { path: 'querystring.from', message: /ISO 8601 instant with Z or an offset, e\.g\./ },
    ]);
    await expectFieldErrors(
      await send(doctor, 'POST', '/doctors/me/slots', {
        slots: [{ startsAt: '2026-03-05T09:00:00', endsAt: '2026-03-05T09:30:00Z', mode: 'video' }],
      }),
      [{ path: 'body.slots.0.startsAt', message: /with Z or an offset/ }],
    );
  });

  it('NUL characters name the field, in bodies, keys and queries', async () => {
    await expectFieldErrors(
      await send(null, 'POST', '/auth/register', {
        email: 'n@example.test',
        password: 'a long password',
        name: 'A\u0000',
      }),
      [{ path: 'body.name', message: /NUL/ }],
    );
    await expectFieldErrors(await get(null, '/doctors?q=ab%00c'), [
      { path: 'querystring.q', message: /NUL/ },
    ]);
  });

  it('a query key given twice, limit=abc, unknown and missing fields', async () => {
    await expectFieldErrors(await get(patient, '/appointments?status=confirmed&status=cancelled'), [
      { path: 'querystring.status', message: 'must be given once' },
    ]);
    await expectFieldErrors(await get(patient, '/appointments?limit=abc'), [
      { path: 'querystring.limit', message: 'must be a whole number from 1 to 100' },
    ]);
    await expectFieldErrors(
      await send(null, 'POST', '/auth/register', {
        email: 'u@example.test',
        password: 'a long password',
        name: 'U',
        isAdmin: true,
      }),
      [{ path: 'body.isAdmin', message: 'is not a field of this request' }],
    );
    await expectFieldErrors(
      await send(null, 'POST', '/auth/register', { email: 'u@example.test', name: 'U' }),
      [{ path: 'body.password', message: 'is required' }],
    );
  });

  it('an override with unavailable: false needs its hours, each named; a day off takes none', async () => {
    await expectFieldErrors(
      await send(doctor, 'PUT', '/doctors/me/schedule', {
        rules: [],
        overrides: [{ date: '2026-03-02', unavailable: false }],
      }),
      ['start', 'end', 'slotMinutes', 'mode'].map((f) => ({
        path: `body.overrides.0.${f}`,
        message: 'is required unless unavailable is true',
      })),
    );
    await expectFieldErrors(
      await send(doctor, 'PUT', '/doctors/me/schedule', {
        rules: [],
        overrides: [{ date: '2026-03-02', unavailable: true, start: '09:00' }],
      }),
      [{ path: 'body.overrides.0.start', message: 'must be left out on a day off (unavailable: true)' }],
    );
    const ok = await send(doctor, 'PUT', '/doctors/me/schedule', {
      rules: [],
      overrides: [
        { date: '2026-03-02', start: '09:00', end: '10:00', slotMinutes: 30, mode: 'video' },
        { date: '2026-03-03', unavailable: true },
      ],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().schedule.overrides).toEqual([
      { date: '2026-03-02', start: '09:00', end: '10:00', slotMinutes: 30, mode: 'video' },
      { date: '2026-03-03', unavailable: true },
    ]);
  });

  it('currency is one the product takes (INR)', async () => {
    await expectFieldErrors(await send(doctor, 'PATCH', '/doctors/me', { currency: 'USD' }), [
      { path: 'body.currency', message: 'must be "INR"' },
    ]);
  });
});

describe('reversed ranges are 400 INVALID_RANGE everywhere', () => {
  it('names the upper bound on every list that takes a range', async () => {
    const reversed = 'from=2026-03-05T00:00:00Z&to=2026-03-04T00:00:00Z';
    for (const [who, url] of [
      [null, `/doctors/${doctor.id}/slots?${reversed}`],
      [doctor, `/doctors/me/slots?${reversed}`],
      [patient, `/appointments?${reversed}`],
      [admin, `/admin/audit-logs?${reversed}`],
    ] as const) {
      const res = await get(who, url);
      expect(res.json(), url).toMatchObject({ code: 'INVALID_RANGE' });
      await expectFieldErrors(res, [{ path: 'querystring.to', message: 'must be after from' }]);
    }
    const fees = await get(null, '/doctors?minFee=50000&maxFee=100');
    expect(fees.json().code).toBe('INVALID_RANGE');
    await expectFieldErrors(fees, [{ path: 'querystring.maxFee', message: 'must be at least minFee' }]);
    expect((await get(null, '/doctors?minFee=50000&maxFee=50000')).json().items).toHaveLength(1);
    await expectFieldErrors(await get(null, '/doctors?maxFee=abc'), [
      { path: 'querystring.maxFee', message: 'must be a whole number of paise, 0 or more (₹500 = 50000)' },
    ]);
  });
});

describe('bodies are JSON', () => {
  it('text/plain is 415, on public and signed-in routes', async () => {
    for (const [who, url] of [
      [null, '/auth/register'],
      [patient, '/appointments'],
    ] as const) {
      const res = await t.inject({
        method: 'POST',
        url: `/api/v1${url}`,
        headers: {
          ...(who ? bearer(who.accessToken) : {}),
          'content-type': 'text/plain',
          'idempotency-key': 'k1',
        },
        payload: '{"slotId":"x"}',
      });
      expect(res.statusCode, url).toBe(415);
      expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });
});
