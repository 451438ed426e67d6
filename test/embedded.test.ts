import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/http/index.ts';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { bearer, createDoctor, quickPatients, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { connectWs } from './helpers/ws.ts';

// The same product on PGlite with in-process adapters: what `npm start` runs with nothing installed.
describe('embedded mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ mode: 'embedded' });
  });
  afterAll(() => t.close());

  it('is ready with the in-process adapters', async () => {
    const res = await t.inject({ method: 'GET', url: '/readyz' });
    expect(res.json()).toMatchObject({
      status: 'ready',
      checks: { database: 'ok (embedded)', redis: 'off (in-process)' },
    });
  });

  it('registers 50 accounts concurrently, refusing a duplicate email exactly once each', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          remoteAddress: `10.5.${i}.1`,
          payload: { email: `same${i % 50}@example.test`, password: 'long enough pw', name: 'E' },
        }),
      ),
    );
    const codes = attempts.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(50);
    expect(codes.filter((c) => c === 409)).toHaveLength(50);
  });

  it('runs the auth flows: refresh rotation and reuse detection, MFA with single-use codes', async () => {
    const a = await signUp(t);
    const rotated = await t.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: a.refreshToken },
    });
    expect(rotated.statusCode).toBe(200);
    t.clock.advance(60_000);
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: a.refreshToken },
        })
      ).json().code,
    ).toBe('REFRESH_TOKEN_REUSED');
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: rotated.json() && { refreshToken: rotated.json().refreshToken },
        })
      ).statusCode,
    ).toBe(401);

    const b = await signUp(t);
    const { secret } = (
      await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/setup', headers: bearer(b.accessToken) })
    ).json();
    const code = totpCodeAt(secret, t.clock.now());
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/api/v1/auth/mfa/enable',
          headers: bearer(b.accessToken),
          payload: { code },
        })
      ).statusCode,
    ).toBe(200);
    const { mfaToken } = (
      await t.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: b.email, password: b.password },
      })
    ).json();
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { mfaToken, code } }))
        .statusCode,
    ).toBe(401);
    t.clock.advance(30_000);
    const next = totpCodeAt(secret, t.clock.now());
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { mfaToken, code: next } }))
        .statusCode,
    ).toBe(200);
  });

  it('keeps the audit chain exact under concurrent appends with rollbacks', async () => {
    const { audit } = t.services;
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        t.platform.db.transaction().execute(async (tx) => {
          await audit.record(tx, SYSTEM, { action: 'embedded.append', entity: 'test', entityId: String(i) });
          if (i % 5 === 0) throw new Error('rolled back');
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(160);
    await audit.seal();
    const rows = await t.platform.db
      .selectFrom('audit_logs')
      .select(['entity_id'])
      .where('action', '=', 'embedded.append')
      .execute();
    expect(rows).toHaveLength(160);
    expect(rows.some((r) => Number(r.entity_id) % 5 === 0)).toBe(false);
    const admin = await signUp(t, 'admin');
    await audit.seal();
    const report = (
      await t.inject({
        method: 'GET',
        url: '/api/v1/admin/audit-logs/verify',
        headers: bearer(admin.accessToken),
      })
    ).json();
    expect(report).toMatchObject({ ok: true, unsealed: 0, firstBadSeq: null });
    expect(report.checked).toBeGreaterThanOrEqual(160);
  });

  it('schedules slots, keeps one winner among overlapping inserts, and pushes live changes in-process', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const admin = await signUp(t, 'admin');
    const doctor = await createDoctor(t, admin);
    const schedule = await t.inject({
      method: 'PUT',
      url: '/api/v1/doctors/me/schedule',
      headers: bearer(doctor.accessToken),
      payload: {
        timezone: 'Asia/Kolkata',
        rules: [{ weekday: 1, start: '09:00', end: '11:00', slotMinutes: 30, mode: 'video' }],
        horizonDays: 7,
      },
    });
    expect(schedule.json()).toMatchObject({ added: 4, removed: 0 });

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as { port: number }).port;
    const ws = connectWs(`ws://127.0.0.1:${port}/api/v1/ws/availability?doctorId=${doctor.id}`);
    await ws.next((m) => m.type === 'ready');

    const base = Date.parse('2026-03-03T06:00:00Z');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.inject({
          method: 'POST',
          url: '/api/v1/doctors/me/slots',
          headers: bearer(doctor.accessToken),
          payload: {
            slots: [
              {
                startsAt: new Date(base + i * 1000).toISOString(),
                endsAt: new Date(base + i * 1000 + 1_800_000).toISOString(),
                mode: 'video',
              },
            ],
          },
        }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(49);
    const created = await ws.next((m) => m.type === 'slot.updated');
    expect(created).toMatchObject({ slot: { status: 'open', mode: 'video' } });

    const slots = await t.inject({
      method: 'GET',
      url: `/api/v1/doctors/${doctor.id}/slots?from=2026-03-01T00:00:00Z&to=2026-03-08T00:00:00Z`,
    });
    expect(slots.json().items).toHaveLength(5);
    ws.close();
  });

  it('books one winner among 200 concurrent patients, pays through the sandbox, and expires unpaid holds', async () => {
    t.clock.set('2026-03-01T00:00:00Z');
    const admin = await signUp(t, 'admin');
    const doctor = await createDoctor(t, admin);
    const created = await t.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots',
      headers: bearer(doctor.accessToken),
      payload: {
        slots: [
          { startsAt: '2026-03-05T10:00:00Z', endsAt: '2026-03-05T10:30:00Z', mode: 'video' },
          { startsAt: '2026-03-05T11:00:00Z', endsAt: '2026-03-05T11:30:00Z', mode: 'video' },
        ],
      },
    });
    const [first, second] = created.json().items;
    const patients = await quickPatients(t, 200);
    const book = (token: string, slotId: string, key = randomUUID()) =>
      t.inject({
        method: 'POST',
        url: '/api/v1/appointments',
        headers: { ...bearer(token), 'idempotency-key': key },
        payload: { slotId },
      });
    const results = await Promise.all(patients.map((p) => book(p.accessToken, first.id)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(199);

    const winner = results.find((r) => r.statusCode === 201)!.json();
    const payer = patients.find((p) => p.id === winner.patientId)!;
    const paid = await t.inject({
      method: 'POST',
      url: `/api/v1/payments/${winner.payment.id}/sandbox/succeed`,
      headers: bearer(payer.accessToken),
    });
    expect(paid.json()).toEqual({ status: 'processed', outcome: 'captured' });
    const confirmed = await t.inject({
      method: 'GET',
      url: `/api/v1/appointments/${winner.id}`,
      headers: bearer(payer.accessToken),
    });
    expect(confirmed.json().status).toBe('confirmed');

    const hold = await book(
      patients[0]!.id === payer.id ? patients[1]!.accessToken : patients[0]!.accessToken,
      second.id,
    );
    expect(hold.json().status).toBe('pending_payment');
    t.clock.advance(600_001);
    expect(await t.services.appointments.expireHolds()).toBe(1);
    const reopened = await t.inject({
      method: 'GET',
      url: `/api/v1/doctors/${doctor.id}/slots?from=2026-03-05T00:00:00Z&to=2026-03-06T00:00:00Z`,
    });
    expect(reopened.json().items.map((s: { id: string }) => s.id)).toEqual([second.id]);
  });
});
